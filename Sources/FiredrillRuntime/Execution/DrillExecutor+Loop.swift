import FiredrillCore
import Foundation

extension DrillExecutor {
    /// What one child of the task group hands back to the loop.
    enum Completion: Sendable {
        /// An outcome to record, from the activity that produced it.
        case event(DrillEvent, ActivityID?)
        /// An attempt's start time came: resolve the step and record `attemptStarted`.
        case ready(StepRef, attempt: Int)
        /// Messages posted by other processes (confirmations, aborts).
        case inbox([InboxMessage])
        /// Cancelled before it did anything.
        case nothing(ActivityID?)
    }

    typealias Children = ThrowingTaskGroup<Completion, any Error>

    func drive(_ initial: [DrillAction]) async throws -> RunOutcome {
        try await withThrowingTaskGroup(of: Completion.self) { group in
            addInboxPoll(to: &group)
            do {
                try await loop(initial, in: &group)
            } catch {
                // Whoever runs this executor stopped it: as a second SIGINT does, at once, with
                // the rollbacks owed for `resume`, and the lease given back.
                if error is CancellationError { recorder.interruptNow(reason: "the orchestrator's task was cancelled: stopped at once") }
                // Nothing more is dispatched once the record cannot be written; stop what runs.
                for signal in signals.values { signal.fire() }
                group.cancelAll()
                try? store.releaseLease(run.id, pid: lease.pid)
                throw error
            }
            for signal in signals.values { signal.fire() }
            group.cancelAll()
            return outcome()
        }
    }

    func loop(_ initial: [DrillAction], in group: inout Children) async throws {
        // Events decided one after the other are written together, before what they imply starts:
        // `start`, `finish`, `.cancel` and `.suspend` write what is staged first, and so does the
        // wait for the next completion.
        dueAsRecorded = rollbacksDue()
        batching = true
        defer { batching = false }
        var pending = initial
        while true {
            var next = 0
            // Once the run is suspended nothing more starts: a resume re-arms what the state owes.
            while next < pending.count, !suspended {
                pending += try run(pending[next], in: &group)
                next += 1
            }
            try flush()
            if machine.state.stage == .ended || suspended { return }
            if let reason = suspension, !callsInFlight {
                // What was posted to this live runner is taken before it stops being live.
                let messages = try store.inbox(of: run.id)
                if !messages.isEmpty {
                    pending = try take(messages)
                    continue
                }
                suspension = nil
                // A confirmation from the inbox, or a deadline, may have carried the step on meanwhile.
                if machine.awaitingOperator != nil {
                    pending = try record(.runSuspended(reason: reason))
                    continue
                }
            }
            quiescence.waiting(true)
            let completion = try await group.next()
            quiescence.waiting(false)
            guard let completion else {
                try Task.checkCancellation()
                return
            }
            quiescence.received()
            // What came back is recorded first: a result already in is never left in doubt.
            pending = try receive(completion, in: &group)
            try Task.checkCancellation()
        }
    }

