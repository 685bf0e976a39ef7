/// A drill scenario, as a team lead writes it (format v1). Values holding `${...}`
/// are kept as templates and resolved when the step runs.
public struct Scenario: Hashable, Sendable, Codable {
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
    public var location: SourceLocation

    public init(
        formatVersion: Int = 1, name: String, title: String? = nil, description: String? = nil,
        owner: String? = nil, runbook: String? = nil, tags: [String] = [], objectives: Objectives = .init(),
        vars: [Variable] = [], setup: [Step] = [], steadyState: [Step] = [], canary: Canary? = nil,
        phases: [Phase], rollback: [Step] = [], teardown: [Step] = [], secrets: [Secret] = [], guards: [Guard] = [],
        maxDuration: DrillDuration? = nil, notify: [Notifier] = [], silence: Silence? = nil, schedule: DrillSchedule? = nil,
        location: SourceLocation = .synthesized()
    ) {
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

/// A silence created through the Alertmanager v2 API when the run starts and expired when it
/// ends (aborted or not). `duration` bounds it in case the orchestrator dies.
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
/// trip it: the drill is aborted and what ran is rolled back.
public struct Guard: Hashable, Sendable, Codable {
    public var name: String
    public var probe: Probe
    public var every: DrillDuration
    public var tripAfter: Int
    public var location: SourceLocation
    public init(name: String, probe: Probe, every: DrillDuration, tripAfter: Int = 1, location: SourceLocation = .synthesized()) {
        self.name = name
        self.probe = probe
        self.every = every
        self.tripAfter = tripAfter
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
    public var location: SourceLocation
    public init(rto: DrillDuration? = nil, rpo: DrillDuration? = nil, location: SourceLocation = .synthesized()) {
        self.rto = rto
        self.rpo = rpo
        self.location = location
    }
}

/// RPO measurement: acknowledged writes on a period until the disaster, one read after recovery.
public struct Canary: Hashable, Sendable, Codable {
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

public struct Phase: Hashable, Sendable, Codable {
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

public struct Step: Hashable, Sendable, Codable {
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
    public var location: SourceLocation

    public init(
        name: String, action: StepAction, timeout: DrillDuration? = nil, retries: Int = 0,
        retryDelay: DrillDuration = .seconds(1), onFailure: FailurePolicy = .abort, mark: String? = nil,
        rollback: [Step] = [], idempotent: Bool = false, location: SourceLocation = .synthesized()
    ) {
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

/// What a step does. `wait_for` polls a probe; `manual` waits for an operator.
public enum StepAction: Hashable, Sendable, Codable {
    case probe(Probe)
    case kill(KillSpec)
    case sleep(DrillDuration)
    case manual(instructions: Template)
    case waitFor(WaitFor)

    /// The YAML key that names this kind of step.
    public var kind: String {
        switch self {
        case .probe(let probe): probe.kind
        case .kill: "kill"
        case .sleep: "sleep"
        case .manual: "manual"
        case .waitFor: "wait_for"
        }
    }

    /// Whether running it again could change the system twice (a kill, a command).
    /// Probes by HTTP GET/HEAD, TCP connects, sleeps and polls are safe to repeat.
    public var isInjecting: Bool {
        if case .probe(let probe) = self { return probe.isInjecting }
        return ActionKind.injects(kind, method: nil)
    }
}

/// Something that can be done once and judged pass or fail: a command, an HTTP request, a TCP connect.
public enum Probe: Hashable, Sendable, Codable {
    case run(argv: [Template])
    case shell(Template)
    case http(HTTPProbe)
    case tcp(TCPProbe)
    case prometheus(PrometheusProbe)

    public var kind: String {
        switch self {
        case .run: "run"
        case .shell: "shell"
        case .http: "http"
        case .tcp: "tcp"
        case .prometheus: "prometheus"
        }
    }

    public var isInjecting: Bool {
        if case .http(let http) = self { return ActionKind.injects(kind, method: http.method) }
        return ActionKind.injects(kind, method: nil)
    }
}

/// An instant PromQL query against the Prometheus HTTP API (which Thanos Query also serves),
/// judged by a comparison on its result.
public struct PrometheusProbe: Hashable, Sendable, Codable {
    /// Base URL of Prometheus or Thanos Query, like `http://127.0.0.1:9090`.
    public var url: Template
    public var query: Template
    public var expect: PromExpectation
    public var basicUser: Template?
    public var basicPassword: Template?
    public var bearerToken: Template?
    public var timeout: DrillDuration?
    /// The most of the response read, in bytes; nil: the driver's default.
    public var maxBody: Int?

    public init(url: Template, query: Template, expect: PromExpectation = .init(), basicUser: Template? = nil,
                basicPassword: Template? = nil, bearerToken: Template? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil) {
        self.url = url
        self.query = query
        self.expect = expect
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.maxBody = maxBody
    }
}

/// `> 0`, `== 1`, `<= 0.5` (every value returned must satisfy it; no data fails) or
/// `count > 0`, `count == 0` (on the number of series returned).
public struct PromExpectation: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Subject: String, Hashable, Sendable, Codable { case value, count }
    public enum Comparison: String, Hashable, Sendable, Codable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="
        public func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .greater: lhs > rhs
            case .greaterOrEqual: lhs >= rhs
            case .less: lhs < rhs
            case .lessOrEqual: lhs <= rhs
            case .equal: lhs == rhs
            case .notEqual: lhs != rhs
            }
        }
    }
    public var subject: Subject
    public var comparison: Comparison
    public var number: Double

    public init(subject: Subject = .count, comparison: Comparison = .greater, number: Double = 0) {
        self.subject = subject
        self.comparison = comparison
        self.number = number
    }

    /// Parses `> 0`, `count >= 2`, `==1`; nil when it is none of these.
    public init?(parsing text: String) {
        var rest = Substring(text.trimmingSpaces)
        subject = .value
        if rest.hasPrefix("count") {
            subject = .count
            rest = rest.dropFirst(5).drop(while: { $0 == " " })
        }
        guard let comparison = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }).first(where: { rest.hasPrefix($0.rawValue) })
        else { return nil }
        self.comparison = comparison
        let number = rest.dropFirst(comparison.rawValue.count).drop(while: { $0 == " " })
        guard let value = Double(number), value.isFinite else { return nil }
        self.number = value
    }

    public var description: String {
        let n = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        return (subject == .count ? "count " : "") + "\(comparison.rawValue) \(n)"
    }
}

public struct HTTPProbe: Hashable, Sendable, Codable {
    public var method: String
    public var url: Template
    public var headers: [Header]
    public var body: Template?
    /// Accepted status codes; empty means any 2xx.
    public var status: [Int]
    public var bodyContains: Template?
    /// For one request; the step's timeout still bounds the whole step.
    public var timeout: DrillDuration?
    /// The most of the response body read, in bytes; nil: `ByteSize.defaultMaxBody`.
    public var maxBody: Int?

