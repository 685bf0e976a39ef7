/// A fact recorded in a run's event log. Events are appended before they are applied;
/// replaying them through `DrillMachine` rebuilds the run's state exactly.
public enum DrillEvent: Hashable, Sendable {
    case runStarted(RunStarted)
    /// Recorded before a driver is called: an attempt with no result is in doubt.
    case attemptStarted(AttemptStarted)
    case attemptFinished(AttemptFinished)
    case probeSampled(ProbeSampled)
    case deadlinePassed(ref: StepRef, attempt: Int)
    case operatorConfirmed(OperatorConfirmation)
    case canaryWritten(CanaryWritten)
    case canaryRead(CanaryRead)
    case abortRequested(by: String, reason: String)
    /// The orchestrator stopped while the run waits on an operator.
    case runSuspended(reason: String)
    /// Another orchestrator process took the run over from its record.
    case runResumed(RunnerIdentity)
    /// The run's end, with its headline as its events give it then (nil in runs recorded
    /// before it was kept): `history` reads it from here, `verify` checks it by replay.
    case runEnded(RunStatus, headline: RunHeadline? = nil)
    /// One poll of a guard.
    case guardSampled(GuardSampled)
    /// The drill-wide `max_duration` ran out.
    case maxDurationPassed
    /// On resume, an injecting attempt was found in doubt: an operator must decide.
    case runHalted(RunHalted)
    /// An operator's decision about an attempt in doubt.
    case operatorResolved(Resolution)
    /// The orchestrator was told to stop at once (a second SIGINT); what is owed stays owed.
    case runInterrupted(reason: String)
    /// A notifier was called (or failed to be): never fatal.
    case notificationSent(NotificationSent)
    /// The drill's Alertmanager silence was created (with its id) or could not be.
    case silenceCreated(SilenceResult)
    /// The silence was expired at the end of the run (or could not be).
    case silenceExpired(SilenceResult)

    /// The name stored in the `type` column and the JSON `type` field.
    public var type: String {
        switch self {
        case .runStarted: "run_started"
        case .attemptStarted: "attempt_started"
        case .attemptFinished: "attempt_finished"
        case .probeSampled: "probe_sampled"
        case .deadlinePassed: "deadline_passed"
        case .operatorConfirmed: "operator_confirmed"
        case .canaryWritten: "canary_written"
        case .canaryRead: "canary_read"
        case .abortRequested: "abort_requested"
        case .runSuspended: "run_suspended"
        case .runResumed: "run_resumed"
        case .runEnded: "run_ended"
        case .guardSampled: "guard_sampled"
        case .maxDurationPassed: "max_duration_passed"
        case .runHalted: "run_halted"
        case .operatorResolved: "operator_resolved"
        case .runInterrupted: "run_interrupted"
        case .notificationSent: "notification_sent"
        case .silenceCreated: "silence_created"
        case .silenceExpired: "silence_expired"
        }
    }
}

public struct RunnerIdentity: Hashable, Sendable, Codable {
    public var pid: Int32
    public var host: String
    public init(pid: Int32, host: String) {
        self.pid = pid
        self.host = host
    }
}

public struct RunStarted: Hashable, Sendable, Codable {
    public var scenario: String
    public var scenarioSHA256: String
    public var firedrillVersion: String
    /// Variables as resolved for this run (environment values are not copied here).
    public var vars: [String: String]
    public var participants: [Participant]
    public var runner: RunnerIdentity
    /// The scenario exactly as read, inside the chain so it cannot be edited unseen (nil in
    /// runs recorded before it was chained).
    public var scenarioText: String?
    public var scenarioPath: String?
    /// The boot the run's timeline was started in: within it the timeline is the monotonic clock.
    public var bootID: String?
    /// The project's alert priorities, for a scenario that writes none (`--priorities`).
    public var priorities: [PriorityRule]?

    public init(scenario: String, scenarioSHA256: String, firedrillVersion: String, vars: [String: String],
                participants: [Participant] = [], runner: RunnerIdentity, scenarioText: String? = nil, scenarioPath: String? = nil,
                bootID: String? = nil, priorities: [PriorityRule]? = nil) {
        self.priorities = priorities
        self.bootID = bootID
        self.scenario = scenario
        self.scenarioSHA256 = scenarioSHA256
        self.firedrillVersion = firedrillVersion
        self.vars = vars
        self.participants = participants
        self.runner = runner
        self.scenarioText = scenarioText
        self.scenarioPath = scenarioPath
    }
}

public struct Participant: Hashable, Sendable, Codable {
    public var name: String
    public var role: String
    public init(name: String, role: String) {
        self.name = name
        self.role = role
    }
}

