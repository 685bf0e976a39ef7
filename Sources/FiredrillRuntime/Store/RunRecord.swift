import FiredrillCore

/// One drill run as stored: what ran (the scenario's text and hash), when, and how it ended.
public struct RunRecord: Hashable, Sendable {
    public var id: String
    public var scenario: String
    public var title: String?
    public var scenarioPath: String
    public var scenarioText: String
    public var scenarioSHA256: String
    public var status: RunStatus
    public var startedWallNs: Int64
    public var startedMonoNs: Int64
    public var bootID: String
    public var endedWallNs: Int64?
    public var rtoSeconds: Double?
    public var rpoSeconds: Double?
    public var objectivesMet: Bool?
    /// The process currently driving the run (a lease), if any.
    public var runner: RunnerLease?
    public var varsJSON: String
    /// The audit chain's latest hash and how many events it links (kept by the store).
    public var headHash: String?
    public var eventCount: Int

    public init(id: String, scenario: String, title: String?, scenarioPath: String, scenarioText: String, scenarioSHA256: String,
                status: RunStatus, startedWallNs: Int64, startedMonoNs: Int64, bootID: String, endedWallNs: Int64? = nil,
                rtoSeconds: Double? = nil, rpoSeconds: Double? = nil, objectivesMet: Bool? = nil,
                runner: RunnerLease? = nil, varsJSON: String = "{}", headHash: String? = nil, eventCount: Int = 0) {
        self.id = id
        self.scenario = scenario
        self.title = title
        self.scenarioPath = scenarioPath
        self.scenarioText = scenarioText
        self.scenarioSHA256 = scenarioSHA256
        self.status = status
        self.startedWallNs = startedWallNs
        self.startedMonoNs = startedMonoNs
        self.bootID = bootID
        self.endedWallNs = endedWallNs
        self.rtoSeconds = rtoSeconds
        self.rpoSeconds = rpoSeconds
        self.objectivesMet = objectivesMet
        self.runner = runner
        self.varsJSON = varsJSON
        self.headHash = headHash
        self.eventCount = eventCount
    }
}

/// An event as recorded: its place in the run's log and both clocks.
public struct RecordedEvent: Hashable, Sendable {
    public var seq: Int
    public var event: DrillEvent
    /// On the run's timeline (what the machine is fed).
    public var at: DrillInstant
    /// CLOCK_MONOTONIC, for durations.
    public var monoNs: Int64
    /// CLOCK_REALTIME, for people.
    public var wallNs: Int64
    public init(seq: Int, event: DrillEvent, at: DrillInstant, monoNs: Int64, wallNs: Int64) {
        self.seq = seq
        self.event = event
        self.at = at
        self.monoNs = monoNs
        self.wallNs = wallNs
    }
}

/// A message for a live run from another process (an operator's confirmation, an abort).
/// The run's own orchestrator turns it into an event, so one writer keeps the log's order.
public struct InboxMessage: Hashable, Sendable, Codable {
    public var id: Int64
    public var runID: String
    public var event: DrillEvent
    public init(id: Int64, runID: String, event: DrillEvent) {
        self.id = id
        self.runID = runID
        self.event = event
    }
}

/// Where runs and their event logs live.
public protocol RunStore: Sendable {
    /// Creates the run held by `run.runner` with its first event, in one transaction. Refuses
    /// (`LeaseError.scenarioBusy`) while another run of the same scenario is unfinished.
    func createRun(_ run: RunRecord, first: RecordedEvent) throws
    /// Makes `lease` the run's runner. A live holder on this host refuses; a holder gone from
    /// this host is replaced; a holder on another host is replaced only with `force`
    /// (`RunnerLease.takeOver`). Returns the holder replaced, if any.
    @discardableResult
    func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease?
    /// Gives the run up, if `pid` holds it.
    func releaseLease(_ runID: String, pid: Int32) throws
    /// Appends durably (the call returns once the events survive a crash), in one transaction,
    /// each linked into the run's hash chain and projected onto its row (`RunProjection`).
    /// Sequence numbers must follow on without a gap.
    func append(_ events: [RecordedEvent], to runID: String) throws
    func events(of runID: String) throws -> [RecordedEvent]
    /// The run's events in order, each handed to `body` as it is read and not kept: a long
    /// run's log is read in bounded memory. An error `body` throws ends the read and is rethrown.
    func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws
    /// The run's events as the chain links them (payload as stored, previous hash, hash), in order, for `verify`.
    func chain(of runID: String) throws -> [AuditChain.Link]
    func run(_ id: String) throws -> RunRecord?
    /// Newest first (`RunProjection.newestFirst`).
    func runs(scenario: String?) throws -> [RunRecord]
    /// Sets the run's status, end and figures (`RunProjection.updated`); the rest of its row is the store's.
    func updateRun(_ run: RunRecord) throws
    func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws
    /// A run's end in one write: `updateRun`, `saveMeasurement`, and with `releasingLeaseOf` a
    /// `releaseLease` (SQLite: one transaction, one fsync, where it was three).
    func finishRun(_ run: RunRecord, measurement: DrillMeasurement, marks: [Mark], releasingLeaseOf pid: Int32?) throws
    func post(_ event: DrillEvent, to runID: String) throws
    func inbox(of runID: String) throws -> [InboxMessage]
    func deleteInbox(_ ids: [Int64]) throws
    /// Signs the run's current head in one transaction with reading the latest signature's
    /// digest, which the new one links to; returns what was stored.
    @discardableResult
    func appendSignature(runID: String, sign: (_ eventCount: Int, _ headHash: String, _ previousDigest: String) -> HeadSignature) throws
        -> HeadSignature
    /// Signed heads in the order they were signed; of one run, or of every run.
    func signatures(runID: String?) throws -> [HeadSignature]
    /// Adds (or replaces) rows for processes a step in flight has running; written when they
    /// start, so an orchestrator taking the run over after a crash can kill them.
    func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws
    /// Drops the rows of one call (it ended), or of the whole run (`activity` nil: they were killed).
    /// Appending an attempt's `attempt_finished` drops that attempt's rows too, in its transaction.
    func clearStepProcesses(_ runID: String, activity: String?) throws
    func stepProcesses(of runID: String) throws -> [StepProcess]
}

extension RunStore {
    /// The three writes one after the other, for a store without transactions of its own.
    public func finishRun(_ run: RunRecord, measurement: DrillMeasurement, marks: [Mark], releasingLeaseOf pid: Int32?) throws {
        try updateRun(run)
        try saveMeasurement(runID: run.id, measurement: measurement, marks: marks)
        if let pid { try releaseLease(run.id, pid: pid) }
    }

    /// Finds a run by full id or a unique prefix of it.
    public func findRun(_ idOrPrefix: String) throws -> RunRecord? {
        if let exact = try run(idOrPrefix) { return exact }
        let matches = try runs(scenario: nil).filter { $0.id.hasPrefix(idOrPrefix) }
        return matches.count == 1 ? matches[0] : nil
    }
}
