/// Deadlines judged against the clock before anything is dispatched. A deadline's own timer
/// may not have fired yet (it races the inbox, a terminal's answer, a scheduled start), or may
/// belong to a process that died: a confirmation, a decision or a resume that comes after the
/// instant must find it passed, so the run goes to its rollbacks and never injects late.
extension DrillMachine {
    /// The deadline events due by `now`, in the order they fell, for the executor to record
    /// before whatever it was about to record.
    ///
    /// `abandoned`: no driver is running the call in flight (a process taking the run over, which
    /// has killed what the dead one left running). A call whose own deadline has passed then timed
    /// out, whatever an operator later says about it; with a driver, the driver says so itself.
    public func overdue(at now: DrillInstant, abandoned: Bool = false) -> [DrillEvent] {
        guard [.setup, .steadyBefore, .phases, .steadyAfter, .rollback, .teardown].contains(state.stage) else { return [] }
        var due: [(DrillInstant, DrillEvent)] = []
        if let current = state.current {
            switch current.progress {
            case .polling(let polling):
                if let deadline = polling.deadline, deadline <= now { due.append((deadline, .deadlinePassed(ref: current.ref, attempt: polling.attempt))) }
            case .awaitingOperator(let attempt, _, let deadline):
                if let deadline, deadline <= now { due.append((deadline, .deadlinePassed(ref: current.ref, attempt: attempt))) }
            case .performing(let attempt, _, let deadline?) where abandoned && deadline <= now:
                let startedAt = state.attempts.last { $0.ref == current.ref && $0.attempt == attempt }?.startedAt ?? deadline
                let report = DriverReport(verdict: .timedOut, summary:
                    "its deadline passed while no orchestrator was running it: it may or may not have taken effect; what it left running was killed")
                due.append((deadline, .attemptFinished(.init(ref: current.ref, attempt: attempt, report: report, startedAt: startedAt, endedAt: deadline))))
            case .scheduled, .performing:
                // A call in flight is bounded by its driver's deadline; `perform` past it is refused at dispatch.
                break
            }
        }
        if let max = scenario.maxDuration, let startedAt = state.startedAt, state.maxDurationPassedAt == nil, state.abort == nil,
           [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage), startedAt + max <= now {
            due.append((startedAt + max, .maxDurationPassed))
        }
        return due.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Whether an attempt's start is still what the machine waits for: a start that raced a
    /// deadline recorded just before it is dropped, not recorded as a dispatch.
    public func isScheduled(_ ref: StepRef, attempt: Int) -> Bool {
        guard let current = state.current, current.ref == ref, case .scheduled(let scheduled, _) = current.progress else { return false }
        return scheduled == attempt
    }
}

extension DrillEvent {
    /// When a driver's result was in: deadlines are judged against it, not against when the
    /// loop got round to it.
    public var observedAt: DrillInstant? {
        switch self {
        case .attemptFinished(let finished): finished.endedAt
        case .probeSampled(let sampled): sampled.endedAt
        case .guardSampled(let sampled): sampled.endedAt
        case .canaryWritten(let written): written.endedAt
        case .canaryRead(let read): read.endedAt
        case .notificationSent(let sent): sent.endedAt
        default: nil
        }
    }
}
