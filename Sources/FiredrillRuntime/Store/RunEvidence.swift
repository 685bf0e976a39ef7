import Crypto
import FiredrillCore
import Foundation

/// A run as its hash-chained events tell it. The runs table is a projection anyone with the
/// file can edit without breaking a link; everything a report prints (the scenario and its
/// hash, the start and end, the status, every figure) comes from here instead, and `verify`
/// names each place where the projection disagrees.
public struct RunEvidence: Sendable {
    /// The run's row with every value the chain holds taken from the chain.
    public var run: RunRecord
    /// The row as stored.
    public var stored: RunRecord
    public var scenario: Scenario
    public var machine: DrillMachine
    public var measurement: DrillMeasurement
    /// What the lists show of the run, by replay (`RunSummary` reads it from the end instead).
    public var headline: RunHeadline
    /// Whether event 1 carries the scenario text (runs recorded before it did are checked less).
    public var scenarioInChain: Bool
    /// Where the projection (or the scenario's own hash) disagrees with the chain, in words.
    public var differences: [String]

    public var vars: [String: String] { machine.state.started?.vars ?? [:] }

    /// Reads the run's events as they stream from the store, keeping none of them: the
    /// replayed machine keeps what reports show of its probe samples, not the samples (unless
    /// an odd record needs them: then it is read again, keeping them).
    public static func load(_ run: RunRecord, from store: any RunStore) throws -> RunEvidence {
        try load(run) { reading in try store.forEachEvent(of: run.id) { try reading.add($0) } }
    }

    public init(run stored: RunRecord, events: [RecordedEvent]) throws(EvidenceError) {
        func read(keepsSamples: Bool) throws(EvidenceError) -> Reading {
            let reading = Reading(stored, keepsSamples: keepsSamples)
            for event in events { try reading.add(event) }
            return reading
        }
        var reading = try read(keepsSamples: false)
        if reading.needsEverySample { reading = try read(keepsSamples: true) }
        self = try reading.evidence()
    }

    /// Every run of `runs` as its chain tells it, from one read of every event (`each` gets a
    /// run's evidence, or why it could not be had). A run whose replay needs its samples kept is
    /// read again on its own; a run with no events is said to have none.
    public static func loadEvery(_ runs: [RunRecord], from store: any DrillStore,
                                 each: (RunRecord, Result<RunEvidence, any Error>) -> Void) throws {
        let byID = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var seen: Set<String> = []
        var current: (run: RunRecord, reading: Reading, failed: (any Error)?)?
        func finish() {
            guard let done = current else { return }
            current = nil
            if let failed = done.failed { return each(done.run, .failure(failed)) }
            if done.reading.needsEverySample { return each(done.run, Result { try load(done.run, from: store) }) }
            each(done.run, Result { try done.reading.evidence() })
        }
        try store.forEachEventOfEveryRun { runID, recorded in
            if current?.run.id != runID {
                finish()
                guard let run = byID[runID] else { return }
                seen.insert(runID)
                current = (run, Reading(run, keepsSamples: false), nil)
            }
            guard current?.failed == nil, let reading = current?.reading else { return }
            do { try reading.add(recorded) } catch { current?.failed = error }
        }
        finish()
        for run in runs where !seen.contains(run.id) { each(run, .failure(Reading.notStarted(run))) }
    }

    /// `read` feeds every event of the run, in order, to the reading it is given; once more
    /// if the replay needs the samples kept.
    public static func load(_ run: RunRecord, read: (Reading) throws -> Void) throws -> RunEvidence {
        var reading = Reading(run, keepsSamples: false)
        try read(reading)
        if reading.needsEverySample {
            reading = Reading(run, keepsSamples: true)
            try read(reading)
        }
        return try reading.evidence()
    }

    /// A run's events folded in as they are read: the machine replayed, and what the checks
    /// against the projection need (the first event, the first `run_ended`, how many came
    /// after it, the first instant that went back). A class: a run's state is large, and is
    /// folded in place event by event.
    public final class Reading {
        let stored: RunRecord
        let keepsSamples: Bool
        var first: RecordedEvent?
        var started: RunStarted?
        var scenario: Scenario?
        var machine: DrillMachine?
        var ended: RecordedEvent?
        var afterEnd = 0
        var last: (seq: Int, at: DrillInstant)?
        var wentBack: (from: (seq: Int, at: DrillInstant), to: (seq: Int, at: DrillInstant))?

