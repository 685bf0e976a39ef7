import FiredrillCore
import FiredrillRuntime
import FiredrillSampleService
import Foundation

/// Measures what docs/PERFORMANCE.md quotes: engine overhead per step, durable events per
/// second, the demo drill's RTO/RPO error against the sample service's own log, peak resident
/// memory, whether a 50 ms probe keeps its period while events are recorded, and how long
/// the loader takes on hostile scenario files, and how long reports of 10,000 and 100,000
/// probe samples take to render, in how much memory.
/// Run from the repository root: `swift run -c release firedrill-bench [--runs N] [--loader | --side-by-side | --reports]`.
@main
struct Benchmark {
    static let usage = """
        usage: firedrill-bench [--runs N] [--loader | --side-by-side | --reports]
          --runs N   how many times each figure is measured (default 5); medians are printed
          --loader   only the hostile scenario files' load times
          --reports  only the report formats' render times and peak memory, at 10,000 and 100,000 probe samples
          --record N DB  only write the reports' record of N probe samples into a new database DB (to render or profile)
          --serve           only time firedrill serve's live stream against a running drill
          --history-record DB  only write 10,000 runs of 50 scenarios into a new SQLite record DB, the scenarios beside it
          --postgres  only the shared record's figures: durable events/s on PostgreSQL (1 and 10 runners), history and due
                      over 10,000 runs of 50 scenarios on both stores, the demo's RTO/RPO error on both (a cluster of its own)
          --side-by-side  only the 10-step drill beside Chaos Toolkit (installed from PyPI into .build-bench/)
        Run from the repository root, in a release build: swift run -c release firedrill-bench
        """

