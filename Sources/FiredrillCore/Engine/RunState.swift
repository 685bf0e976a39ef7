/// Everything the machine knows about a run: derived from its events alone.
public struct RunState: Hashable, Sendable {
    public enum Stage: String, Hashable, Sendable, Codable {
        case notStarted, setup, steadyBefore, phases, steadyAfter, rollback, teardown, ended
    }

    /// The current step's progress. Each case carries what that moment needs.
    public enum StepProgress: Hashable, Sendable {
        /// `startAttempt` issued; waiting for `attemptStarted`.
        case scheduled(attempt: Int, at: DrillInstant)
        /// A driver call is in flight.
        case performing(attempt: Int, action: ResolvedAction, deadline: DrillInstant?)
        /// A `wait_for` is sampling its probe.
        case polling(Polling)
        case awaitingOperator(attempt: Int, instructions: String, deadline: DrillInstant?)
    }

    public struct Polling: Hashable, Sendable {
        public var attempt: Int
        public var action: ResolvedAction
        public var startedAt: DrillInstant
        public var deadline: DrillInstant?
        public var sample: Int
        public var streak: Int
        public var streakStart: DrillInstant?
        /// End of the streak's first sample: that probe saw the change somewhere between its start and its end.
        public var streakFirstEnd: DrillInstant?
        /// Start of the latest sample that did not give the expected result.
        public var lastOpposite: DrillInstant?
    }

    public struct Current: Hashable, Sendable {
        public var ref: StepRef
        public var progress: StepProgress
    }

    public struct Attempt: Hashable, Sendable {
        public var ref: StepRef
        public var stepName: String
        public var attempt: Int
        public var action: ResolvedAction?
        public var startedAt: DrillInstant
        public var endedAt: DrillInstant?
        public var verdict: DriverReport.Verdict?
        public var summary: String?
        public var report: DriverReport?
        /// For `wait_for`: how many probes it took.
        public var samples: Int
        public var confirmation: OperatorConfirmation?
    }

    public struct Sample: Hashable, Sendable {
        public var ref: StepRef
        public var attempt: Int
        public var sample: Int
        public var passed: Bool
        public var startedAt: DrillInstant
        public var endedAt: DrillInstant
        public var summary: String
    }

    /// A compensation owed because something ran: run in reverse order on failure or abort.
    public struct LedgerEntry: Hashable, Sendable {
        public var step: Step
        /// The step whose dispatch made it owed; nil for scenario-level rollbacks.
        public var owedFor: StepRef?
        public var registeredAt: DrillInstant
    }

    public struct CanaryWrite: Hashable, Sendable {
        public var seq: Int
        public var acknowledged: Bool
        public var startedAt: DrillInstant
        public var endedAt: DrillInstant
        public var summary: String
    }

    public struct Canary: Hashable, Sendable {
        public var every: DrillDuration
        public var startedAt: DrillInstant?
        /// The write scheduled or in flight, if any.
        public var outstanding: Int?
        public var nextSeq: Int = 1
        /// Grid slot of the latest scheduled write: writes keep the period even when recording is slow.
        public var slot: Int = 0
        public var stopped = false
        public var stoppedAt: DrillInstant?
        public var writes: [CanaryWrite] = []
        public var readRequested = false
        public var read: CanaryRead?
    }

    public struct Abort: Hashable, Sendable {
        public var by: String
        public var reason: String
        public var at: DrillInstant
    }

    /// Something that did not go to plan, in the order it happened.
    public struct Deviation: Hashable, Sendable {
        public var at: DrillInstant
        public var ref: StepRef?
        public var message: String
    }

    /// One guard's polling: samples keep to its period's grid from `startedAt`.
    public struct GuardState: Hashable, Sendable {
        public var startedAt: DrillInstant
        /// The sample scheduled or in flight, if any.
        public var outstanding: Int?
        public var nextSample = 1
        public var slot = 0
        /// Failures in a row.
        public var streak = 0
        public var samples = 0
        public var failures = 0
        public var stopped = false
    }

