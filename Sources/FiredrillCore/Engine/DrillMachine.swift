/// The drill as a pure state machine: each recorded event goes in with the instant it
/// happened, and the actions to perform come out. No clock, no sleeping, no I/O, so a
/// run's events replayed through a new machine rebuild its state exactly.
public struct DrillMachine: Hashable, Sendable {
    public let scenario: Scenario
    public internal(set) var state = RunState()

    public init(scenario: Scenario) {
        self.scenario = scenario
        if let canary = scenario.canary { state.canary = RunState.Canary(every: canary.every) }
    }

    /// Rebuilds a machine from a run's recorded events.
    public static func replay(_ scenario: Scenario, events: [(DrillEvent, DrillInstant)]) -> DrillMachine {
        var machine = DrillMachine(scenario: scenario)
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
            return enter(.setup, at: now)
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
            state.status = .waiting
            return []
        case .runResumed(let runner):
            state.runners.append(runner)
            state.status = .running
            return []
        case .runEnded(let status):
            state.status = status
            state.stage = .ended
            state.endedAt = now
            state.current = nil
            return []
        }
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
                if !action.isInjecting { actions.append(.perform(current.ref, attempt: attempt, action: action, deadline: deadline)) }
            case .polling(let polling):
                actions.append(.sampleProbe(current.ref, attempt: polling.attempt, sample: polling.sample, action: polling.action, at: now))
                if let deadline = polling.deadline { actions.append(.armDeadline(current.ref, attempt: polling.attempt, at: deadline)) }
            case .awaitingOperator(let attempt, let instructions, let deadline):
                actions.append(.awaitOperator(current.ref, attempt: attempt, instructions: instructions))
                if let deadline { actions.append(.armDeadline(current.ref, attempt: attempt, at: deadline)) }
            }
        }
        return actions + finishIfDone(at: now)
    }

    /// The attempt dispatched with no recorded result whose action changes the system.
    public var inDoubt: (ref: StepRef, attempt: Int, action: ResolvedAction)? {
        if let current = state.current, case .performing(let attempt, let action, _) = current.progress, action.isInjecting {
            return (current.ref, attempt, action)
        }
        return nil
    }

    /// The manual step waiting on an operator, if any.
    public var awaitingOperator: (ref: StepRef, step: Step, instructions: String)? {
        guard let current = state.current, case .awaitingOperator(_, let instructions, _) = current.progress,
              let step = step(current.ref) else { return nil }
        return (current.ref, step, instructions)
    }
}

extension ResolvedAction {
    /// Whether performing it again could change the system twice.
    public var isInjecting: Bool {
        switch self {
        case .run, .shell, .kill: true
        case .http(let http): !["GET", "HEAD", "OPTIONS"].contains(http.method.uppercased())
        case .tcp, .sleep: false
        }
    }
}
