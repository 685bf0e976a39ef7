import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation

/// A drill record with many probe samples, for the report benchmark and its tests: the
/// drill of issue 11 (a database lost for about 100 s, watched by a 1 ms `tcp` `wait_for`)
/// run by the real `DrillMachine` against a simulated service and clock, its events written
/// into a `SQLiteStore` through `createRun` and `append` (hash-chained as the executor writes
/// them, a transaction per batch instead of per event), then closed as the executor closes a
/// run: the figures in the runs table, the measurement saved, the lease released.
///
/// Deterministic: the same sample count and seed give the same record, up to the run id.
struct ProbeHeavyRecord {
    var runID: String
    var path: String
    /// Every probe sample recorded, of every step.
    var samples: Int
    /// Each `wait_for`'s latencies in nanoseconds, in the order sampled, and how many failed:
    /// what the report's probe table must summarise.
    var latencies: [StepRef: [Int64]]
    var failures: [StepRef: Int]
    var events: Int

    /// The recovery probe's step; `detected` is the outage probe.
    static let recovery = StepRef.phase(3, 0)
    static let detection = StepRef.phase(1, 0)

    static func scenarioText(dir: String) -> String {
        """
        firedrill: 1
        name: probe-heavy
        title: Lose the database for 100 seconds, watched every millisecond
        owner: platform-team
        objectives: {rto: 3m, rpo: 5s}
        vars: {db: "127.0.0.1:15432", log: "\(dir)/canary.log"}
        steady_state:
          - name: database accepts connections
            tcp: "${db}"
        canary:
          every: 200ms
          warmup: 2s
          write: {shell: "echo ${canary.seq} >> ${log}"}
          read: {shell: "tail -n 1 ${log}"}
        phases:
          - name: disaster
            steps:
              - name: stop the database
                run: ["true"]
                mark: disaster
          - name: detect
            steps:
              - name: connections refused
                wait_for: {tcp: "${db}", expect: fail, every: 1ms, consecutive: 3}
                timeout: 30s
                mark: detected
          - name: restore
            steps:
              - name: restore the newest backup
                run: ["true"]
          - name: verify
            steps:
              - name: database accepts connections again
                wait_for: {tcp: "${db}", every: 1ms, consecutive: 3}
                timeout: 10m
                mark: recovered
        """
    }

    static func runID(samples: Int, seed: UInt64 = 2026) -> String { "probe-heavy-\(samples)-\(seed)" }