public struct AttemptStarted: Hashable, Sendable, Codable {
    public var ref: StepRef
    public var attempt: Int
    /// What will be performed, with `${...}` resolved; nil for manual steps or when resolution failed.
    public var action: ResolvedAction?
    /// For manual steps: the instructions shown to the operator.
    public var instructions: String?
    /// Set when the step could not be resolved (an environment variable missing at run time).
    public var resolutionError: String?

    public init(ref: StepRef, attempt: Int, action: ResolvedAction? = nil, instructions: String? = nil, resolutionError: String? = nil) {
        self.ref = ref
        self.attempt = attempt
        self.action = action
        self.instructions = instructions
        self.resolutionError = resolutionError
    }
}

public struct AttemptFinished: Hashable, Sendable, Codable {
    public var ref: StepRef
    public var attempt: Int
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(ref: StepRef, attempt: Int, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.ref = ref
        self.attempt = attempt
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

public struct ProbeSampled: Hashable, Sendable, Codable {
    public var ref: StepRef
    public var attempt: Int
    public var sample: Int
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(ref: StepRef, attempt: Int, sample: Int, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.ref = ref
        self.attempt = attempt
        self.sample = sample
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

public struct OperatorConfirmation: Hashable, Sendable, Codable {
    public var ref: StepRef
    public var by: String
    public var note: String?
    public init(ref: StepRef, by: String, note: String? = nil) {
        self.ref = ref
        self.by = by
        self.note = note
    }
}

public struct CanaryWritten: Hashable, Sendable, Codable {
    public var seq: Int
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(seq: Int, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.seq = seq
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

public struct CanaryRead: Hashable, Sendable, Codable {
    /// The last integer in the read's output: the highest sequence number that survived.
    public var highestSeq: Int?
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(highestSeq: Int?, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.highestSeq = highestSeq
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// The last run of digits in `text`, as `read` defines the surviving sequence number.
    /// The last whole, non-negative number in the text: a digit run that is not part of a
    /// negative number (`-5`) or a decimal (`2.5`, `1.2`), whose digits alone would name a
    /// sequence number never written.
    public static func lastInteger(in text: String) -> Int? {
        let chars = Array(text.unicodeScalars)
        func isDigit(_ i: Int) -> Bool { chars.indices.contains(i) && chars[i].isASCII && ("0"..."9").contains(chars[i]) }
        var end = chars.count - 1
        while end >= 0 {
            guard isDigit(end) else { end -= 1; continue }
            var start = end
            while isDigit(start - 1) { start -= 1 }
            let negative = start > 0 && chars[start - 1] == "-"
            let fraction = start > 1 && chars[start - 1] == "." && isDigit(start - 2)
            let whole = end + 2 < chars.count + 1 && end + 1 < chars.count && chars[end + 1] == "." && isDigit(end + 2)
            if !negative && !fraction && !whole {
                return Int(String(String.UnicodeScalarView(chars[start...end])))
            }
            end = start - 1
        }
        return nil
    }
}

public struct GuardSampled: Hashable, Sendable, Codable {
    /// Index into the scenario's `guards`.
    public var guardIndex: Int
    public var sample: Int
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(guardIndex: Int, sample: Int, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.guardIndex = guardIndex
        self.sample = sample
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

public struct NotificationSent: Hashable, Sendable, Codable {
    /// Index into the scenario's `notify`.
    public var notifier: Int
    public var trigger: NotifyTrigger
    public var report: DriverReport
    public var startedAt: DrillInstant
    public var endedAt: DrillInstant
    public init(notifier: Int, trigger: NotifyTrigger, report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) {
        self.notifier = notifier
        self.trigger = trigger
        self.report = report
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

public struct SilenceResult: Hashable, Sendable, Codable {
    public var id: String?
    public var report: DriverReport
    public init(id: String?, report: DriverReport) {
        self.id = id
        self.report = report
    }
}

public struct RunHalted: Hashable, Sendable, Codable {
    public var ref: StepRef
    public var attempt: Int
    public var reason: String
    public init(ref: StepRef, attempt: Int, reason: String) {
        self.ref = ref
        self.attempt = attempt
        self.reason = reason
    }
}

/// What an operator decided about an attempt in doubt.
public struct Resolution: Hashable, Sendable, Codable {
    public enum Decision: String, Hashable, Sendable, Codable, CaseIterable {
        /// It did not happen (or may safely happen again): run the step again.
        case retry
        /// It happened: count the step as done and carry on.
        case skip
        /// Stop the drill here and roll back what ran.
        case rollback
    }
    public var ref: StepRef
    public var attempt: Int
    public var decision: Decision
    public var by: String
    public var note: String?
    public init(ref: StepRef, attempt: Int, decision: Decision, by: String, note: String? = nil) {
        self.ref = ref
        self.attempt = attempt
        self.decision = decision
        self.by = by
        self.note = note
    }
}

public enum RunStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// In progress.
    case running
    /// Stopped while a manual step waits on an operator.
    case waiting
    /// Every phase ran to its end (steps allowed to fail with `on_failure: continue` are
    /// deviations, not failures) and steady state was restored.
    case completed
    /// Every phase ran but steady state was not restored afterwards.
    case deviated
    /// A step failed (or steady state did not hold before the drill); owed rollbacks ran.
    case failed
    /// Stopped on request; owed rollbacks ran.
    case aborted
    /// Resumed after a crash with an injecting step in doubt: `firedrill resolve` decides.
    case halted
    /// Stopped at once (a second SIGINT) or its orchestrator died: `firedrill resume` carries it on.
    case interrupted

    /// Whether the run is over for good.
    public var isFinal: Bool { [.completed, .deviated, .failed, .aborted].contains(self) }
    /// Ran all its phases (objectives met or not): the drill a schedule's period asks for.
    /// A failed or aborted drill was not held.
    public var heldTheDrill: Bool { self == .completed || self == .deviated }
}

extension DrillEvent: Codable {
    private enum Key: String, CodingKey {
        case type, payload, ref, attempt, by, reason, status, headline
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "run_started": self = .runStarted(try c.decode(RunStarted.self, forKey: .payload))
        case "attempt_started": self = .attemptStarted(try c.decode(AttemptStarted.self, forKey: .payload))
        case "attempt_finished": self = .attemptFinished(try c.decode(AttemptFinished.self, forKey: .payload))
        case "probe_sampled": self = .probeSampled(try c.decode(ProbeSampled.self, forKey: .payload))
        case "deadline_passed":
            self = .deadlinePassed(ref: try c.decode(StepRef.self, forKey: .ref), attempt: try c.decode(Int.self, forKey: .attempt))
        case "operator_confirmed": self = .operatorConfirmed(try c.decode(OperatorConfirmation.self, forKey: .payload))
        case "canary_written": self = .canaryWritten(try c.decode(CanaryWritten.self, forKey: .payload))
        case "canary_read": self = .canaryRead(try c.decode(CanaryRead.self, forKey: .payload))
        case "abort_requested":
            self = .abortRequested(by: try c.decode(String.self, forKey: .by), reason: try c.decode(String.self, forKey: .reason))
        case "run_suspended": self = .runSuspended(reason: try c.decode(String.self, forKey: .reason))
        case "run_resumed": self = .runResumed(try c.decode(RunnerIdentity.self, forKey: .payload))
        case "run_ended":
            self = .runEnded(try c.decode(RunStatus.self, forKey: .status), headline: try c.decodeIfPresent(RunHeadline.self, forKey: .headline))
        case "guard_sampled": self = .guardSampled(try c.decode(GuardSampled.self, forKey: .payload))
        case "max_duration_passed": self = .maxDurationPassed
        case "run_halted": self = .runHalted(try c.decode(RunHalted.self, forKey: .payload))
        case "operator_resolved": self = .operatorResolved(try c.decode(Resolution.self, forKey: .payload))
        case "run_interrupted": self = .runInterrupted(reason: try c.decode(String.self, forKey: .reason))
        case "notification_sent": self = .notificationSent(try c.decode(NotificationSent.self, forKey: .payload))
        case "silence_created": self = .silenceCreated(try c.decode(SilenceResult.self, forKey: .payload))
        case "silence_expired": self = .silenceExpired(try c.decode(SilenceResult.self, forKey: .payload))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type '\(type)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .runStarted(let p): try c.encode(p, forKey: .payload)
        case .attemptStarted(let p): try c.encode(p, forKey: .payload)
        case .attemptFinished(let p): try c.encode(p, forKey: .payload)
        case .probeSampled(let p): try c.encode(p, forKey: .payload)
        case .deadlinePassed(let ref, let attempt):
            try c.encode(ref, forKey: .ref)
            try c.encode(attempt, forKey: .attempt)
        case .operatorConfirmed(let p): try c.encode(p, forKey: .payload)
        case .canaryWritten(let p): try c.encode(p, forKey: .payload)
        case .canaryRead(let p): try c.encode(p, forKey: .payload)
        case .abortRequested(let by, let reason):
            try c.encode(by, forKey: .by)
            try c.encode(reason, forKey: .reason)
        case .runSuspended(let reason): try c.encode(reason, forKey: .reason)
        case .runResumed(let p): try c.encode(p, forKey: .payload)
        case .runEnded(let status, let headline):
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(headline, forKey: .headline)
        case .guardSampled(let p): try c.encode(p, forKey: .payload)
        case .maxDurationPassed: break
        case .runHalted(let p): try c.encode(p, forKey: .payload)
        case .operatorResolved(let p): try c.encode(p, forKey: .payload)
        case .runInterrupted(let reason): try c.encode(reason, forKey: .reason)
        case .notificationSent(let p): try c.encode(p, forKey: .payload)
        case .silenceCreated(let p), .silenceExpired(let p): try c.encode(p, forKey: .payload)
        }
    }
}
