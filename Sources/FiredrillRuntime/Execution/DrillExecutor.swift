import FiredrillCore
import Foundation

/// How a run ended for the caller: its status and the process exit code it maps to.
public struct RunOutcome: Sendable {
    public var runID: String
    public var status: RunStatus
    public var measurement: DrillMeasurement?
    public var failureReason: String?

    /// 0 completed and every objective met; 1 completed but an objective missed or steady
    /// state not restored; 3 failed or aborted (rolled back); 4 waiting on an operator.
    public var exitCode: Int32 {
        switch status {
        case .completed: measurement?.objectivesMet == false ? 1 : 0
        case .deviated: 1
        case .failed, .aborted: 3
        case .waiting, .running: 4
        }
    }
}

/// Performs what the drill machine decides. One task group: every activity is a child
/// returning one `Completion`; the loop records each outcome as an event (durably, before
/// applying it), applies it, and starts the actions that come back.
public final class DrillExecutor: @unchecked Sendable {
    public let scenario: Scenario
    public let store: any RunStore
    public let driver: any Driver
    public let clock: any DrillClock
    public let console: any OperatorConsole
    public let progress: ProgressPrinter
    public var limits = DriverLimits()
    /// How often a live run looks for confirmations and aborts posted by other processes.
    public var inboxPollInterval: DrillDuration = .milliseconds(200)
    /// Bound for one probe sample or canary call when the probe sets no timeout of its own.
    public var defaultProbeTimeout: DrillDuration = .seconds(10)

    var machine: DrillMachine
    var run: RunRecord
    var scope: VariableScope
    var timeline: RunTimeline
    var nextSeq = 1
    var signals: [ActivityID: CancellationSignal] = [:]
    let runner: RunnerIdentity

    init(scenario: Scenario, run: RunRecord, vars: [String: String], environment: [String: String], store: any RunStore,
         driver: any Driver, clock: any DrillClock, console: any OperatorConsole, progress: ProgressPrinter) {
        self.scenario = scenario
        self.store = store
        self.driver = driver
        self.clock = clock
        self.console = console
        self.progress = progress
        self.run = run
        machine = DrillMachine(scenario: scenario)
        scope = VariableScope(vars: vars, environment: environment, runID: run.id, scenarioName: scenario.name)
        timeline = RunTimeline(startMonoNs: run.startedMonoNs, startWallNs: run.startedWallNs, startBootID: run.bootID, bootID: clock.bootID)
        runner = RunnerIdentity(pid: getpid(), host: ProcessInfo.processInfo.hostName)
    }

    /// Starts a new run of a loaded scenario and drives it until it ends or waits on an operator.
    public static func start(
        _ loaded: ScenarioSource, overrides: [String: String] = [:], participants: [Participant] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment, store: any RunStore,
        driver: any Driver = SystemDriver(), clock: any DrillClock = SystemClock(), console: any OperatorConsole = TerminalConsole(),
        progress: ProgressPrinter = ProgressPrinter(), runID: String? = nil, configure: (DrillExecutor) -> Void = { _ in }
    ) async throws -> RunOutcome {
        let reading = clock.now()
        let id = runID ?? Self.newRunID(wallNs: reading.wallNs)
        let vars = try VariableScope.resolveVars(loaded.scenario.vars, overrides: overrides, environment: environment,
                                                  runID: id, scenarioName: loaded.scenario.name)
        let record = RunRecord(
            id: id, scenario: loaded.scenario.name, title: loaded.scenario.title, scenarioPath: loaded.path,
            scenarioText: loaded.text, scenarioSHA256: loaded.sha256, status: .running, startedWallNs: reading.wallNs,
            startedMonoNs: reading.monoNs, bootID: clock.bootID, runnerPid: getpid(), runnerHost: ProcessInfo.processInfo.hostName,
            varsJSON: String(decoding: try JSONEncoder.sorted.encode(vars), as: UTF8.self))
        try store.createRun(record)
        let executor = DrillExecutor(scenario: loaded.scenario, run: record, vars: vars, environment: environment, store: store,
                                     driver: driver, clock: clock, console: console, progress: progress)
        configure(executor)
        let started = RunStarted(scenario: loaded.scenario.name, scenarioSHA256: loaded.sha256, firedrillVersion: Firedrill.version,
                                 vars: vars, participants: participants, runner: executor.runner)
        let actions = try executor.record(.runStarted(started))
        return try await executor.drive(actions)
    }

