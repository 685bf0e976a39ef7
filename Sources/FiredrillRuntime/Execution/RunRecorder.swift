import FiredrillCore
import Synchronization

/// Writes a run's events to its record: masked, stamped with both clocks, numbered, durable
/// before anything acts on them. Events the machine decides one after the other with nothing
/// started in between (a step's end and the next step's start) may be staged and written
/// together by `flush()`, in one transaction, before what they imply starts. The one part of an
/// executor another thread may call (a second SIGINT stops the run at once through
/// `interruptNow`), so its state sits behind a mutex.
public final class RunRecorder: Sendable {
    public let runID: String
    let store: any RunStore
    let clock: any DrillClock
    let timeline: RunTimeline
    /// Masks the scenario's secrets in everything recorded or shown.
    let redactor: Redactor
    let leasePID: Int32

    struct State {
        var nextSeq = 1
        /// The instant of the event last recorded: the run's time never goes back past it.
        var lastAt: DrillInstant = .start
        /// The wall clock of the event last recorded: the run's end is its `run_ended`'s, as the chain has it.
        var lastWallNs: Int64 = 0
        var interrupted = false
        /// `run_ended` is recorded: nothing follows it, an interruption included.
        var ended = false
        /// Stamped (and applied by the machine) but not yet written; `flush()` writes them.
        /// Numbered and timed on from the last of them.
        var staged: [RecordedEvent] = []

        var headSeq: Int { staged.last.map { $0.seq + 1 } ?? nextSeq }
        var headAt: DrillInstant { staged.last?.at ?? lastAt }
    }
    let state = Mutex(State())

    /// Why an event was not written; the executor adds what is owed.
    struct Failure: Error {
        var description: String
    }

    init(runID: String, store: any RunStore, clock: any DrillClock, timeline: RunTimeline, redactor: Redactor, leasePID: Int32) {
        self.runID = runID
        self.store = store
        self.clock = clock
        self.timeline = timeline
        self.redactor = redactor
        self.leasePID = leasePID
    }

    /// Of the last event stamped, written or staged: what the machine has seen.
    var lastAt: DrillInstant { state.withLock { $0.headAt } }
    var lastWallNs: Int64 { state.withLock { $0.lastWallNs } }

    /// Never before the last event recorded: a wall clock set back across a reboot does not
    /// turn the run's time back, nor reopen a deadline.
    func now() -> DrillInstant { max(timeline.instant(clock.now()), lastAt) }

    /// Carries on after the events already in the record.
    func continueAfter(_ last: RecordedEvent?) {
        state.withLock {
            $0.nextSeq = (last?.seq ?? 0) + 1
            $0.lastAt = last?.at ?? .start
            if let last { $0.lastWallNs = last.wallNs }
        }
    }

    /// The event as it will be recorded: secrets masked, both clocks read.
    func stamp(_ event: DrillEvent, reading: ClockReading) throws(Failure) -> RecordedEvent {
        try state.withLock { state throws(Failure) in try stamp(event, reading: reading, state) }
    }

    private func stamp(_ event: DrillEvent, reading: ClockReading, _ state: State) throws(Failure) -> RecordedEvent {
        guard let masked = redactor.isEmpty ? event : redactor.redact(event) else {
            throw Failure(description: "a '\(event.type)' event could not be masked for secrets, so it was not recorded")
        }
        return RecordedEvent(seq: state.headSeq, event: masked, at: max(timeline.instant(reading), state.headAt), monoNs: reading.monoNs,
                             wallNs: reading.wallNs)
    }

    /// Notes that `recorded` is in the record (the run's first event, written with the run).
    func recorded(_ recorded: RecordedEvent) {
        state.withLock { advance(&$0, past: recorded) }
    }

    private func advance(_ state: inout State, past recorded: RecordedEvent) {
        if case .runEnded = recorded.event { state.ended = true }
        state.nextSeq = recorded.seq + 1
        state.lastWallNs = recorded.wallNs
        state.lastAt = recorded.at
    }

    /// Records an event durably: the order Temporal's history keeps, record then apply.
    func record(_ event: DrillEvent) throws -> RecordedEvent {
        let recorded = try stage(event)
        try flush()
        return recorded
    }

    /// Stamps an event for the next `flush()`. The caller may apply it, but starts nothing it
    /// implies (a command, a request, a cancel, a message) before the flush has returned.
    func stage(_ event: DrillEvent) throws -> RecordedEvent {
        try state.withLock { state in
            guard !state.interrupted else { throw ExecutorError.interrupted(runID: runID) }
            let recorded = try stamp(event, reading: clock.now(), state)
            state.staged.append(recorded)
            return recorded
        }
    }

    /// Writes the staged events in one transaction: durable (fsync'd) when it returns. If the
    /// write fails none of them is recorded, and the run stops on the error.
    func flush() throws {
        try state.withLock { state in
            guard !state.staged.isEmpty else { return }
            let batch = state.staged
            state.staged = []
            for recorded in batch { CrashPoint.check(.before, seq: recorded.seq) }
            do {
                try store.append(batch, to: runID)
            } catch {
                throw Failure(description: StoreError.describe(error, path: "the record").description)
            }
            for recorded in batch {
                CrashPoint.check(.after, seq: recorded.seq)
                advance(&state, past: recorded)
            }
        }
    }

    /// Stops at once (a second SIGINT): records that the run was interrupted, gives up the
    /// lease, and records nothing after. What is owed stays owed for `resume`.
    public func interruptNow(reason: String) {
        state.withLock { state in
            guard !state.interrupted, !state.ended else { return }
            state.interrupted = true
            // What was staged goes first, in the same transaction: the machine decided it, nothing acted on it yet.
            var batch = state.staged
            let ending = batch.contains { if case .runEnded = $0.event { true } else { false } }
            if !ending, let recorded = try? stamp(.runInterrupted(reason: reason), reading: clock.now(), state) {
                batch.append(recorded)
            }
            state.staged = []
            if (try? store.append(batch, to: runID)) != nil {
                for recorded in batch { advance(&state, past: recorded) }
            }
            try? store.releaseLease(runID, pid: leasePID)
        }
    }
}
