extension DrillMachine {
    /// An event the run's state cannot explain (a step the scenario lacks, an attempt begun with
    /// nothing to do): a bug or an edited record. Unlike a stale event, dropping it could leave
    /// the run waiting forever, so it is an internal-error deviation and the run goes to its
    /// rollbacks, the way an abort does. Nothing crashes in the middle of a drill.
    mutating func impossible(_ what: String, at now: DrillInstant) -> [DrillAction] {
        let message = "internal error: \(what)"
        state.deviations.append(.init(at: now, ref: state.current?.ref, message: message))
        // Already rolling back or tearing down: said, and the run carries on.
        guard state.abort == nil, [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage) else { return [] }
        let actions = abortRequested(by: "firedrill", reason: message, at: now)
        state.outcome = .failed
        return actions
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
