/// Something the machine asks the executor to do. Plain data: the executor performs
/// it and feeds the outcome back as a `DrillEvent`.
public enum DrillAction: Hashable, Sendable {
    /// Wait until `at`, resolve the step's `${...}`, record `attemptStarted`.
    case startAttempt(StepRef, attempt: Int, at: DrillInstant)
    /// Call the driver; record `attemptFinished`.
    case perform(StepRef, attempt: Int, action: ResolvedAction, deadline: DrillInstant?)
    /// Wait until `at`, run one probe of a `wait_for`; record `probeSampled`.
    case sampleProbe(StepRef, attempt: Int, sample: Int, action: ResolvedAction, at: DrillInstant)
    /// Ask an operator to confirm a manual step; record `operatorConfirmed` (or suspend the run).
    case awaitOperator(StepRef, attempt: Int, instructions: String)
    /// Record `deadlinePassed` at `at` unless cancelled first.
    case armDeadline(StepRef, attempt: Int, at: DrillInstant)
    /// Wait until `at`, perform canary write `seq`; record `canaryWritten`.
    case writeCanary(seq: Int, at: DrillInstant)
    /// Perform the canary read; record `canaryRead`.
    case readCanary
    /// Wait until `at`, poll guard `guardIndex`; record `guardSampled`.
    case sampleGuard(guardIndex: Int, sample: Int, at: DrillInstant)
    /// Record `maxDurationPassed` at `at`.
    case armMaxDuration(at: DrillInstant)
    /// Create the scenario's Alertmanager silence; record `silenceCreated`.
    case createSilence
    /// Expire silence `id`; record `silenceExpired`.
    case expireSilence(id: String)
    /// Call notifier `notifier` about `trigger`; record `notificationSent`.
    case notify(notifier: Int, trigger: NotifyTrigger)
    /// Record `attemptFinished` (cancelled, with `reason`) for a call lost with an earlier orchestrator.
    case abandon(StepRef, attempt: Int, startedAt: DrillInstant, reason: String)
    /// Stop an activity started by an earlier action; its outcome is still recorded.
    case cancel(ActivityID)
    /// Record `runEnded` with this status.
    case finish(RunStatus)
    /// The run waits on an operator with nobody at a terminal: mark it waiting, give up the
    /// lease, and stop here until `firedrill confirm` carries it on.
    case suspend
}

/// Names a unit of in-flight work, so the machine can cancel it.
public enum ActivityID: Hashable, Sendable, CustomStringConvertible {
    /// The wait before an attempt, the driver call, or the operator wait.
    case attempt(StepRef, Int)
    case sample(StepRef, Int, Int)
    case deadline(StepRef, Int)
    case canaryWrite(Int)
    case canaryRead
    case guardSample(Int, Int)
    case maxDuration
    case notification(Int, NotifyTrigger)
    case silence

    public var description: String {
        switch self {
        case .attempt(let ref, let n): "attempt \(ref)#\(n)"
        case .sample(let ref, let n, let s): "sample \(ref)#\(n).\(s)"
        case .deadline(let ref, let n): "deadline \(ref)#\(n)"
        case .canaryWrite(let seq): "canary write \(seq)"
        case .canaryRead: "canary read"
        case .guardSample(let g, let s): "guard \(g) sample \(s)"
        case .maxDuration: "max duration"
        case .notification(let n, let trigger): "notifier \(n) \(trigger.rawValue)"
        case .silence: "silence"
        }
    }
}

extension DrillAction {
    /// The activity this action starts, if it starts one.
    public var activity: ActivityID? {
        switch self {
        case .startAttempt(let ref, let n, _), .perform(let ref, let n, _, _), .awaitOperator(let ref, let n, _), .abandon(let ref, let n, _, _):
            .attempt(ref, n)
        case .sampleProbe(let ref, let n, let s, _, _): .sample(ref, n, s)
        case .armDeadline(let ref, let n, _): .deadline(ref, n)
        case .writeCanary(let seq, _): .canaryWrite(seq)
        case .readCanary: .canaryRead
        case .sampleGuard(let g, let s, _): .guardSample(g, s)
        case .armMaxDuration: .maxDuration
        case .notify(let n, let trigger): .notification(n, trigger)
        case .createSilence, .expireSilence: .silence
        case .cancel, .finish, .suspend: nil
        }
    }
}