    static func main() async throws {
        let args = CommandLine.arguments
        if let index = args.firstIndex(of: "--demo-child") {
            // One demo drill in a process of its own, so its peak memory is the engine's alone.
            let (rto, rpo) = try await demoError(dir: args[index + 1], run: 0)
            say("\(rto) \(rpo) \(statusKB("VmHWM:")) \(statusKB("RssAnon:"))")
            return
        }
        let known: Set<String> = ["--runs", "--loader", "--side-by-side", "--reports", "--record", "--history-record", "--postgres", "--serve", "--help", "-h"]
        if args.contains("--help") || args.contains("-h") {
            say(Self.usage)
            return
        }
        // Anything unknown is refused, not run past: a mistyped flag must not start a benchmark.
        let valued: Set<String> = ["--runs", "--record", "--history-record"]
        for (index, arg) in args.enumerated().dropFirst() where !known.contains(arg) && !valued.contains(args[index - 1])
            && !(index >= 2 && args[index - 2] == "--record") {
            FileHandle.standardError.write(Data("firedrill-bench: unknown argument '\(arg)'\n\(Self.usage)\n".utf8))
            exit(2)
        }
        guard let runs = args.firstIndex(of: "--runs").map({ args.indices.contains($0 + 1) ? Int(args[$0 + 1]) : nil }) ?? 5, runs > 0 else {
            FileHandle.standardError.write(Data("firedrill-bench: --runs takes a positive number\n".utf8))
            exit(2)
        }
        if let index = args.firstIndex(of: "--record") {
            guard args.count > index + 2, let samples = Int(args[index + 1]), samples > 0, !FileManager.default.fileExists(atPath: args[index + 2]) else {
                FileHandle.standardError.write(Data("firedrill-bench: --record takes a sample count and the path of a database to create\n".utf8))
                exit(2)
            }
            let record = try ProbeHeavyRecord.write(samples: samples, path: args[index + 2])
            say("run \(record.runID): \(record.samples) probe samples, \(record.events) events, in \(record.path)")
            return
        }
        if let index = args.firstIndex(of: "--history-record") {
            // 10,000 runs of 50 scenarios into a new SQLite record, and the scenarios beside it (to time or profile).
            let path = args[index + 1]
            let history = try await HistoryRecord.make(runs: 10_000, scenarios: 50, dir: (path as NSString).deletingLastPathComponent)
            try history.fill(try SQLiteStore(path: path))
            say("\(history.runs) runs of \(history.scenarios) scenarios, \(history.template.count) events each, in \(path)")
            return
        }
        if args.contains("--postgres") {
            try await sayPostgres(runs: runs)
            return
        }
        if args.contains("--loader") {
            sayHostileLoads(runs: runs)
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        if args.contains("--side-by-side") {
            saySideBySide(runs: runs, dir: "\(work)/side-by-side")
            return
        }
        if args.contains("--reports") {
            try sayReports(runs: runs, dir: "\(work)/reports")
            return
        }
        if args.contains("--serve") {
            try await sayServe(runs: runs, dir: "\(work)/serve")
            return
        }
        say("firedrill-bench: \(runs) runs each, \(ProcessInfo.processInfo.activeProcessorCount) cores, clock resolution \(SystemClock.monotonicResolutionNs) ns")

        var overheads: [Double] = []
        for run in 0..<runs { overheads.append(try await stepOverhead(dir: work, run: run)) }
        say(String(format: "engine overhead per step (100 no-op steps, durable record): median %.3f ms (min %.3f, max %.3f)",
                   median(overheads) * 1e3, overheads.min()! * 1e3, overheads.max()! * 1e3))

        var rates: [Double] = []
        for run in 0..<runs { rates.append(try durableEventsPerSecond(dir: work, run: run)) }
        say(String(format: "durable events per second (synchronous=FULL, one transaction each): median %.0f (min %.0f, max %.0f)",
                   median(rates), rates.min()!, rates.max()!))

        let periods = try await probePeriodUnderLoad(dir: work)
        say(String(format: "50 ms probe under a 10 ms canary's recording: intervals median %.1f ms, p99 %.1f ms, max %.1f ms over %d samples",
                   median(periods) * 1e3, percentile(periods, 0.99) * 1e3, periods.max()! * 1e3, periods.count + 1))

        sayHostileLoads(runs: runs)

        saySideBySide(runs: runs, dir: "\(work)/side-by-side")

        try sayReports(runs: runs, dir: "\(work)/reports")

        var rtoErrors: [Double] = [], rpoErrors: [Double] = [], peaks: [Double] = [], anon: [Double] = []
        for run in 0..<runs {
            let figures = try demoInChildProcess(dir: "\(work)/demo-\(run)")
            rtoErrors.append(figures[0])
            rpoErrors.append(figures[1])
            peaks.append(figures[2])
            anon.append(figures[3])
        }
        say(String(format: "demo drill RTO error vs the service's log: median %.1f ms, max %.1f ms (probe period 100 ms)",
                   median(rtoErrors) * 1e3, rtoErrors.max()! * 1e3))
        say(String(format: "demo drill RPO error vs the service's log: median %.1f ms, max %.1f ms (canary period 200 ms)",
                   median(rpoErrors) * 1e3, rpoErrors.max()! * 1e3))
        say(String(format: "peak resident memory of the engine during the demo drill (VmHWM): median %.1f MB, max %.1f MB",
                   median(peaks) / 1024, peaks.max()! / 1024))
        say(String(format: "  of which its own anonymous memory at the end (RssAnon; the rest is shared library pages): median %.1f MB",
                   median(anon) / 1024))
    }

    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func quietRun(_ scenario: Scenario, dir: String, name: String, overrides: [String: String] = [:],
                         store given: (any DrillStore)? = nil) async throws -> (RunOutcome, any DrillStore) {
        let store = try given ?? SQLiteStore(path: "\(dir)/\(name).db")
        let outcome = try await DrillExecutor.start(
            ScenarioSource(scenario: scenario, path: "\(name).yaml", text: "# built by firedrill-bench", sha256: "bench"),
            overrides: overrides, store: store, console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        return (outcome, store)
    }

    /// Wall time of a 100-step drill minus the time its steps spent in their driver, per step.
    static func stepOverhead(dir: String, run: Int) async throws -> Double {
        let steps = (0..<100).map { Step(name: "noop \($0)", action: .sleep(.zero)) }
        let scenario = Scenario(name: "overhead", phases: [Phase(name: "noops", steps: steps)])
        let clock = SystemClock()
        let start = clock.now().monoNs
        let (outcome, store) = try await quietRun(scenario, dir: dir, name: "overhead-\(run)")
        let wall = Double(clock.now().monoNs - start) / 1e9
        let state = DrillMachine.replay(scenario, events: try store.events(of: outcome.runID).map { ($0.event, $0.at) }).state
        let own = state.attempts.reduce(0.0) { $0 + (($1.endedAt ?? $1.startedAt) - $1.startedAt).seconds }
        return (wall - own) / Double(steps.count)
    }

    static func durableEventsPerSecond(dir: String, run: Int) throws -> Double {
        let store = try SQLiteStore(path: "\(dir)/events-\(run).db")
        let clock = SystemClock()
        let reading = clock.now()
        let id = "bench-\(run)"
        let started = RunStarted(scenario: "bench", scenarioSHA256: "", firedrillVersion: Firedrill.version, vars: [:],
                                 runner: RunnerIdentity(pid: getpid(), host: "bench"))
        try store.createRun(RunRecord(id: id, scenario: "bench", title: nil, scenarioPath: "bench.yaml", scenarioText: "", scenarioSHA256: "",
                                      status: .completed, startedWallNs: reading.wallNs, startedMonoNs: reading.monoNs, bootID: clock.bootID),
                            first: RecordedEvent(seq: 1, event: .runStarted(started), at: .init(nanoseconds: 0), monoNs: reading.monoNs,
                                                 wallNs: reading.wallNs))
        let count = 2000
        let report = DriverReport(verdict: .passed, summary: "HTTP 200 OK")
        let start = clock.now().monoNs
        for seq in 2...(count + 1) {
            let now = clock.now()
            let event = DrillEvent.canaryWritten(.init(seq: seq, report: report, startedAt: .init(nanoseconds: now.monoNs - start),
                                                       endedAt: .init(nanoseconds: now.monoNs - start)))
            try store.append([RecordedEvent(seq: seq, event: event, at: .init(nanoseconds: now.monoNs - start),
                                            monoNs: now.monoNs, wallNs: now.wallNs)], to: id)
        }
        return Double(count) / (Double(clock.now().monoNs - start) / 1e9)
    }

    static func sampleService() throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = (exe as NSString).deletingLastPathComponent + "/firedrill-sample-service"
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("no firedrill-sample-service beside \(exe)") }
        return path
    }

