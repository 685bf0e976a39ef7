import FiredrillCore

/// Plays the executor for a `DrillMachine`: keeps a fake "now", feeds chosen outcomes
/// as events, and records every (event, instant) pair with the actions that came back,
/// so a test can assert on responses and replay the log.
struct ScriptedRun {
    struct Record {
        var event: DrillEvent
        var at: DrillInstant
        var actions: [DrillAction]
        /// The live machine right after this event, to compare replays of each prefix with.
        var machine: DrillMachine
    }

    private(set) var machine: DrillMachine
    private(set) var now: DrillInstant = .start
    private(set) var records: [Record] = []

    init(_ scenario: Scenario) { machine = DrillMachine(scenario: scenario) }

    var scenario: Scenario { machine.scenario }
    var state: RunState { machine.state }
    /// What the executor's event log holds: the input of `DrillMachine.replay`.
    var log: [(DrillEvent, DrillInstant)] { records.map { ($0.event, $0.at) } }
    /// Every action the machine asked for, in order.
    var issued: [DrillAction] { records.flatMap(\.actions) }

    static let runner = RunnerIdentity(pid: 4242, host: "drill-host")

    /// Records `event` at `instant` (default: now) and applies it. Time never goes back.
    @discardableResult
    mutating func feed(_ event: DrillEvent, at instant: DrillInstant? = nil) -> [DrillAction] {
        let at = instant ?? now
        precondition(at >= now, "script goes back in time: \(at) < \(now)")
        now = at
        let actions = machine.apply(event, at: at)
        records.append(Record(event: event, at: at, actions: actions, machine: machine))
        return actions
    }

    // MARK: Run lifecycle

    @discardableResult
    mutating func start(at instant: DrillInstant = .start) -> [DrillAction] {
        feed(.runStarted(RunStarted(scenario: scenario.name, scenarioSHA256: String(repeating: "0", count: 64),
                                    firedrillVersion: "test", vars: [:], runner: Self.runner)), at: instant)
    }

    @discardableResult
    mutating func abort(by: String = "alice", reason: String = "called off", at instant: DrillInstant? = nil) -> [DrillAction] {
        feed(.abortRequested(by: by, reason: reason), at: instant)
    }

    // MARK: Steps

    /// The latest `startAttempt` issued for `ref`.
    func scheduled(_ ref: StepRef) -> (attempt: Int, at: DrillInstant)? {
        for action in issued.reversed() {
            if case .startAttempt(ref, let attempt, let at) = action { return (attempt, at) }
        }
        return nil
    }

    /// Records `attemptStarted` for the latest scheduled attempt of `ref`, at its instant
    /// (or now, if that has passed), with the step's action resolved.
    @discardableResult
    mutating func begin(_ ref: StepRef, at instant: DrillInstant? = nil, resolutionError: String? = nil) -> [DrillAction] {
        let (attempt, due) = scheduled(ref) ?? (1, now)
        let step = machine.step(ref)!
        let (action, instructions) = resolutionError == nil ? Self.resolve(step.action) : (nil, nil)
        return feed(.attemptStarted(AttemptStarted(ref: ref, attempt: attempt, action: action, instructions: instructions,
                                                   resolutionError: resolutionError)),
                    at: instant ?? max(now, due))
    }

    /// Records `attemptFinished` for the attempt of `ref` that started last, ending at `instant`.
    @discardableResult
    mutating func end(_ ref: StepRef, _ verdict: DriverReport.Verdict = .passed, summary: String? = nil,
                      at instant: DrillInstant) -> [DrillAction] {
        let (attempt, startedAt) = lastStarted(ref)
        let report = DriverReport(verdict: verdict, summary: summary ?? Self.summary(verdict))
        return feed(.attemptFinished(AttemptFinished(ref: ref, attempt: attempt, report: report, startedAt: startedAt, endedAt: instant)),
                    at: instant)
    }

    /// `begin` then `end` after `duration`: one driver call.
    @discardableResult
    mutating func perform(_ ref: StepRef, _ verdict: DriverReport.Verdict = .passed, summary: String? = nil,
                          taking duration: DrillDuration = .milliseconds(100)) -> [DrillAction] {
        begin(ref)
        return end(ref, verdict, summary: summary, at: now + duration)
    }

    /// Records `probeSampled` for the latest sample asked of `ref`, starting when it was
    /// due (or now) and ending `duration` later.
    @discardableResult
    mutating func sample(_ ref: StepRef, passed: Bool, summary: String? = nil, from start: DrillInstant? = nil,
                         taking duration: DrillDuration = .milliseconds(100), report given: DriverReport? = nil) -> [DrillAction] {
        var asked: (attempt: Int, sample: Int, at: DrillInstant)?
        for action in issued.reversed() {
            if case .sampleProbe(ref, let attempt, let sample, _, let at) = action { asked = (attempt, sample, at); break }
        }
        let (attempt, number, due) = asked!
        let startedAt = start ?? max(now, due)
        let verdict: DriverReport.Verdict = passed ? .passed : .failed
        let report = given ?? DriverReport(verdict: verdict, summary: summary ?? (passed ? "HTTP 200 OK" : "HTTP 503 Service Unavailable"))
        return feed(.probeSampled(ProbeSampled(ref: ref, attempt: attempt, sample: number, report: report,
                                               startedAt: startedAt, endedAt: startedAt + duration)),
                    at: startedAt + duration)
    }

