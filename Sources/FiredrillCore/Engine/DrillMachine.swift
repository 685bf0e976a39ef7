/// The drill as a pure state machine: each recorded event goes in with the instant it
/// happened, and the actions to perform come out. No clock, no sleeping, no I/O, so a
/// run's events replayed through a new machine rebuild its state exactly.
public struct DrillMachine: Hashable, Sendable {
    public let scenario: Scenario
    public internal(set) var state = RunState()
    /// Whether `state.samples` keeps every probe sample. A report's replay does not: what it
    /// shows of them is in `state.probeSeries`, 8 bytes a sample.
    public let keepsSamples: Bool

    public init(scenario: Scenario, keepsSamples: Bool = true) {
        self.scenario = scenario
        self.keepsSamples = keepsSamples
        if let canary = scenario.canary { state.canary = RunState.Canary(every: canary.every) }
    }

    /// Rebuilds a machine from a run's recorded events.
    public static func replay(_ scenario: Scenario, events: [(DrillEvent, DrillInstant)], keepsSamples: Bool = true) -> DrillMachine {
        var machine = DrillMachine(scenario: scenario, keepsSamples: keepsSamples)
        for (event, at) in events { _ = machine.apply(event, at: at) }
        return machine
    }

    public mutating func apply(_ event: DrillEvent, at now: DrillInstant) -> [DrillAction] {
        guard state.stage != .ended else { return [] }
        switch event {
        case .runStarted(let started):
            guard state.stage == .notStarted else { return [] }
            state.started = started
            state.startedAt = now
            state.runners.append(started.runner)
            let deadline: [DrillAction] = scenario.maxDuration.map { [.armMaxDuration(at: now + $0)] } ?? []
            return notify(.start) + deadline + enter(.setup, at: now)
        case .attemptStarted(let started):
            return attemptStarted(started, at: now)
        case .attemptFinished(let finished):
            return attemptFinished(finished, at: now)
        case .probeSampled(let sampled):
            return probeSampled(sampled, at: now)
        case .deadlinePassed(let ref, let attempt):
            return deadlinePassed(ref, attempt: attempt, at: now)
        case .operatorConfirmed(let confirmation):
            return operatorConfirmed(confirmation, at: now)
        case .canaryWritten(let written):
            return canaryWritten(written, at: now)
        case .canaryRead(let read):
            state.canary?.read = read
            return finishIfDone(at: now)
        case .abortRequested(let by, let reason):
            return abortRequested(by: by, reason: reason, at: now)
        case .runSuspended:
            state.suspensions.append(now)
            state.presence = .waiting
            return [.suspend]
        case .runResumed(let runner):
            state.runners.append(runner)
            state.presence = .carriedOn
            return []
        case .runEnded(let status, _):
            state.course = .ended(status)
            state.stage = .ended
            state.endedAt = now
            state.current = nil
            return []
        case .guardSampled(let sampled):
            return guardSampled(sampled, at: now)
        case .maxDurationPassed:
            return maxDurationPassed(at: now)
        case .runHalted(let halted):
            state.course = .halted(.init(ref: halted.ref, attempt: halted.attempt, reason: halted.reason, at: now))
            return []
        case .operatorResolved(let resolution):
            return operatorResolved(resolution, at: now)
        case .runInterrupted:
            state.interruptions.append(now)
            state.presence = .interrupted
            return []
        case .notificationSent(let sent):
            return notificationSent(sent, at: now)
        case .silenceCreated(let result):
            return silenceCreated(result, at: now)
        case .silenceExpired(let result):
            return silenceExpired(result, at: now)
        }
    }

    /// What a process taking the run over from its record does first: carry on, or halt
    /// because an injecting attempt is in doubt and the step is not marked idempotent.
    public enum ResumePlan: Hashable, Sendable {
        case carryOn([DrillAction])
        case halt(RunHalted)
    }

    public func resumePlan(at now: DrillInstant) -> ResumePlan {
        if let halt = state.halt {
            return .halt(RunHalted(ref: halt.ref, attempt: halt.attempt, reason: halt.reason))
        }
        if let doubt = inDoubt {
            let name = step(doubt.ref)?.name ?? doubt.ref.description
            return .halt(RunHalted(ref: doubt.ref, attempt: doubt.attempt, reason:
                "step '\(name)' (\(doubt.action.summary)) was dispatched but no result was recorded: it may or may not have run, and it is not marked idempotent"))
        }
        return .carryOn(rearm(at: now))
    }