    /// Carries on a run from its record (after an operator confirmed a manual step): replays
    /// its events, then re-arms what was in flight. `first` is recorded before carrying on.
    public static func resume(
        runID: String, scenario: Scenario, first: [DrillEvent] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
        store: any RunStore, driver: any Driver = SystemDriver(), clock: any DrillClock = SystemClock(),
        console: any OperatorConsole = TerminalConsole(), progress: ProgressPrinter = ProgressPrinter(),
        configure: (DrillExecutor) -> Void = { _ in }
    ) async throws -> RunOutcome {
        guard var record = try store.run(runID) else { throw ExecutorError.noSuchRun(runID) }
        let events = try store.events(of: runID)
        let vars = (try? JSONDecoder().decode([String: String].self, from: Data(record.varsJSON.utf8))) ?? [:]
        record.runnerPid = getpid()
        record.runnerHost = ProcessInfo.processInfo.hostName
        let executor = DrillExecutor(scenario: scenario, run: record, vars: vars, environment: environment, store: store,
                                     driver: driver, clock: clock, console: console, progress: progress)
        configure(executor)
        executor.machine = DrillMachine.replay(scenario, events: events.map { ($0.event, $0.at) })
        executor.nextSeq = (events.last?.seq ?? 0) + 1
        guard executor.machine.state.stage != .ended else {
            return executor.outcome()
        }
        try store.updateRun(record)
        _ = try executor.record(.runResumed(executor.runner))
        for event in first { _ = try executor.record(event) }
        if let doubt = executor.machine.inDoubt {
            throw ExecutorError.inDoubt(step: executor.machine.step(doubt.ref)?.name ?? doubt.ref.description, action: doubt.action.summary)
        }
        return try await executor.drive(executor.machine.rearm(at: executor.now()))
    }

    /// `20261121-051717-ea8d`: sortable by start time, unique enough with a random suffix.
    static func newRunID(wallNs: Int64) -> String {
        let stamp = WallTime.iso8601(wallNs).filter { $0.isNumber || $0 == "T" }.replacingOccurrences(of: "T", with: "-")
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return stamp + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }

    func now() -> DrillInstant { timeline.instant(clock.now()) }

    public var runID: String { run.id }
    /// The machine's state as this executor last left it.
    public var currentState: RunState { machine.state }

    /// Records an event durably, then applies it: the order Temporal's history keeps.
    @discardableResult
    func record(_ event: DrillEvent) throws -> [DrillAction] {
        let reading = clock.now()
        let at = timeline.instant(reading)
        let recorded = RecordedEvent(seq: nextSeq, event: event, at: at, monoNs: reading.monoNs, wallNs: reading.wallNs)
        try store.append([recorded], to: run.id)
        nextSeq += 1
        let actions = machine.apply(event, at: at)
        progress.show(event, at: at, machine: machine)
        return actions
    }

    func outcome() -> RunOutcome {
        let measurement = DrillMeasurement(scenario: scenario, state: machine.state)
        return RunOutcome(runID: run.id, status: machine.state.status, measurement: measurement, failureReason: machine.state.failureReason)
    }
}

/// A scenario with the exact text it was read from: the record keeps both.
public struct ScenarioSource: Sendable {
    public var scenario: Scenario
    public var path: String
    public var text: String
    public var sha256: String
    public init(scenario: Scenario, path: String, text: String, sha256: String) {
        self.scenario = scenario
        self.path = path
        self.text = text
        self.sha256 = sha256
    }
}

public enum ExecutorError: Error, CustomStringConvertible {
    case noSuchRun(String)
    case inDoubt(step: String, action: String)

    public var description: String {
        switch self {
        case .noSuchRun(let id): "no run '\(id)' in this database"
        case .inDoubt(let step, let action):
            "step '\(step)' (\(action)) was dispatched but no result was recorded: it may or may not have run, so it is not run again automatically"
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

public enum Firedrill {
    public static let version = "0.1.0"
}