    /// Records `guardSampled` for the latest poll asked of guard `index`, from when it was due, 10 ms long.
    @discardableResult
    mutating func guardSample(_ index: Int, verdict: DriverReport.Verdict, alerts: Bool = false) -> [DrillAction] {
        var asked: (sample: Int, at: DrillInstant)?
        for action in issued.reversed() {
            if case .sampleGuard(index, let sample, let at) = action { asked = (sample, at); break }
        }
        let (number, due) = asked!
        let startedAt = max(now, due)
        let report = DriverReport(verdict: verdict, summary: "\(verdict)", alerts: alerts ? AlertObservation(alerts: []) : nil)
        return feed(.guardSampled(GuardSampled(guardIndex: index, sample: number, report: report, startedAt: startedAt,
                                               endedAt: startedAt + .milliseconds(10))), at: startedAt + .milliseconds(10))
    }

    @discardableResult
    mutating func confirm(_ ref: StepRef, by: String = "bob", note: String? = nil, at instant: DrillInstant) -> [DrillAction] {
        feed(.operatorConfirmed(OperatorConfirmation(ref: ref, by: by, note: note)), at: instant)
    }

    // MARK: Canary

    /// Records `canaryWritten` for the latest write asked for (or `seq`), starting when it
    /// was due (or now) and ending `duration` later.
    @discardableResult
    mutating func write(_ verdict: DriverReport.Verdict = .passed, seq: Int? = nil, from start: DrillInstant? = nil,
                        taking duration: DrillDuration = .milliseconds(50)) -> [DrillAction] {
        var asked: (seq: Int, at: DrillInstant)?
        for action in issued.reversed() {
            if case .writeCanary(let s, let at) = action, seq == nil || s == seq { asked = (s, at); break }
        }
        let (number, due) = asked!
        let startedAt = start ?? max(now, due)
        let report = DriverReport(verdict: verdict, summary: Self.summary(verdict))
        return feed(.canaryWritten(CanaryWritten(seq: number, report: report, startedAt: startedAt, endedAt: startedAt + duration)),
                    at: startedAt + duration)
    }

    @discardableResult
    mutating func read(highest: Int?, _ verdict: DriverReport.Verdict = .passed, taking duration: DrillDuration = .milliseconds(200)) -> [DrillAction] {
        let report = DriverReport(verdict: verdict, summary: verdict == .passed ? "seq \(highest.map(String.init) ?? "none")" : Self.summary(verdict))
        return feed(.canaryRead(CanaryRead(highestSeq: highest, report: report, startedAt: now, endedAt: now + duration)),
                    at: now + duration)
    }

    // MARK: Helpers

    private func lastStarted(_ ref: StepRef) -> (attempt: Int, at: DrillInstant) {
        for record in records.reversed() {
            if case .attemptStarted(let started) = record.event, started.ref == ref { return (started.attempt, record.at) }
        }
        preconditionFailure("no attempt of \(ref) started")
    }

    static func summary(_ verdict: DriverReport.Verdict) -> String {
        switch verdict {
        case .passed: "exit 0"
        case .failed: "exit 1"
        case .timedOut: "timed out"
        case .cancelled: "cancelled"
        case .error: "no such file"
        }
    }

    /// A stand-in for the executor's resolution: scenarios in these tests hold no `${...}`.
    static func resolve(_ action: StepAction) -> (action: ResolvedAction?, instructions: String?) {
        if let manual = action.as(ManualStep.self) { return (nil, manual.instructions.raw) }
        if let waitFor = action.as(WaitFor.self) { return (resolve(probe: waitFor.probe), nil) }
        if let kill = action.as(KillSpec.self) {
            return switch kill.target {
            case .pid(let pid): (.kill(.pid(Int32(pid.raw) ?? 0), signal: kill.signal, processGroup: kill.processGroup), nil)
            case .pidfile(let path): (.kill(.pidfile(path.raw), signal: kill.signal, processGroup: kill.processGroup), nil)
            }
        }
        if let sleep = action.as(SleepStep.self) { return (.sleep(sleep.duration), nil) }
        if let backups = action.as(BackupsStep.self) {
            let format = backups.format
            return (resolve(probe: backups.source).changingOutput { $0.inventory = format }, nil)
        }
        return (resolve(probe: action), nil)
    }

    static func resolve(probe: Probe) -> ResolvedAction {
        if let run = probe.as(RunProbe.self) { return .run(argv: run.argv.map(\.raw)) }
        if let shell = probe.as(ShellProbe.self) { return .shell(script: shell.script.raw) }
        if let http = probe.as(HTTPProbe.self) { return .http(ResolvedHTTP(method: http.method, url: http.url.raw, status: http.status)) }
        if let tcp = probe.as(TCPProbe.self) { return .tcp(host: tcp.address.raw, port: 0, timeout: tcp.timeout) }
        if let prom = probe.as(PrometheusProbe.self) {
            return .prometheus(ResolvedPrometheus(url: prom.url.raw, query: prom.query.raw, expect: prom.expect))
        }
        if let alert = probe.as(AlertProbe.self) {
            func resolve(_ list: [Silence.Matcher]) -> [AlertMatcher] {
                list.map { AlertMatcher(name: $0.name, value: $0.value.raw, isRegex: $0.isRegex, isEqual: $0.isEqual) }
            }
            return .init(ResolvedAlert(url: alert.alertmanager.raw, matchers: resolve(alert.matchers), unless: resolve(alert.unless), state: alert.state))
        }
        fatalError("ScriptedRun cannot resolve a '\(probe.kind)' probe")
    }
}

/// An instant `seconds` into the run (exact for the millisecond decimals tests use).
func t(_ seconds: Double) -> DrillInstant { DrillInstant(nanoseconds: Int64((seconds * 1e9).rounded())) }

/// A duration of `seconds`.
func secs(_ seconds: Double) -> DrillDuration { DrillDuration(nanoseconds: Int64((seconds * 1e9).rounded())) }
