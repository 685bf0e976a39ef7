import FiredrillCore
import Foundation

/// How a run ended for the caller: its status and the process exit code it maps to.
public struct RunOutcome: Sendable {
    public var runID: String
    public var status: RunStatus
    public var measurement: DrillMeasurement?
    public var failureReason: String?

    /// The rollbacks still owed, by step name, when the run stopped before running them.
    public var rollbacksOwed: [String] = []

    /// 0 completed and every objective met; 1 completed but an objective missed or steady
    /// state not restored; 5 completed, none missed, but one undetermined (its bounds straddle
    /// it, or it was not measured); 3 failed, aborted (rolled back) or interrupted; 4 waiting
    /// on an operator (a manual step, or halted with a step in doubt).
    public var exitCode: Int32 {
        switch status {
        case .completed:
            switch measurement?.objectivesVerdict {
            case .missed?: 1
            case .undetermined?, .unmeasured?: 5
            case .met?, nil: 0
            }
        case .deviated: 1
        case .failed, .aborted, .interrupted: 3
        case .waiting, .running, .halted: 4
        }
    }
}

/// Performs what the drill machine decides. One task group: every activity is a child
/// returning one `Completion`; the loop records each outcome as an event (durably, before
/// applying it), applies it, and runs the actions that come back through `run(_:in:)`.
///
/// Not `Sendable`: the machine, the scope and the run belong to the loop. Children get plain
/// values (`Activities`, `Activity`); the one part another thread may reach is the `recorder`.
public final class DrillExecutor {
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
    /// Writes the run's events; `interruptNow` may be called on it from a signal handler's thread.
    public let recorder: RunRecorder
    /// Whether the run waits on nothing but its clock (for tests on `ManualClock`).
    public let quiescence = Quiescence()

    var machine: DrillMachine
    var run: RunRecord
    var scope: VariableScope
    let timeline: RunTimeline
    var signals: [ActivityID: CancellationSignal] = [:]
    /// Set by `.suspend`: the loop stops once the actions in hand are run.
    var suspended = false
    /// Why the run will suspend once the calls under way are back (a manual step with nobody to ask).
    var suspension: String?
    /// Inbox messages already recorded, by id.
    var takenInbox: Set<Int64> = []
    /// While the loop runs: events are staged, and written together (`flush()`) before anything
    /// they imply starts; elsewhere each is written as it is recorded.
    var batching = false
    /// The rollbacks due as the record has them (at the last write), for a write that fails.
    var dueAsRecorded = RollbacksDue(owed: [], ifAborted: [])
    let runner: RunnerIdentity
    let lease: RunnerLease
    /// Masks the scenario's secrets in everything recorded or shown.
    let redactor: Redactor
    /// Signs the chain's head at the run's end (`firedrill key create`), when a key is configured.
    public var signer: SigningKey?

    init(scenario: Scenario, run: RunRecord, vars: [String: String], secrets: [String: String], environment: [String: String],
         store: any RunStore, driver: any Driver, clock: any DrillClock, console: any OperatorConsole, progress: ProgressPrinter,
         lease: RunnerLease) {
        self.scenario = scenario
        self.store = store
        self.driver = driver
        self.clock = clock
        self.console = console
        self.progress = progress
        self.run = run
        machine = DrillMachine(scenario: scenario)
        scope = VariableScope(vars: vars, environment: environment, runID: run.id, scenarioName: scenario.name, secrets: secrets)
        timeline = RunTimeline(startMonoNs: run.startedMonoNs, startWallNs: run.startedWallNs, startBootID: run.bootID, bootID: clock.bootID)
        runner = RunnerIdentity(pid: lease.pid, host: lease.host)
        self.lease = lease
        redactor = Redactor(secrets: Array(secrets.values))
        recorder = RunRecorder(runID: run.id, store: store, clock: clock, timeline: timeline, redactor: redactor, leasePID: lease.pid)
    }

    /// The values of the scenario's secrets, read from the environment; every missing or
    /// too-short one is named at once.
    static func readSecrets(_ scenario: Scenario, environment: [String: String]) throws -> [String: String] {
        var values: [String: String] = [:]
        var problems: [String] = []
        for secret in scenario.secrets {
            guard let value = environment[secret.name], !value.isEmpty else {
                problems.append("secret \(secret.name) is not set in the environment")
                continue
            }
            guard value.count >= 4 else {
                problems.append("secret \(secret.name) is shorter than 4 characters, too short to mask safely in the record")
                continue
            }
            values[secret.name] = value
        }
        guard problems.isEmpty else { throw ExecutorError.secrets(problems) }
        return values
    }

