extension DrillMachine {
    /// An event the run's state cannot explain (a step the scenario lacks, an attempt begun with
    /// nothing to do): a bug or an edited record. Unlike a stale event, dropping it could leave
    /// the run waiting forever, so it is an internal-error deviation and the run goes to its
    /// rollbacks, the way an abort does. Nothing crashes in the middle of a drill.
    /// `step`: the step the event named, when it is the current one (it cannot go on).
    mutating func impossible(_ what: String, step ref: StepRef? = nil, at now: DrillInstant) -> [DrillAction] {
        let message = "internal error: \(what)"
        state.deviations.append(.init(at: now, ref: state.current?.ref, message: message))
        // The named step is over: an abort does not wait for it to report.
        if let ref, state.current?.ref == ref { state.current = nil }
        if state.abort == nil, [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage) {
            let actions = abortRequested(by: "firedrill", reason: message, at: now)
            state.outcome = .failed
            return actions
        }
        // Already rolling back or tearing down: the named step counts as failed and the run
        // goes on to the next, so it never waits for a step that cannot run.
        guard let ref, state.current == nil, [.rollback, .teardown].contains(state.stage) else { return [] }
        state.stepsFailed.insert(ref)
        return advance(from: ref, at: now)
    }

    /// The current attempt cannot go on: it ends in error, and its step fails as any failed
    /// step does (its retries, then `on_failure`, then the rollbacks).
    mutating func impossibleAttempt(_ ref: StepRef, attempt: Int, _ what: String, at now: DrillInstant) -> [DrillAction] {
        let summary = "internal error: \(ref) attempt \(attempt) \(what)"
        state.deviations.append(.init(at: now, ref: ref, message: summary))
        recordEnd(ref, attempt: attempt, report: nil, verdict: .error, summary: summary, endedAt: now)
        return stepAttemptFailed(ref, attempt: attempt, summary: summary, verdict: .error, startedAt: now, endedAt: now, at: now)
    }
}