        init(_ stored: RunRecord, keepsSamples: Bool) {
            self.stored = stored
            self.keepsSamples = keepsSamples
        }

        public func add(_ recorded: RecordedEvent) throws(EvidenceError) {
            if first == nil { try begin(with: recorded) }
            _ = machine?.apply(recorded.event, at: recorded.at)
            if ended != nil {
                afterEnd += 1
            } else if case .runEnded = recorded.event {
                ended = recorded
            }
            if let last, wentBack == nil, recorded.at < last.at { wentBack = (last, (recorded.seq, recorded.at)) }
            last = (recorded.seq, recorded.at)
        }

        func begin(with first: RecordedEvent) throws(EvidenceError) {
            guard case .runStarted(let started) = first.event else { throw Self.notStarted(stored) }
            let text = started.scenarioText ?? stored.scenarioText
            let path = started.scenarioPath ?? stored.scenarioPath
            let scenario = try Self.parsed(text: text, path: path, runID: stored.id)
            self.first = first
            self.started = started
            self.scenario = scenario
            machine = DrillMachine(scenario: scenario, keepsSamples: keepsSamples)
        }

        var needsEverySample: Bool { machine?.state.needsEverySample == true }

        /// Scenarios parsed from recorded texts, by text and path: a history of thousands of runs
        /// of a few scenarios parses each text once.
        nonisolated(unsafe) static var parsedScenarios: [String: Scenario] = [:]
        static let parsedLock = NSLock()

        static func parsed(text: String, path: String, runID: String) throws(EvidenceError) -> Scenario {
            let key = path + "\u{0}" + text
            parsedLock.lock()
            let known = parsedScenarios[key]
            parsedLock.unlock()
            if let known { return known }
            let directory = (path as NSString).deletingLastPathComponent
            let parsed = ScenarioLoader.parse(text: text, file: path, baseDirectory: directory, fileExists: { _ in true })
            guard let scenario = parsed.scenario else {
                throw EvidenceError(description: "the scenario recorded with run \(runID) no longer parses: \(parsed.findings.first?.description ?? "")")
            }
            parsedLock.lock()
            if parsedScenarios.count >= 256 { parsedScenarios.removeAll() }
            parsedScenarios[key] = scenario
            parsedLock.unlock()
            return scenario
        }

        static func notStarted(_ stored: RunRecord) -> EvidenceError { notStarted(id: stored.id) }

        public static func notStarted(id: String) -> EvidenceError {
            EvidenceError(description: "run \(id): its first event is not run_started: the log was cut or replaced")
        }

        func evidence() throws(EvidenceError) -> RunEvidence {
            guard let first, let started, let scenario, let machine else { throw Self.notStarted(stored) }
            return RunEvidence(stored, first: first, started: started, scenario: scenario, machine: machine, ended: ended,
                               afterEnd: afterEnd, wentBack: wentBack)
        }
    }