    /// The one place a decided action is carried out: on the loop for what changes the run
    /// itself (finish, cancel, suspend), as a child of the task group for what waits or calls
    /// out. Returns the actions that follow from what it recorded.
    func run(_ action: DrillAction, in group: inout Children) throws -> [DrillAction] {
        switch action {
        case .finish(let status):
            try finish(status)
            return []
        case .cancel(let id):
            if let signal = signals[id], !signal.isFired {
                try flush()
                signal.fire()
                quiescence.cancelling(+1)
            }
            return []
        case .suspend:
            try flush()
            run.status = .waiting
            try store.updateRun(run)
            try store.releaseLease(run.id, pid: lease.pid)
            suspended = true
            return []
        case .awaitOperator(let ref, _, let instructions):
            let name = machine.step(ref)?.name ?? ref.description
            guard console.isInteractive else {
                // Nobody to ask here: the run waits for `firedrill confirm`, unless a deadline passed first.
                let overdue = try recordOverdue().actions
                guard machine.awaitingOperator != nil else { return overdue }
                // It suspends once the calls under way (a notification, a silence) are back and on the
                // record, each within its own time limit; the inbox is read meanwhile, so a
                // confirmation posted to this live runner is taken here.
                suspension = "manual step '\(name)' waits for an operator: firedrill confirm \(run.id) --by NAME"
                return overdue
            }
            try start(action, .askOperator(ref, step: name, instructions: instructions), in: &group)
        case .startAttempt(let ref, let attempt, let at):
            // Due now (a step's first attempt): no timer to wait on, so its start is recorded
            // with the event that decided it, in one write.
            if at <= now() { return try ready(ref, attempt: attempt) }
            try start(action, .wake(at: at, then: .ready(ref, attempt: attempt)), in: &group)
        case .perform(let ref, let attempt, let resolved, let deadline):
            // No call starts past its deadline (a resume re-arming a step whose time ran out while
            // no orchestrator was there): it is recorded as timed out, never sent.
            if let deadline, deadline <= now() {
                let at = now()
                try start(action, .finished(.attemptFinished(.init(ref: ref, attempt: attempt, report: DriverReport(
                    verdict: .timedOut, summary: "its deadline passed before it could be dispatched, so it was not"),
                    startedAt: at, endedAt: at))), in: &group)
            } else {
                switch withSecrets(ref, resolved) {
                case .success(let actual): try start(action, .perform(ref, attempt: attempt, actual, deadline: deadline), in: &group)
                case .failure(let failure):
                    let at = now()
                    try start(action, .finished(.attemptFinished(.init(ref: ref, attempt: attempt, report: DriverReport(verdict: .error,
                        summary: failure.description), startedAt: at, endedAt: at))), in: &group)
                }
            }
        case .sampleProbe(let ref, let attempt, let sample, let resolved, let at):
            switch withSecrets(ref, resolved) {
            case .success(let actual): try start(action, .sampleProbe(ref, attempt: attempt, sample: sample, actual, at: at), in: &group)
            case .failure(let failure):
                try start(action, .finished(.probeSampled(.init(ref: ref, attempt: attempt, sample: sample, report: DriverReport(verdict: .error,
                    summary: failure.description), startedAt: at, endedAt: at))), in: &group)
            }
        case .armDeadline(let ref, let attempt, let at):
            try start(action, .wake(at: at, then: .event(.deadlinePassed(ref: ref, attempt: attempt), action.activity)), in: &group)
        case .armMaxDuration(let at):
            try start(action, .wake(at: at, then: .event(.maxDurationPassed, action.activity)), in: &group)
        case .writeCanary(let seq, let at):
            let prepared = prepare(scenario.canary?.write, what: "canary", scope: scope.with(canarySeq: seq))
            try start(action, .writeCanary(seq: seq, at: at, prepared), in: &group)
        case .readCanary:
            let prepared = prepare(scenario.canary?.read, what: "canary", scope: scope)
            try start(action, .readCanary(prepared, every: scenario.canary?.every ?? .milliseconds(200)), in: &group)
        case .sampleGuard(let index, let sample, let at):
            guard let spec = scenario.guards[safe: index] else { return [] }
            try start(action, .sampleGuard(guardIndex: index, sample: sample, at: at, prepare(spec.probe, what: "guard", scope: scope),
                                       every: spec.every), in: &group)
        case .notify(let index, let trigger):
            try start(action, .call(notification(index, trigger), .notification(index, trigger)), in: &group)
        case .createSilence:
            try start(action, .call(silenceRequest(), .createSilence), in: &group)
        case .expireSilence(let silenceID):
            try start(action, .call(expireRequest(silenceID), .expireSilence(silenceID)), in: &group)
        case .abandon(let ref, let attempt, let startedAt, let reason):
            try start(action, .finished(.attemptFinished(.init(ref: ref, attempt: attempt, report: DriverReport(verdict: .cancelled, summary: reason),
                                                           startedAt: startedAt, endedAt: now()))), in: &group)
        }
        return []
    }

    /// Takes one child's outcome in: what passed by the clock first, then the outcome itself.
    func receive(_ completion: Completion, in group: inout Children) throws -> [DrillAction] {
        switch completion {
        case .event(let event, let id):
            settle(id)
            let (actions, passed) = try recordOverdue(at: event.observedAt)
            // A deadline's own timer reporting what was just recorded for it adds nothing.
            return passed.contains(event) ? actions : actions + (try record(event))
        case .ready(let ref, let attempt):
            settle(.attempt(ref, attempt))
            return try ready(ref, attempt: attempt)
        case .inbox(let messages):
            addInboxPoll(to: &group)
            return try take(messages)
        case .nothing(let id):
            settle(id)
            return []
        }
    }

    /// Messages posted by other processes, recorded once and removed.
    func take(_ messages: [InboxMessage]) throws -> [DrillAction] {
        // The inbox poll and the read before a suspension can both hold one message: it is taken once.
        let messages = messages.filter { takenInbox.insert($0.id).inserted }
        guard !messages.isEmpty else { return [] }
        // What was decided before is written first: the record keeps its order.
        try flush()
        try store.deleteInbox(messages.map(\.id))
        // A confirmation posted after the step's deadline finds the deadline passed.
        var actions = try recordOverdue().actions
        for message in messages { actions += try record(message.event) }
        return actions
    }

    /// Whether a notification or a silence call is under way: a suspension waits for them.
    var callsInFlight: Bool {
        signals.keys.contains { id in
            switch id {
            case .notification, .silence: true
            default: false
            }
        }
    }