    /// A `wait_for` probing a live service every 50 ms for 3 s while a canary records an event
    /// every 10 ms: the probe's start-to-start intervals.
    static func probePeriodUnderLoad(dir: String) async throws -> [Double] {
        let service = try sampleService()
        let port = try LoopbackPort.free()
        let data = "\(dir)/probe"
        let url = "http://127.0.0.1:\(port)"
        let start = Step(name: "start", action: .probe(.run(argv: [Template(service), "start", "--port", Template(String(port)), "--data", Template(data + "/data"),
                                                                     "--backups", Template(data + "/backups"), "--pidfile", Template(data + "/pid")])), timeout: .seconds(30))
        let stop = Step(name: "stop", action: .probe(.run(argv: [Template(service), "stop", "--pidfile", Template(data + "/pid")])), onFailure: .continue)
        let health = Probe.http(HTTPProbe(url: Template(url + "/health")))
        let scenario = Scenario(
            name: "probe-period", setup: [start],
            canary: Canary(every: .milliseconds(10), warmup: .zero, write: .http(HTTPProbe(method: "POST", url: Template(url + "/write?seq=${canary.seq}"))),
                           read: .http(HTTPProbe(url: Template(url + "/latest")))),
            phases: [Phase(name: "poll", steps: [
                Step(name: "never fails", action: .waitFor(WaitFor(probe: health, expect: .fail, every: .milliseconds(50))),
                     timeout: .seconds(3), onFailure: .continue),
                Step(name: "disaster", action: .sleep(.zero), mark: "disaster"),
            ])],
            teardown: [stop])
        let (outcome, store) = try await quietRun(scenario, dir: dir, name: "probe-period")
        let state = DrillMachine.replay(scenario, events: try store.events(of: outcome.runID).map { ($0.event, $0.at) }).state
        let starts = state.samples.filter { $0.ref == .phase(0, 0) }.map(\.startedAt).sorted()
        guard starts.count > 2 else { throw BenchError("the probe ran \(starts.count) times") }
        return zip(starts.dropFirst(), starts).map { ($0 - $1).seconds }
    }

    /// Runs `--demo-child` and reads back its RTO error, RPO error, peak KB and anonymous KB.
    static func demoInChildProcess(dir: String) throws -> [Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        process.arguments = ["--demo-child", dir]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let figures = output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard process.terminationStatus == 0, figures.count == 4 else { throw BenchError("demo child failed: \(output)") }
        return figures
    }

    /// The shipped demo drill; |measured − the service's own log| for RTO and RPO.
    static func demoError(dir: String, run: Int, store: (any DrillStore)? = nil) async throws -> (Double, Double) {
        let loaded = try ScenarioLoader.load(path: "scenarios/demo.yaml")
        let folder = dir
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (outcome, _) = try await quietRun(loaded.scenario, dir: folder, name: "demo",
                                              overrides: ["service": try sampleService(), "port": String(try LoopbackPort.free()), "dir": folder],
                                              store: store)
        guard outcome.status == .completed, let m = outcome.measurement, let rto = m.rto, let rpo = m.rpo?.span else {
            throw BenchError("demo run \(run) ended \(outcome.status): \(outcome.failureReason ?? "")")
        }
        let truth = try SampleServiceTruth.analyze(logFile: folder + "/service.log")
        return (abs(rto.value.seconds - truth.downtimeSeconds), abs(rpo.value.seconds - truth.rpoSeconds))
    }

    /// A `kB` field of /proc/self/status.
    static func statusKB(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