    public struct Header: Hashable, Sendable, Codable {
        public var name: String
        public var value: Template
        public init(name: String, value: Template) {
            self.name = name
            self.value = value
        }
    }

    public init(
        method: String = "GET", url: Template, headers: [Header] = [], body: Template? = nil,
        status: [Int] = [], bodyContains: Template? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.status = status
        self.bodyContains = bodyContains
        self.timeout = timeout
        self.maxBody = maxBody
    }

    public func accepts(status code: Int) -> Bool {
        status.isEmpty ? (200..<300).contains(code) : status.contains(code)
    }
}

public struct TCPProbe: Hashable, Sendable, Codable {
    /// "host:port", "[v6]:port".
    public var address: Template
    public var timeout: DrillDuration?
    public init(address: Template, timeout: DrillDuration? = nil) {
        self.address = address
        self.timeout = timeout
    }
}

public struct KillSpec: Hashable, Sendable, Codable {
    public enum Target: Hashable, Sendable, Codable {
        case pid(Template)
        case pidfile(Template)
    }
    public var target: Target
    /// Signal name without `SIG`: KILL, TERM, INT, HUP, QUIT, USR1, USR2, STOP, CONT.
    public var signal: String
    /// Signal the target's whole process group (default), or the process alone.
    public var processGroup: Bool
    public init(target: Target, signal: String = "TERM", processGroup: Bool = true) {
        self.target = target
        self.signal = signal
        self.processGroup = processGroup
    }
}

public enum ProbeExpectation: String, Hashable, Sendable, Codable {
    case pass
    case fail
}

public struct WaitFor: Hashable, Sendable, Codable {
    public var probe: Probe
    public var expect: ProbeExpectation
    public var every: DrillDuration
    /// The probe must give the expected result this many times in a row.
    public var consecutive: Int
    public init(probe: Probe, expect: ProbeExpectation = .pass, every: DrillDuration = .seconds(1), consecutive: Int = 1) {
        self.probe = probe
        self.expect = expect
        self.every = every
        self.consecutive = consecutive
    }
}