    /// Starts a new run of a loaded scenario and drives it until it ends or waits on an operator.
    /// The run and its first event are created in one transaction, or not at all.
    public static func start(
        _ loaded: ScenarioSource, overrides: [String: String] = [:], participants: [Participant] = [], priorities: [PriorityRule]? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, store: any RunStore,
        driver: any Driver = SystemDriver(), clock: any DrillClock = SystemClock(), console: any OperatorConsole = TerminalConsole(),
        progress: ProgressPrinter = ProgressPrinter(), runID: String? = nil, configure: (DrillExecutor) -> Void = { _ in }
    ) async throws -> RunOutcome {
        let reading = clock.now()
        let id = runID ?? Self.newRunID(wallNs: reading.wallNs)
        let vars = try VariableScope.resolveVars(loaded.scenario.vars, overrides: overrides, environment: environment,
                                                  runID: id, scenarioName: loaded.scenario.name)
        let secrets = try readSecrets(loaded.scenario, environment: environment)
        let lease = RunnerLease.current(wallNs: reading.wallNs)
        let record = RunRecord(
            id: id, scenario: loaded.scenario.name, title: loaded.scenario.title, scenarioPath: loaded.path,
            scenarioText: loaded.text, scenarioSHA256: loaded.sha256, status: .running, startedWallNs: reading.wallNs,
            startedMonoNs: reading.monoNs, bootID: clock.bootID, runner: lease,
            varsJSON: String(decoding: try JSONEncoder.sorted.encode(vars), as: UTF8.self))
        let signer = try signingKey(environment)
        let executor = DrillExecutor(scenario: loaded.scenario, run: record, vars: vars, secrets: secrets, environment: environment,
                                     store: store, driver: driver, clock: clock, console: console, progress: progress, lease: lease)
        executor.signer = signer
        let started = RunStarted(scenario: loaded.scenario.name, scenarioSHA256: loaded.sha256, firedrillVersion: Firedrill.version,
                                 vars: vars, participants: participants, runner: executor.runner,
                                 scenarioText: loaded.text, scenarioPath: loaded.path, bootID: clock.bootID,
                                 priorities: loaded.scenario.alerting?.prioritiesWritten == true ? nil : priorities)
        let first: RecordedEvent
        do {
            first = try executor.recorder.stamp(.runStarted(started), reading: reading)
        } catch {
            throw ExecutorError.recordFailed(error.description, runID: id, owed: [])
        }
        do {
            CrashPoint.check(.before, seq: 1)
            try store.createRun(record, first: first)
            CrashPoint.check(.after, seq: 1)
        } catch let error as LeaseError {
            throw error
        } catch {
            throw ExecutorError.recordFailed(StoreError.describe(error, path: "the record").description, runID: id, owed: [])
        }
        executor.recorder.recorded(first)
        configure(executor)
        let actions = executor.apply(first)
        return try await executor.drive(actions)
    }