    public struct GuardTrip: Hashable, Sendable {
        public var guardIndex: Int
        public var name: String
        public var at: DrillInstant
        public var summary: String
    }

    /// An injecting attempt found in doubt on resume, waiting for `firedrill resolve`.
    public struct Halt: Hashable, Sendable {
        public var ref: StepRef
        public var attempt: Int
        public var reason: String
        public var at: DrillInstant
    }

    public struct ResolutionRecord: Hashable, Sendable {
        public var resolution: Resolution
        public var at: DrillInstant
    }

    /// How the run stands, as one value: a run cannot be halted and draining, or ended and halted.
    public enum Course: Hashable, Sendable {
        case running
        /// An in-flight attempt was cancelled (an abort); the run goes to `to` once it reports.
        case draining(to: Stage)
        /// An injecting attempt was in doubt on resume; the run waits for `firedrill resolve`.
        case halted(Halt)
        /// Teardown is done; the run ends once the canary, the silence and the notifications
        /// settle. `endNotified`: the end notifications were asked for.
        case finishing(endNotified: Bool)
        case ended(RunStatus)
    }

    /// Whether an orchestrator is carrying the run on, apart from its course.
    public enum Presence: Hashable, Sendable {
        case carriedOn
        /// Suspended at a manual step with nobody at a terminal, until `firedrill confirm`.
        case waiting
        /// Stopped at once (a second signal), until `firedrill resume`.
        case interrupted
    }

    /// The status a run ends with once its rollbacks and teardown are done.
    public enum Outcome: String, Hashable, Sendable {
        case completed, deviated, failed, aborted
        public var status: RunStatus {
            switch self {
            case .completed: .completed
            case .deviated: .deviated
            case .failed: .failed
            case .aborted: .aborted
            }
        }
    }

    public var stage: Stage = .notStarted
    public var course: Course = .running
    public var presence: Presence = .carriedOn
    public var started: RunStarted?
    public var startedAt: DrillInstant?
    public var endedAt: DrillInstant?
    public var current: Current?
    public var outcome: Outcome = .completed

    /// The run's status, as the runs table and the commands show it.
    public var status: RunStatus {
        // An interruption is the last thing that happened to a halted run until a resume (the
        // runs table's projection reads it the same way).
        switch (course, presence) {
        case (.ended(let status), _): status
        case (_, .interrupted): .interrupted
        case (_, .waiting): .waiting
        case (.halted, .carriedOn): .halted
        case (_, .carriedOn): .running
        }
    }
    public var halt: Halt? { if case .halted(let halt) = course { halt } else { nil } }
    /// Where the run goes once the in-flight attempt that was cancelled reports back.
    public var drainingTo: Stage? { if case .draining(let stage) = course { stage } else { nil } }
    public var finishRequested: Bool {
        switch course {
        case .finishing, .ended: true
        case .running, .draining, .halted: false
        }
    }
    /// The end notifications were asked for: the run finishes once they report.
    public var endNotified: Bool {
        switch course {
        case .finishing(let notified): notified
        case .ended: true
        case .running, .draining, .halted: false
        }
    }
    public var failureReason: String?
    public var abort: Abort?
    public var ledger: [LedgerEntry] = []
    public var rollbackOrder: [Int] = []
    public var marks: [Mark] = []
    public var attempts: [Attempt] = []
    /// Every probe sample, in the order recorded, when the machine keeps them (`keepsSamples`:
    /// a live run's progress shows each against the one before); empty otherwise.
    public var samples: [Sample] = []
    /// Each sampled step's samples summed up, in the order first sampled: kept either way.
    public internal(set) var probeSeries: [ProbeSeries] = []
    var probeSeriesIndex: [StepRef: Int] = [:]
    var probeHistory = ProbeHistory()
    /// A machine that does not keep its samples met a question only they answer (a record
    /// whose probes of one attempt started out of order): replay it keeping them.
    public internal(set) var needsEverySample = false
    public var canary: Canary?
    public var confirmations: [(OperatorConfirmation, DrillInstant)] { attempts.compactMap { a in a.confirmation.map { ($0, a.endedAt ?? a.startedAt) } } }
    public var deviations: [Deviation] = []
    public var suspensions: [DrillInstant] = []
    public var runners: [RunnerIdentity] = []
    /// Steps that ran to success, by ref, with their last attempt's end.
    public var stepsPassed: Set<StepRef> = []
    public var stepsFailed: Set<StepRef> = []
    public var guards: [GuardState] = []
    public var guardTrip: GuardTrip?
    public var maxDurationPassedAt: DrillInstant?
    public var resolutions: [ResolutionRecord] = []
    public var interruptions: [DrillInstant] = []
    /// Notifications asked for and not yet reported.
    public var notificationsPending: Set<NotificationKey> = []
    public var notifications: [NotificationSent] = []
    public var silence = SilenceState()
    /// Each inventory a `backups` step read, in order; `${backups.*}` name the latest.
    public var inventories: [InventoryTaken] = []
    /// Each restore a `restores:` step did, and what verified it.
    public var restores: [RestoreTaken] = []
    /// Every alert the probes and guards saw, once each (by fingerprint, or labels and start).
    public var alertsSeen: [AlertSighting] = []