    init(_ stored: RunRecord, first: RecordedEvent, started: RunStarted, scenario: Scenario, machine: DrillMachine, ended: RecordedEvent?,
         afterEnd: Int, wentBack: (from: (seq: Int, at: DrillInstant), to: (seq: Int, at: DrillInstant))?) {
        self.stored = stored
        var differences: [String] = []
        let text = started.scenarioText ?? stored.scenarioText
        scenarioInChain = started.scenarioText != nil
        self.scenario = scenario
        self.machine = machine
        measurement = DrillMeasurement(scenario: scenario, state: machine.state)

        let headline = RunHeadline(scenario: started.scenario, status: machine.state.status, measurement: measurement)
        self.headline = headline
        var run = stored.anchored(to: [first])
        run.scenario = started.scenario
        run.scenarioText = text
        run.scenarioPath = started.scenarioPath ?? stored.scenarioPath
        run.scenarioSHA256 = started.scenarioSHA256
        run.status = headline.status
        run.endedWallNs = ended?.wallNs
        run.rtoSeconds = ended == nil ? nil : headline.rto?.value.seconds
        run.rpoSeconds = ended == nil ? nil : headline.rpo?.value.seconds
        run.objectivesMet = ended == nil ? nil : headline.objectivesMet
        self.run = run

        func differ(_ column: String, _ projected: String, _ chained: String) {
            differences.append("runs.\(column) is \(projected) but the chain says \(chained)")
        }
        if stored.scenario != run.scenario { differ("scenario", "'\(stored.scenario)'", "'\(run.scenario)'") }
        if stored.scenarioSHA256 != run.scenarioSHA256 { differ("scenario_sha256", stored.scenarioSHA256, run.scenarioSHA256) }
        if stored.startedWallNs != run.startedWallNs {
            differ("started_wall_ns", WallTime.iso8601(stored.startedWallNs), WallTime.iso8601(run.startedWallNs) + " (event 1)")
        }
        if stored.startedMonoNs != run.startedMonoNs { differ("started_mono_ns", "\(stored.startedMonoNs)", "\(run.startedMonoNs) (event 1)") }
        if stored.status != run.status { differ("status", stored.status.rawValue, run.status.rawValue) }
        if stored.bootID != run.bootID { differ("boot_id", stored.bootID, run.bootID + " (event 1)") }
        // Nothing is recorded after a run's end: its end notifications report before it.
        if let ended, afterEnd > 0 {
            differences.append("\(afterEnd) event\(afterEnd == 1 ? "" : "s") after run_ended (event \(ended.seq)): a run records nothing once it has ended")
        }
        if scenarioInChain {
            if stored.scenarioText != text {
                differences.append("runs.scenario_text differs from the scenario text recorded in event 1 (\(Self.firstDifference(stored.scenarioText, text)))")
            }
            let hash = AuditChain.hex(SHA256.hash(data: Array(text.utf8)))
            if hash != started.scenarioSHA256 {
                differences.append("the scenario text in event 1 hashes to \(hash), not to the scenario SHA-256 the run recorded (\(started.scenarioSHA256))")
            }
            // The run's time never goes back from one event to the next (the executor keeps it so).
            if let back = wentBack {
                differences.append("event \(back.to.seq)'s instant (\(back.to.at)) is before event \(back.from.seq)'s (\(back.from.at)): the run's time went back")
            }
            // Figures and the end are compared only where this version wrote them from the chain.
            if let ended {
                if stored.endedWallNs != ended.wallNs {
                    differ("ended_wall_ns", stored.endedWallNs.map(WallTime.iso8601) ?? "empty", WallTime.iso8601(ended.wallNs) + " (run_ended)")
                }
                if !Self.same(stored.rtoSeconds, run.rtoSeconds) { differ("rto_seconds", Self.text(stored.rtoSeconds), Self.text(run.rtoSeconds)) }
                if !Self.same(stored.rpoSeconds, run.rpoSeconds) { differ("rpo_seconds", Self.text(stored.rpoSeconds), Self.text(run.rpoSeconds)) }
                if stored.objectivesMet != run.objectivesMet {
                    differ("objectives_met", stored.objectivesMet.map { "\($0)" } ?? "empty", run.objectivesMet.map { "\($0)" } ?? "empty")
                }
                // The headline the end recorded is what `history` reads: it must be what the events give.
                if case .runEnded(_, let recorded?) = ended.event, recorded != headline {
                    differences.append("the headline run_ended (event \(ended.seq)) recorded differs from what the run's events give: "
                        + recorded.differences(from: headline).joined(separator: "; "))
                }
            }
        }
        self.differences = differences
    }

    static func same(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): abs(a - b) < 1e-9
        default: false
        }
    }

    static func text(_ seconds: Double?) -> String { seconds.map { String(format: "%.3fs", $0) } ?? "empty" }

    /// "line 12" of the first line that differs, to point a reader at the edit.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, pair) in zip(left, right).enumerated() where pair.0 != pair.1 {
            return "first at line \(index + 1): '\(pair.0.prefix(60))' in the table, '\(pair.1.prefix(60))' in the chain"
        }
        return "they differ in length: \(left.count) and \(right.count) lines"
    }
}

public struct EvidenceError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension RunRecord {
    /// The run's timeline as its first event recorded it: start on both clocks, and the boot.
    /// Deadlines are instants on it, so a start moved in the runs table must move nothing.
    public func anchored(to events: [RecordedEvent]) -> RunRecord {
        guard let first = events.first, case .runStarted(let started) = first.event else { return self }
        var run = self
        run.startedWallNs = first.wallNs
        run.startedMonoNs = first.monoNs
        if let boot = started.bootID { run.bootID = boot }
        return run
    }
}