    /// Writes a run with `samples` probe samples in all (at least 10) into a new database at `path`.
    static func write(samples target: Int, path: String, seed: UInt64 = 2026) throws -> ProbeHeavyRecord {
        let dir = (path as NSString).deletingLastPathComponent
        let scenarioPath = dir + "/probe-heavy.yaml"
        try scenarioText(dir: dir).write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let loaded = try ScenarioLoader.load(path: scenarioPath)
        let store = try SQLiteStore(path: path)
        var simulation = Simulation(scenario: loaded.scenario, target: max(target, 10), seed: seed)
        let runID = runID(samples: target, seed: seed)
        let vars = try VariableScope.resolveVars(loaded.scenario.vars, overrides: [:], environment: [:], runID: runID,
                                                 scenarioName: loaded.scenario.name)
        simulation.scope = VariableScope(vars: vars, environment: [:], runID: runID, scenarioName: loaded.scenario.name)
        let startWall: Int64 = 1_796_104_800_000_000_000  // 2026-12-01 06:00 UTC
        let startMono: Int64 = 5_000_000_000_000
        let bootID = "bench-boot"
        let lease = RunnerLease(pid: getpid(), host: "bench", sinceWallNs: startWall, token: "bench")
        let record = RunRecord(id: runID, scenario: loaded.scenario.name, title: loaded.scenario.title, scenarioPath: loaded.path,
                               scenarioText: loaded.text, scenarioSHA256: loaded.sha256, status: .running, startedWallNs: startWall,
                               startedMonoNs: startMono, bootID: bootID, runner: lease,
                               varsJSON: try varsJSON(vars))
        let started = RunStarted(scenario: loaded.scenario.name, scenarioSHA256: loaded.sha256, firedrillVersion: Firedrill.version,
                                 vars: vars, participants: [Participant(name: "alice", role: "incident lead")],
                                 runner: RunnerIdentity(pid: getpid(), host: "bench"), scenarioText: loaded.text,
                                 scenarioPath: loaded.path, bootID: bootID)
        func stamped(_ seq: Int, _ event: DrillEvent, _ at: DrillInstant) -> RecordedEvent {
            RecordedEvent(seq: seq, event: event, at: at, monoNs: startMono + at.nanoseconds, wallNs: startWall + at.nanoseconds)
        }
        try store.createRun(record, first: stamped(1, .runStarted(started), .start))
        var batch: [RecordedEvent] = []
        var seq = 1
        try simulation.run(first: .runStarted(started)) { event, at in
            seq += 1
            batch.append(stamped(seq, event, at))
            if batch.count == 4096 {
                try store.append(batch, to: runID)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try store.append(batch, to: runID)

        // As the executor ends a run: the projection's figures, the measurement, the lease.
        let measurement = DrillMeasurement(scenario: loaded.scenario, state: simulation.machine.state)
        var ended = record
        ended.status = simulation.machine.state.status
        ended.endedWallNs = startWall + (simulation.machine.state.endedAt ?? .start).nanoseconds
        ended.rtoSeconds = measurement.rto?.value.seconds
        ended.rpoSeconds = measurement.rpo?.span?.value.seconds
        ended.objectivesMet = measurement.objectivesMet
        try store.updateRun(ended)
        try store.saveMeasurement(runID: runID, measurement: measurement, marks: simulation.machine.state.marks)
        try store.releaseLease(runID, pid: lease.pid)
        return ProbeHeavyRecord(runID: runID, path: path, samples: simulation.sampled, latencies: simulation.latencies,
                                failures: simulation.failures, events: seq)
    }

    /// The variables as the executor records them in the runs table.
    static func varsJSON(_ vars: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(vars), as: UTF8.self)
    }

    /// The executor's loop without its I/O: the machine's actions performed against a service
    /// that is up until the disaster step and down until the recovery probe's last few
    /// samples, on a simulated clock where each thing takes a plausible time.
    struct Simulation {
        var machine: DrillMachine
        var scope = VariableScope(vars: [:], environment: [:], runID: "", scenarioName: "")
        let target: Int
        var random: SplitMix64
        var pending: [(due: DrillInstant, order: Int, id: ActivityID?, event: DrillEvent)] = []
        var order = 0
        var now = DrillInstant.start
        var sampled = 0
        var latencies: [StepRef: [Int64]] = [:]
        var failures: [StepRef: Int] = [:]
        var downAt: DrillInstant?
        var upAt: DrillInstant?
        /// The recovery probe's first sample that finds the service up.
        var firstUpSample: Int?
        var lastAcknowledged: [(seq: Int, at: DrillInstant)] = []

        init(scenario: Scenario, target: Int, seed: UInt64) {
            machine = DrillMachine(scenario: scenario)
            self.target = target
            random = SplitMix64(seed: seed)
        }

        func up(at instant: DrillInstant) -> Bool {
            guard let downAt, instant >= downAt else { return true }
            return upAt.map { instant >= $0 } ?? false
        }

        mutating func run(first: DrillEvent, record: (DrillEvent, DrillInstant) throws -> Void) throws {
            perform(machine.apply(first, at: now))
            while !pending.isEmpty {
                let next = pending.indices.min { (pending[$0].due, pending[$0].order) < (pending[$1].due, pending[$1].order) }!
                var (due, _, _, event) = pending.remove(at: next)
                now = max(now, due)
                // As the executor ends a run: with the figures the events give at its end.
                if case .runEnded(let status, nil) = event {
                    let measurement = DrillMeasurement(scenario: machine.scenario, state: machine.state)
                    event = .runEnded(status, headline: RunHeadline(scenario: machine.scenario.name, status: status, measurement: measurement))
                }
                try record(event, now)
                perform(machine.apply(event, at: now))
            }
        }

        mutating func schedule(_ due: DrillInstant, _ id: ActivityID?, _ event: DrillEvent) {
            order += 1
            pending.append((due, order, id, event))
        }

        mutating func perform(_ actions: [DrillAction]) {
            for action in actions { perform(action) }
        }

        mutating func perform(_ action: DrillAction) {
            switch action {
            case .startAttempt(let ref, let attempt, let at):
                let resolved = machine.step(ref).flatMap { try? scope.resolve($0.action) }
                schedule(max(at, now), .attempt(ref, attempt),
                         .attemptStarted(AttemptStarted(ref: ref, attempt: attempt, action: resolved?.action, instructions: resolved?.instructions)))
            case .perform(let ref, let attempt, let resolved, _):
                let start = now
                let end = start + micro(2_000 + Int64(random.next() % 3_000))
                let report: DriverReport
                if resolved.kind == "tcp" {
                    report = up(at: start) ? DriverReport(verdict: .passed, summary: "connected to 127.0.0.1:15432")
                                           : DriverReport(verdict: .failed, summary: "connection refused to 127.0.0.1:15432")
                } else {
                    report = DriverReport(verdict: .passed, summary: "exit 0", exitStatus: 0)
                }
                if machine.step(ref)?.mark == "disaster" { downAt = end }
                schedule(end, .attempt(ref, attempt), .attemptFinished(AttemptFinished(ref: ref, attempt: attempt, report: report, startedAt: start, endedAt: end)))
            case .sampleProbe(let ref, let attempt, let sample, _, let at):
                let start = max(at, now) + micro(Int64(random.next() % 40))
                // 0.15-0.95 ms nine times in ten, 1-3.5 ms nearly all the rest, 4-20 ms one in a hundred: a
                // probe slower than its period makes the grid skip slots, as the executor's does.
                let tier = random.next() % 100
                let spread: UInt64 = random.next()
                let latency = tier < 90 ? 150_000 + Int64(spread % 800_000)
                    : tier < 99 ? 1_000_000 + Int64(spread % 2_500_000) : 4_000_000 + Int64(spread % 16_000_000)
                if ref == ProbeHeavyRecord.recovery, upAt == nil, sampled + 1 > target - 3 {
                    upAt = start
                    firstUpSample = sample
                }
                let passed = up(at: start)
                sampled += 1
                latencies[ref, default: []].append(latency)
                if !passed { failures[ref, default: 0] += 1 }
                let report = passed ? DriverReport(verdict: .passed, summary: "connected to 127.0.0.1:15432")
                                    : DriverReport(verdict: .failed, summary: "connection refused to 127.0.0.1:15432")
                let end = start + .init(nanoseconds: latency)
                schedule(end + micro(30), .sample(ref, attempt, sample),
                         .probeSampled(ProbeSampled(ref: ref, attempt: attempt, sample: sample, report: report, startedAt: start, endedAt: end)))
            case .armDeadline(let ref, let attempt, let at):
                schedule(at, .deadline(ref, attempt), .deadlinePassed(ref: ref, attempt: attempt))
            case .writeCanary(let seq, let at):
                let start = max(at, now)
                let end = start + micro(900 + Int64(random.next() % 600))
                let passed = up(at: start)
                if passed { lastAcknowledged.append((seq, end)) }
                let report = passed ? DriverReport(verdict: .passed, summary: "exit 0", exitStatus: 0)
                                    : DriverReport(verdict: .failed, summary: "exit 1", exitStatus: 1)
                schedule(end, .canaryWrite(seq), .canaryWritten(CanaryWritten(seq: seq, report: report, startedAt: start, endedAt: end)))
            case .readCanary:
                // The restored backup was taken a second before the disaster: later writes are lost.
                let survived = lastAcknowledged.last { $0.at + .seconds(1) <= (downAt ?? now) }?.seq
                let end = now + .milliseconds(2)
                let report = DriverReport(verdict: .passed, summary: "exit 0", exitStatus: 0,
                                          stdout: CapturedOutput(text: survived.map { "\($0)\n" } ?? "", keptBytes: 6, totalBytes: 6))
                schedule(end, .canaryRead, .canaryRead(CanaryRead(highestSeq: survived, report: report, startedAt: now, endedAt: end)))
            case .armMaxDuration(let at):
                schedule(at, .maxDuration, .maxDurationPassed)
            case .cancel(let id):
                pending.removeAll { $0.id == id }
            case .finish(let status):
                schedule(now, nil, .runEnded(status))
            case .awaitOperator, .sampleGuard, .createSilence, .expireSilence, .notify, .abandon, .suspend:
                // The scenario has no manual steps, guards, silence or notifiers, and nobody to wait for.
                break
            }
        }
    }
}

func micro(_ value: Int64) -> DrillDuration { .init(nanoseconds: value * 1_000) }