    /// What must be (re)started to carry on from the current state, for a process that
    /// takes a run over from its record. An injecting attempt dispatched with no recorded
    /// result is in doubt and is not re-run: `inDoubt` names it.
    public func rearm(at now: DrillInstant) -> [DrillAction] {
        guard state.stage != .ended else { return [] }
        var actions: [DrillAction] = []
        if let canary = state.canary {
            if let seq = canary.outstanding { actions.append(.writeCanary(seq: seq, at: now)) }
            if canary.readRequested, canary.read == nil { actions.append(.readCanary) }
        }
        if let current = state.current {
            switch current.progress {
            case .scheduled(let attempt, let at):
                actions.append(.startAttempt(current.ref, attempt: attempt, at: at))
            case .performing(let attempt, let action, let deadline):
                if state.drainingTo != nil {
                    // An abort was waiting for this call to report; it never will now.
                    let startedAt = state.attempts.last { $0.ref == current.ref && $0.attempt == attempt }?.startedAt ?? now
                    actions.append(.abandon(current.ref, attempt: attempt, startedAt: startedAt,
                                            reason: "lost: the call was in flight when the orchestrator stopped, during an abort"))
                } else if !isInDoubtIfLost(current.ref, action) {
                    actions.append(.perform(current.ref, attempt: attempt, action: action, deadline: deadline))
                }
            case .polling(let polling):
                actions.append(.sampleProbe(current.ref, attempt: polling.attempt, sample: polling.sample, action: polling.action, at: now))
                if let deadline = polling.deadline { actions.append(.armDeadline(current.ref, attempt: polling.attempt, at: deadline)) }
            case .awaitingOperator(let attempt, let instructions, let deadline):
                actions.append(.awaitOperator(current.ref, attempt: attempt, instructions: instructions))
                if let deadline { actions.append(.armDeadline(current.ref, attempt: attempt, at: deadline)) }
            }
        }
        if state.silence.creating { actions.append(.createSilence) }
        if state.silence.expiring, let id = state.silence.created?.id { actions.append(.expireSilence(id: id)) }
        for key in state.notificationsPending.sorted(by: { ($0.notifier, $0.trigger.rawValue) < ($1.notifier, $1.trigger.rawValue) }) {
            actions.append(.notify(notifier: key.notifier, trigger: key.trigger))
        }
        for (index, guardState) in state.guards.enumerated() where !guardState.stopped {
            if let sample = guardState.outstanding { actions.append(.sampleGuard(guardIndex: index, sample: sample, at: now)) }
        }
        if let max = scenario.maxDuration, let startedAt = state.startedAt, state.maxDurationPassedAt == nil,
           [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage) {
            actions.append(.armMaxDuration(at: startedAt + max))
        }
        // Whether the run was done but for recording its end (the end notifications, if any,
        // were asked for in the same transition and are re-issued above).
        var copy = self
        let finish = copy.finishIfDone(at: now).filter { if case .finish = $0 { true } else { false } }
        return actions + finish
    }

    /// The attempt dispatched with no recorded result whose action changes the system.
    public var inDoubt: (ref: StepRef, attempt: Int, action: ResolvedAction)? {
        if let current = state.current, case .performing(let attempt, let action, _) = current.progress,
           isInDoubtIfLost(current.ref, action), state.drainingTo == nil {
            return (current.ref, attempt, action)
        }
        return nil
    }

    /// Whether a dispatched call whose result was lost must not simply be run again: it may
    /// change the system, it is not a steady-state probe, and its step is not marked idempotent.
    func isInDoubtIfLost(_ ref: StepRef, _ action: ResolvedAction) -> Bool {
        switch ref {
        case .steadyBefore, .steadyAfter: return false
        default: return action.isInjecting && step(ref)?.idempotent != true
        }
    }

    /// The manual step waiting on an operator, if any.
    public var awaitingOperator: (ref: StepRef, step: Step, instructions: String)? {
        guard let current = state.current, case .awaitingOperator(_, let instructions, _) = current.progress,
              let step = step(current.ref) else { return nil }
        return (current.ref, step, instructions)
    }
}