    /// Carries on a run from its record: after a crash, after an operator confirmed a manual
    /// step or resolved a step in doubt, or to abort it. Replays its events, takes the run's
    /// lease, records `first`, then re-arms what was in flight; an injecting step in doubt
    /// halts the run instead (unless it is marked idempotent).
    public static func resume(
        runID: String, scenario: Scenario, first: [DrillEvent] = [], force: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        store: any RunStore, driver: any Driver = SystemDriver(), clock: any DrillClock = SystemClock(),
        console: any OperatorConsole = TerminalConsole(), progress: ProgressPrinter = ProgressPrinter(),
        configure: (DrillExecutor) -> Void = { _ in }
    ) async throws -> RunOutcome {
        guard var record = try store.run(runID) else { throw ExecutorError.noSuchRun(runID) }
        var vars = (try? JSONDecoder().decode([String: String].self, from: Data(record.varsJSON.utf8))) ?? [:]
        let lease = RunnerLease.current(wallNs: clock.now().wallNs)
        let events = try store.events(of: runID)
        // The timeline and the variables come from the chain: the runs table can be edited unseen,
        // and a start moved there would move every deadline.
        record = record.anchored(to: events)
        if case .runStarted(let started)? = events.first?.event, started.scenarioText != nil { vars = started.vars }
        let replayed = DrillMachine.replay(scenario, events: events.map { ($0.event, $0.at) })
        let secrets = replayed.state.stage == .ended ? [:] : try readSecrets(scenario, environment: environment)
        let executor = DrillExecutor(scenario: scenario, run: record, vars: vars, secrets: secrets, environment: environment, store: store,
                                     driver: driver, clock: clock, console: console, progress: progress, lease: lease)
        executor.machine = replayed
        executor.signer = try signingKey(environment)
        executor.syncMarks()
        executor.recorder.continueAfter(events.last)
        guard executor.machine.state.stage != .ended else { return executor.outcome() }
        let previous = try store.acquireLease(runID, lease: lease, force: force)
        if let previous {
            // A holder elsewhere is taken without --force only when the store found its lease expired (PostgreSQL's heartbeat).
            let how = previous.isLive != nil ? "no longer running" : force ? "forced" : "its lease expired"
            progress.note("took run \(runID) over from \(previous) (\(how))")
        }
        do {
            try await killLeftovers(of: runID, store: store, progress: progress)
        } catch {
            try? store.releaseLease(runID, pid: lease.pid)
            throw error
        }
        configure(executor)
        do {
            _ = try executor.record(.runResumed(executor.runner))
            // Deadlines that fell while no orchestrator was there pass first: a confirmation or a
            // decision that comes after them finds the step timed out, or the drill past its end.
            try executor.recordOverdue(abandoned: true)
            for event in first { try executor.record(event) }
            switch executor.machine.resumePlan(at: executor.recorder.now()) {
            case .halt(let halted):
                if executor.machine.state.halt == nil { try executor.record(.runHalted(halted)) }
                try? store.releaseLease(runID, pid: lease.pid)
                return executor.outcome()
            case .carryOn(let actions):
                // What `first` set going (a confirmed step's successor) is part of the state re-armed here.
                return try await executor.drive(actions)
            }
        } catch {
            try? store.releaseLease(runID, pid: lease.pid)
            throw error
        }
    }

    /// The configured signing key; a key file that cannot be read stops the run before it starts.
    static func signingKey(_ environment: [String: String]) throws -> SigningKey? {
        do { return try SigningKey.configured(environment: environment) } catch { throw ExecutorError.secrets([error.description]) }
    }

    /// A dead orchestrator's step in flight may still have processes running (its `sleep 1000`,
    /// a half-done injection): they are killed before anything is decided about the run.
    static func killLeftovers(of runID: String, store: any RunStore, progress: ProgressPrinter) async throws {
        let leftovers = try store.stepProcesses(of: runID)
        let unrecorded = if case .cgroup(let base, _) = ProcessContainment.current { StepCgroup.existing(of: runID, in: base) } else { [] }
        guard !leftovers.isEmpty || !unrecorded.isEmpty else { return }
        let killed = await StepProcess.killLeftovers(leftovers, runID: runID)
        try store.clearStepProcesses(runID, activity: nil)
        let elsewhere = Set(leftovers.filter { $0.host != ProcessInfo.processInfo.hostName }.map(\.host))
        let steps = leftovers.isEmpty ? "a step's cgroup" : Set(leftovers.map(\.activity)).sorted().joined(separator: ", ")
        progress.note("killed \(killed) process\(killed == 1 ? "" : "es") left running by the previous orchestrator (\(steps))"
            + (elsewhere.isEmpty ? "" : "; those on \(elsewhere.sorted().joined(separator: ", ")) cannot be reached from here"))
    }

    /// `20261121-051717-ea8d`: sortable by start time, unique enough with a random suffix.
    static func newRunID(wallNs: Int64) -> String {
        let stamp = String(WallTime.iso8601(wallNs).filter { $0.isNumber || $0 == "T" }.map { $0 == "T" ? "-" : $0 })
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return stamp + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }

    public var runID: String { run.id }
    /// The machine's state as this executor last left it.
    public var currentState: RunState { machine.state }

    func apply(_ recorded: RecordedEvent) -> [DrillAction] {
        let actions = machine.apply(recorded.event, at: recorded.at)
        syncMarks()
        progress.show(recorded.event, at: recorded.at, machine: machine)
        return actions
    }

