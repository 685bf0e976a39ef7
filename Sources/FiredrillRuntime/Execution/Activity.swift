import FiredrillCore

/// What one child of the executor's task group does, as plain values prepared on the loop:
/// the child never reads the machine, the scope or the run, which only the loop changes.
enum Activity: Sendable {
    /// Waits until `at` on the run's clock, then hands `then` back (an attempt's start, a deadline, `max_duration`).
    case wake(at: DrillInstant, then: DrillExecutor.Completion)
    /// A step's action, within its deadline.
    case perform(StepRef, attempt: Int, ResolvedAction, deadline: DrillInstant?)
    /// One sample of a `wait_for` probe, due at `at`.
    case sampleProbe(StepRef, attempt: Int, sample: Int, ResolvedAction, at: DrillInstant)
    /// A manual step at a terminal: shows the instructions and waits for a person.
    case askOperator(StepRef, step: String, instructions: String)
    /// One canary write, due at `at`.
    case writeCanary(seq: Int, at: DrillInstant, Prepared)
    /// The canary's read after the restore, tried twice more `every` apart if it fails.
    case readCanary(Prepared, every: DrillDuration)
    /// One poll of a guard, due at `at`; it must answer before the next poll is.
    case sampleGuard(guardIndex: Int, sample: Int, at: DrillInstant, Prepared, every: DrillDuration)
    /// A notification or a silence call, made as plain HTTP within 10 s.
    case call(Result<ResolvedHTTP, PreparationFailure>, Call)
    /// An outcome known when it was dispatched (an attempt abandoned, or too late to send).
    case finished(DrillEvent)

    /// An action resolved on the loop, or why it could not be.
    typealias Prepared = Result<ResolvedAction, PreparationFailure>

    /// Which event a call's report becomes.
    enum Call: Sendable {
        case notification(Int, NotifyTrigger)
        case createSilence
        case expireSilence(String)
    }
}

/// Why an action could not be prepared (an unresolved reference, no such notifier).
struct PreparationFailure: Error, CustomStringConvertible, Sendable {
    var description: String
}
