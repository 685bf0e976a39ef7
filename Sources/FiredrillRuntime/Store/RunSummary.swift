import FiredrillCore
import Foundation

/// A run as `history` and `due` list it, every value the chain's: its id, its start and end
/// instants, and its headline (scenario, status, figures). A run that has ended is read from its
/// bookends alone, event 1's instants and the headline its `run_ended` recorded (which `verify`
/// checks by replay), without its row or its other events. A run under way, or one recorded
/// before the end held its headline, is replayed.
public struct RunSummary: Sendable, Hashable {
    public var id: String
    public var startedWallNs: Int64
    /// nil while the run has not ended.
    public var endedWallNs: Int64?
    public var headline: RunHeadline

    public init(id: String, startedWallNs: Int64, endedWallNs: Int64?, headline: RunHeadline) {
        self.id = id
        self.startedWallNs = startedWallNs
        self.endedWallNs = endedWallNs
        self.headline = headline
    }

    public init(_ evidence: RunEvidence) {
        self.init(id: evidence.run.id, startedWallNs: evidence.run.startedWallNs, endedWallNs: evidence.run.endedWallNs,
                  headline: evidence.headline)
    }

    public var scenario: String { headline.scenario }
    public var status: RunStatus { headline.status }
    /// The figures once the run has ended (a run under way has none to list).
    public var rtoSeconds: Double? { endedWallNs == nil ? nil : headline.rto?.value.seconds }
    public var rpoSeconds: Double? { endedWallNs == nil ? nil : headline.rpo?.value.seconds }
    public var retentionSeconds: Double? { endedWallNs == nil ? nil : headline.retention?.value.seconds }
    public var objectivesVerdict: DrillMeasurement.Verdict? { endedWallNs == nil ? nil : headline.objectivesVerdict }
    public var objectivesMet: Bool? { endedWallNs == nil ? nil : headline.objectivesMet }

    /// Replayed one by one up to this many; past it, in one read of every event.
    static let replayedAlone = 32

    /// Every run the store has, or why one could not be had (by its row's id, or its events'),
    /// in no particular order.
    public static func loadEvery(from store: any DrillStore, each: (String, Result<RunSummary, any Error>) -> Void) throws {
        var rows = Set(try store.runIDs())
        var replay: [String] = []
        var current: (id: String, first: Bookend?, ended: Bookend?)?
        func finish() {
            guard let done = current else { return }
            current = nil
            guard rows.remove(done.id) != nil else { return }
            guard let first = done.first, first.type == "run_started" else {
                return each(done.id, .failure(RunEvidence.Reading.notStarted(id: done.id)))
            }
            guard let ended = done.ended, case .runEnded(_, let headline?) = ended.ended else { return replay.append(done.id) }
            each(done.id, .success(RunSummary(id: done.id, startedWallNs: first.wallNs, endedWallNs: ended.wallNs, headline: headline)))
        }
        try store.forEachBookend { bookend in
            if current?.id != bookend.runID {
                finish()
                current = (bookend.runID, nil, nil)
            }
            if bookend.seq == 1 {
                current?.first = bookend
            } else if bookend.type == "run_ended", current?.ended == nil {
                current?.ended = bookend
            }
        }
        finish()
        // A row without events is said to have none, as a replay says it.
        for id in rows.sorted() {
            each(id, .failure(RunEvidence.Reading.notStarted(id: id)))
        }
        if replay.count > replayedAlone {
            let wanted = Set(replay)
            try RunEvidence.loadEvery(try store.runs(scenario: nil).filter { wanted.contains($0.id) }, from: store) { run, result in
                each(run.id, result.map(RunSummary.init))
            }
        } else {
            for id in replay {
                each(id, Result {
                    guard let run = try store.run(id) else { throw EvidenceError(description: "run \(id): no row in the runs table") }
                    return RunSummary(try RunEvidence.load(run, from: store))
                })
            }
        }
    }
}
