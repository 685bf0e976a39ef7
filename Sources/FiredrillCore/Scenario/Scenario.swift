/// A drill scenario, as a team lead writes it (format v1). Values holding `${...}`
/// are kept as templates and resolved when the step runs.
public struct Scenario: Hashable, Sendable {
    public var formatVersion: Int
    public var name: String
    public var title: String?
    public var description: String?
    public var owner: String?
    /// As written, relative to the scenario file.
    public var runbook: String?
    public var tags: [String]
    public var objectives: Objectives
    /// In the order written; `--var` overrides by name.
    public var vars: [Variable]
    /// Steps that bring the system to where the drill starts; not measured, never rolled back.
    public var setup: [Step]
    public var steadyState: [Step]
    public var canary: Canary?
    public var phases: [Phase]
    public var rollback: [Step]
    /// Steps run last whatever happened (after rollbacks), to leave the machine clean.
    public var teardown: [Step]
    /// Environment variables read at run time as `${secret.NAME}`; their values are never recorded.
    public var secrets: [Secret]
    /// Probes polled while the phases run; one tripping aborts the drill and rolls it back.
    public var guards: [Guard]
    /// Past this long after the run started, the drill is aborted and rolled back.
    public var maxDuration: DrillDuration?
    /// Webhooks told when the drill starts, at the disaster and recovery, on abort and at the end.
    public var notify: [Notifier]
    /// An Alertmanager silence held for the drill's length, expired at its end.
    public var silence: Silence?
    /// When the drill is planned; `firedrill due` says when the next one is due.
    public var schedule: DrillSchedule?
    /// How alert labels map to P1, P2 and P3, and the priority the drill should cause.
    public var alerting: Alerting?
    public var location: SourceLocation

    public init(
        formatVersion: Int = 1, name: String, title: String? = nil, description: String? = nil,
        owner: String? = nil, runbook: String? = nil, tags: [String] = [], objectives: Objectives = .init(),
        vars: [Variable] = [], setup: [Step] = [], steadyState: [Step] = [], canary: Canary? = nil,
        phases: [Phase], rollback: [Step] = [], teardown: [Step] = [], secrets: [Secret] = [], guards: [Guard] = [],
        maxDuration: DrillDuration? = nil, notify: [Notifier] = [], silence: Silence? = nil, schedule: DrillSchedule? = nil,
        alerting: Alerting? = nil, location: SourceLocation = .synthesized()
    ) {
        self.alerting = alerting
        self.schedule = schedule
        self.formatVersion = formatVersion
        self.name = name
        self.title = title
        self.description = description
        self.owner = owner
        self.runbook = runbook
        self.tags = tags
        self.objectives = objectives
        self.vars = vars
        self.setup = setup
        self.steadyState = steadyState
        self.canary = canary
        self.phases = phases
        self.rollback = rollback
        self.teardown = teardown
        self.secrets = secrets
        self.guards = guards
        self.maxDuration = maxDuration
        self.notify = notify
        self.silence = silence
        self.location = location
    }
}

/// A silence created through the Alertmanager v2 API once setup has passed and expired as
/// teardown starts (aborted or not). `duration` bounds it in case the orchestrator dies.
public struct Silence: Hashable, Sendable, Codable {
    public struct Matcher: Hashable, Sendable, Codable {
        public var name: String
        public var value: Template
        public var isRegex: Bool
        public var isEqual: Bool
        public init(name: String, value: Template, isRegex: Bool = false, isEqual: Bool = true) {
            self.name = name
            self.value = value
            self.isRegex = isRegex
            self.isEqual = isEqual
        }
    }
    public var alertmanager: Template
    public var matchers: [Matcher]
    public var comment: Template?
    public var duration: DrillDuration?
    public var location: SourceLocation
    public init(alertmanager: Template, matchers: [Matcher], comment: Template? = nil, duration: DrillDuration? = nil,
                location: SourceLocation = .synthesized()) {
        self.alertmanager = alertmanager
        self.matchers = matchers
        self.comment = comment
        self.duration = duration
        self.location = location
    }
}

/// When a notifier is told.
public enum NotifyTrigger: String, Hashable, Sendable, Codable, CaseIterable {
    case start, disaster, recovered, abort, end
}

/// A webhook told about the drill: Slack-compatible (`{"text": ...}`) or a generic JSON body.
/// A failure to notify is recorded, never fatal.
public struct Notifier: Hashable, Sendable, Codable {
    public enum Format: String, Hashable, Sendable, Codable {
        case slack, webhook
    }
    public var name: String
    public var format: Format
    public var url: Template
    public var headers: [HTTPProbe.Header]
    public var on: [NotifyTrigger]
    public var location: SourceLocation
    public init(name: String, format: Format, url: Template, headers: [HTTPProbe.Header] = [],
                on: [NotifyTrigger] = NotifyTrigger.allCases, location: SourceLocation = .synthesized()) {
        self.name = name
        self.format = format
        self.url = url
        self.headers = headers
        self.on = on
        self.location = location
    }
}