    /// An attempt's start time came: the deadlines that passed first, then its start, unless
    /// something decided since (an abort, a deadline) unscheduled it.
    func ready(_ ref: StepRef, attempt: Int) throws -> [DrillAction] {
        let actions = try recordOverdue().actions
        guard machine.isScheduled(ref, attempt: attempt) else { return actions }
        return actions + (try record(.attemptStarted(resolveAttempt(ref, attempt: attempt))))
    }

    /// A child is back: its signal goes, and a cancelled one is no longer on its way out.
    func settle(_ id: ActivityID?) {
        guard let id, let signal = signals.removeValue(forKey: id) else { return }
        if signal.isFired { quiescence.cancelling(-1) }
    }

    /// Starts `activity` for `action` as a child that a `.cancel` of its id stops, once what
    /// is staged is written: nothing starts on an event that is not in the record.
    func start(_ action: DrillAction, _ activity: Activity, in group: inout Children) throws {
        guard let id = action.activity else { return }
        try flush()
        let signal = CancellationSignal()
        signals[id] = signal
        let activities = activities()
        quiescence.started()
        group.addTask { await activities.race(id, against: signal, activity) }
    }

    func addInboxPoll(to group: inout Children) {
        let activities = activities()
        quiescence.started()
        group.addTask { await activities.pollInbox() }
    }

    /// What a child needs, as the loop has it now.
    func activities() -> Activities {
        Activities(driver: driver, clock: clock, console: console, store: store, timeline: timeline, runID: run.id, floor: recorder.lastAt,
                   limits: limits, defaultProbeTimeout: defaultProbeTimeout, inboxPollInterval: inboxPollInterval)
    }

    /// A canary or guard probe with its references resolved on the loop.
    func prepare(_ probe: Probe?, what: String, scope: VariableScope) -> Activity.Prepared {
        guard let probe else { return .failure(PreparationFailure(description: "no \(what) in this scenario")) }
        do { return .success(try scope.resolve(probe: probe)) } catch { return .failure(PreparationFailure(description: error.description)) }
    }

    /// Records the deadlines that have passed by the clock and the actions they imply.
    /// `at`: the instant to judge by (a driver's result by when it was in; default now).
    @discardableResult
    func recordOverdue(at instant: DrillInstant? = nil, abandoned: Bool = false) throws -> (actions: [DrillAction], recorded: [DrillEvent]) {
        var actions: [DrillAction] = []
        var recorded: [DrillEvent] = []
        // One at a time, earliest first: each may settle the next (a step timed out leaves the
        // phases, and max_duration then has nothing to abort).
        while let next = machine.overdue(at: instant ?? now(), abandoned: abandoned).first, !recorded.contains(next), recorded.count < 8 {
            recorded.append(next)
            actions += try record(next)
        }
        return (actions, recorded)
    }

    func finish(_ status: RunStatus) throws {
        // The headline goes into the chain with the end, so `history` need not replay every run;
        // the end changes no figure (`verify` checks the headline by replay).
        let measurement = DrillMeasurement(scenario: scenario, state: machine.state)
        try record(.runEnded(status, headline: RunHeadline(scenario: scenario.name, status: status, measurement: measurement)))
        try flush()
        run.status = status
        run.endedWallNs = recorder.lastWallNs
        run.rtoSeconds = measurement.rto?.value.seconds
        run.rpoSeconds = measurement.rpo?.span?.value.seconds
        run.objectivesMet = measurement.objectivesMet
        // One write for the projections and the lease; a signed head comes between the two.
        try store.finishRun(run, measurement: measurement, marks: machine.state.marks, releasingLeaseOf: signer == nil ? lease.pid : nil)
        if signer != nil {
            try signFinalHead()
            try store.releaseLease(run.id, pid: lease.pid)
        }
    }

    func resolveAttempt(_ ref: StepRef, attempt: Int) -> AttemptStarted {
        guard let step = machine.step(ref) else {
            return AttemptStarted(ref: ref, attempt: attempt, resolutionError: "no step at \(ref)")
        }
        do {
            let resolved = try scope.resolve(step: step)
            return AttemptStarted(ref: ref, attempt: attempt, action: resolved.action, instructions: resolved.instructions)
        } catch {
            return AttemptStarted(ref: ref, attempt: attempt, resolutionError: error.description)
        }
    }

    /// The machine holds actions as recorded, secrets masked; the driver gets them resolved
    /// again from the step, secrets and all. A step that no longer resolves is an error, never
    /// the masked action sent as if it were the real one.
    func withSecrets(_ ref: StepRef, _ masked: ResolvedAction) -> Result<ResolvedAction, PreparationFailure> {
        guard !redactor.isEmpty else { return .success(masked) }
        guard let step = machine.step(ref) else { return .failure(PreparationFailure(description: "no step at \(ref)")) }
        do {
            guard let actual = try scope.resolve(step: step).action else {
                return .failure(PreparationFailure(description: "step '\(step.name)' resolves to no action"))
            }
            return .success(actual)
        } catch {
            return .failure(PreparationFailure(description: error.description))
        }
    }
}
