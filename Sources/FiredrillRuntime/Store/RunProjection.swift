import FiredrillCore

/// How a run's row in the runs table follows from its record, for every store: the row as
/// created, what each event changes in it, and what `updateRun` may change. Kept here once so
/// that a run reads the same whichever store holds it.
public enum RunProjection {
    /// What one event changes in its run's row.
    public struct Change: Hashable, Sendable {
        public var status: RunStatus
        /// Set by the event that ends the run; nil leaves the end time as it was.
        public var endedWallNs: Int64?
        public init(status: RunStatus, endedWallNs: Int64? = nil) {
            self.status = status
            self.endedWallNs = endedWallNs
        }
    }

    /// The change `recorded` makes to its run's row; nil for an event that leaves the row as it is.
    public static func change(for recorded: RecordedEvent) -> Change? {
        switch recorded.event {
        case .runEnded(let status, _): Change(status: status, endedWallNs: recorded.wallNs)
        case .runSuspended: Change(status: .waiting)
        // An operator's decision on a halted run sets it going again, as a takeover does.
        case .runResumed, .operatorResolved: Change(status: .running)
        case .runHalted: Change(status: .halted)
        case .runInterrupted: Change(status: .interrupted)
        default: nil
        }
    }

    /// Applies `recorded`'s change, if it makes one, to a run's row.
    public static func apply(_ recorded: RecordedEvent, to run: inout RunRecord) {
        guard let change = change(for: recorded) else { return }
        run.status = change.status
        if let ended = change.endedWallNs { run.endedWallNs = ended }
    }

    /// The row `createRun` stores: what the run is, who drives it and its status. Its end, its
    /// figures and its chain come later, from its events and `updateRun`.
    public static func created(_ run: RunRecord) -> RunRecord {
        var row = run
        row.endedWallNs = nil
        row.rtoSeconds = nil
        row.rpoSeconds = nil
        row.objectivesMet = nil
        row.headHash = nil
        row.eventCount = 0
        return row
    }

    /// `row` after `updateRun(run)`: the status, the end and the figures are the caller's to set;
    /// what the run is, its lease and its chain are not.
    public static func updated(_ row: RunRecord, with run: RunRecord) -> RunRecord {
        var row = row
        row.status = run.status
        row.endedWallNs = run.endedWallNs
        row.rtoSeconds = run.rtoSeconds
        row.rpoSeconds = run.rpoSeconds
        row.objectivesMet = run.objectivesMet
        return row
    }

    /// The order `runs(scenario:)` lists runs in: newest first, by id among runs started together.
    public static func newestFirst(_ a: RunRecord, _ b: RunRecord) -> Bool {
        (a.startedWallNs, a.id) > (b.startedWallNs, b.id)
    }
}