/// A secret's name: the environment variable it is read from when the run starts.
public struct Secret: Hashable, Sendable, Codable {
    public var name: String
    public var location: SourceLocation
    public init(name: String, location: SourceLocation = .synthesized()) {
        self.name = name
        self.location = location
    }
}

/// A safety probe polled every `every` while the phases run. `tripAfter` failures in a row
/// trip it: the drill is aborted and what ran is rolled back. With `expect: fail` a poll holds
/// when the probe is refused ("no P1 alert we did not cause is firing") and fails when it passes.
public struct Guard: Hashable, Sendable {
    public var name: String
    public var probe: Probe
    public var every: DrillDuration
    public var tripAfter: Int
    public var expect: ProbeExpectation
    public var location: SourceLocation
    public init(name: String, probe: Probe, every: DrillDuration, tripAfter: Int = 1, expect: ProbeExpectation = .pass,
                location: SourceLocation = .synthesized()) {
        self.name = name
        self.probe = probe
        self.every = every
        self.tripAfter = tripAfter
        self.expect = expect
        self.location = location
    }
}

public struct Variable: Hashable, Sendable, Codable {
    public var name: String
    public var value: Template
    public var location: SourceLocation
    public init(name: String, value: Template, location: SourceLocation = .synthesized()) {
        self.name = name
        self.value = value
        self.location = location
    }
}

public struct Objectives: Hashable, Sendable, Codable {
    public var rto: DrillDuration?
    public var rpo: DrillDuration?
    /// Time to detect: from the disaster to the `detected` mark (an alert's firing, when an alert probe sets it).
    public var detect: DrillDuration?
    /// Met when the drill restored a restore point at least this old at the disaster, and verified it.
    public var retention: DrillDuration?
    /// Missed when an inventory still holds a restore point older than this.
    public var forgetAfter: DrillDuration?
    public var location: SourceLocation
    public init(rto: DrillDuration? = nil, rpo: DrillDuration? = nil, detect: DrillDuration? = nil, retention: DrillDuration? = nil,
                forgetAfter: DrillDuration? = nil, location: SourceLocation = .synthesized()) {
        self.detect = detect
        self.rto = rto
        self.rpo = rpo
        self.retention = retention
        self.forgetAfter = forgetAfter
        self.location = location
    }
}

/// RPO measurement: acknowledged writes on a period until the disaster, one read after recovery.
public struct Canary: Hashable, Sendable {
    public var every: DrillDuration
    /// How long the canary writes before the first phase starts, so that acknowledged writes exist.
    public var warmup: DrillDuration
    public var write: Probe
    public var read: Probe
    public var location: SourceLocation
    public init(every: DrillDuration, warmup: DrillDuration? = nil, write: Probe, read: Probe, location: SourceLocation = .synthesized()) {
        self.every = every
        self.warmup = warmup ?? every * 3
        self.write = write
        self.read = read
        self.location = location
    }
}

public struct Phase: Hashable, Sendable {
    public var name: String
    public var steps: [Step]
    public var location: SourceLocation
    public init(name: String, steps: [Step], location: SourceLocation = .synthesized()) {
        self.name = name
        self.steps = steps
        self.location = location
    }
}

public enum FailurePolicy: String, Hashable, Sendable, Codable {
    case abort
    case `continue`
}

public struct Step: Hashable, Sendable {
    public var name: String
    public var action: StepAction
    /// Per attempt. A timed-out process and its children are killed.
    public var timeout: DrillDuration?
    /// Extra attempts after the first fails.
    public var retries: Int
    public var retryDelay: DrillDuration
    public var onFailure: FailurePolicy
    public var mark: String?
    /// Compensations owed once this step has been dispatched.
    public var rollback: [Step]
    /// Safe to run again when a crash leaves it in doubt (dispatched, no result recorded).
    public var idempotent: Bool
    /// `fail`: the step passes when its action fails (an attacker's attempt that must be refused).
    public var expect: ProbeExpectation
    /// The restore point this step restores: `oldest`, `newest` or an id from the inventory.
    public var restores: Template?
    /// The step whose passing verifies that restore; nil: the phase's `recovered` mark.
    public var verifiedBy: String?
    public var location: SourceLocation

    public init(
        name: String, action: StepAction, timeout: DrillDuration? = nil, retries: Int = 0,
        retryDelay: DrillDuration = .seconds(1), onFailure: FailurePolicy = .abort, mark: String? = nil,
        rollback: [Step] = [], idempotent: Bool = false, expect: ProbeExpectation = .pass, restores: Template? = nil,
        verifiedBy: String? = nil, location: SourceLocation = .synthesized()
    ) {
        self.expect = expect
        self.restores = restores
        self.verifiedBy = verifiedBy
        self.name = name
        self.action = action
        self.timeout = timeout
        self.retries = retries
        self.retryDelay = retryDelay
        self.onFailure = onFailure
        self.mark = mark
        self.rollback = rollback
        self.idempotent = idempotent
        self.location = location
    }
}