    /// The drill's Alertmanager silence: asked for once setup has passed, expired as teardown starts.
    public struct SilenceState: Hashable, Sendable {
        public var creating = false
        public var created: SilenceResult?
        public var expiring = false
        public var expired: SilenceResult?
        /// Steady state passed while the silence was still being created: the phases, where the
        /// faults are injected, start once it is (or once creating it failed).
        public var phasesWaiting = false
        /// Nothing more to wait for before the run may end.
        public var settled: Bool { !creating && !expiring }
    }

    public struct NotificationKey: Hashable, Sendable {
        public var notifier: Int
        public var trigger: NotifyTrigger
    }

    /// Ledger entries (by index) still to run: those a rollback in progress has not reached,
    /// or the whole ledger when the run failed or was aborted before its rollback started.
    public var rollbacksOwed: [Int] {
        switch stage {
        case .rollback:
            return rollbackOrder.filter { !stepsPassed.contains(.rollback($0)) && !stepsFailed.contains(.rollback($0)) }
        case .setup, .steadyBefore, .phases, .steadyAfter:
            return abort != nil || outcome == .failed ? Array(ledger.indices.reversed()) : []
        case .notStarted, .teardown, .ended:
            return []
        }
    }

    public func mark(_ name: String) -> Mark? { marks.first { $0.name == name } }
}

/// A named instant of the drill (`disaster`, `detected`, `recovered`) with its bounds:
/// the event happened somewhere in `lower...upper`; `at` is the instant the format defines.
public struct Mark: Hashable, Sendable, Codable {
    public var name: String
    public var at: DrillInstant
    public var lower: DrillInstant
    public var upper: DrillInstant
    public var ref: StepRef
    /// For a `wait_for` mark, the spacing achieved between the probes that bound the change:
    /// the period asked for, or more when a probe ran longer than it.
    public var probeInterval: DrillDuration?
    /// The period the step asked for, when the spacing achieved was wider.
    public var probePeriod: DrillDuration?
    public init(name: String, at: DrillInstant, lower: DrillInstant, upper: DrillInstant, ref: StepRef, probeInterval: DrillDuration? = nil,
                probePeriod: DrillDuration? = nil) {
        self.name = name
        self.at = at
        self.lower = lower
        self.upper = upper
        self.ref = ref
        self.probeInterval = probeInterval
        self.probePeriod = probePeriod
    }
}