    /// `${mark.NAME}` follows the marks on the record, as wall-clock instants.
    func syncMarks() {
        if let latest = machine.state.latestInventory?.inventory,
           scope.backups?.listedWallNs != latest.listedWallNs || scope.backups?.points.count != latest.points.count {
            scope.backups = latest
        }
        guard machine.state.marks.count != scope.marks.count else { return }
        for mark in machine.state.marks { scope.marks[mark.name] = VariableScope.unixSeconds(run.startedWallNs + mark.at.nanoseconds) }
    }

    /// Records an event durably, then applies it: the order Temporal's history keeps.
    /// The machine sees exactly what was recorded (secrets masked), so a replay matches.
    /// While `batching`, the event is staged and applied, and is written by the next `flush()`,
    /// which comes before anything it implies is started.
    @discardableResult
    func record(_ event: DrillEvent) throws -> [DrillAction] {
        let recorded: RecordedEvent
        do {
            recorded = batching ? try recorder.stage(event) : try recorder.record(event)
        } catch let failure as RunRecorder.Failure {
            let due = batching ? dueAsRecorded : rollbacksDue()
            throw ExecutorError.recordFailed(failure.description, runID: run.id, owed: due.owed, ifAborted: due.ifAborted)
        }
        return apply(recorded)
    }

    /// Writes what was staged, in one transaction (one fsync), before anything it implies starts.
    func flush() throws {
        do {
            try recorder.flush()
        } catch let failure as RunRecorder.Failure {
            // The machine applied the batch that was not written: the owed rollbacks are the record's.
            throw ExecutorError.recordFailed(failure.description, runID: run.id, owed: dueAsRecorded.owed, ifAborted: dueAsRecorded.ifAborted)
        }
        dueAsRecorded = rollbacksDue()
    }

    /// The run's time now, never before its last event.
    func now() -> DrillInstant { recorder.now() }

    /// What undoes the run's injections now: the rollbacks owed (a rollback under way, an abort or a
    /// failure decided) or, mid-drill, none owed yet but every compensation dispatched so far, which
    /// an abort would run. A run that stops on a failed write names them, so the operator who finds
    /// the system still broken knows what `abort` would run.
    func rollbacksDue() -> RollbacksDue {
        let owed = owedRollbackNames()
        let state = machine.state
        let midDrill = [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage)
        let ifAborted = owed.isEmpty && midDrill ? state.ledger.indices.reversed().compactMap { state.ledger[safe: $0]?.step.name } : []
        return RollbacksDue(owed: owed, ifAborted: ifAborted)
    }

    func owedRollbackNames() -> [String] {
        machine.state.rollbacksOwed.compactMap { machine.state.ledger[safe: $0]?.step.name }
    }

    func outcome() -> RunOutcome {
        let measurement = DrillMeasurement(scenario: scenario, state: machine.state)
        var outcome = RunOutcome(runID: run.id, status: machine.state.status, measurement: measurement,
                                 failureReason: machine.state.failureReason ?? machine.state.halt?.reason)
        outcome.rollbacksOwed = owedRollbackNames()
        return outcome
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

/// What undoes a run's injections, at one point of it.
struct RollbacksDue: Equatable {
    var owed: [String]
    var ifAborted: [String]
}

public enum ExecutorError: Error, CustomStringConvertible {
    case noSuchRun(String)
    case secrets([String])
    /// The record could not be written: the run stopped there, and nothing further was dispatched.
    /// `owed`: the rollbacks owed; `ifAborted`: mid-drill, with none owed, those an abort would run.
    case recordFailed(String, runID: String, owed: [String], ifAborted: [String] = [])
    case interrupted(runID: String)

    public var description: String {
        switch self {
        case .noSuchRun(let id): "no run '\(id)' in this database"
        case .secrets(let problems): problems.joined(separator: "; ")
        case .recordFailed(let why, let id, let owed, let ifAborted):
            "\(why): run \(id) stopped here and dispatched nothing further"
                + (owed.isEmpty ? "" : "; rollbacks owed: \(owed.joined(separator: ", "))")
                + (ifAborted.isEmpty ? "" : "; rollbacks owed if it is aborted instead (`firedrill abort \(id) --by NAME`): \(ifAborted.joined(separator: ", "))")
                + "; once the record can be written, carry it on with `firedrill resume \(id)`"
        case .interrupted(let id): "run \(id) was interrupted; carry it on with `firedrill resume \(id)`"
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
