import Crypto
import FiredrillCore
import FiredrillPostgres
import FiredrillRuntime
import FiredrillTestSupport
import Foundation

/// The shared record's figures (docs/PERFORMANCE.md), on a PostgreSQL cluster of the bench's own
/// (Debian's initdb and pg_ctl, 127.0.0.1, fsync and synchronous_commit on).
extension Benchmark {
    static func sayPostgres(runs: Int) async throws {
        let server = try TestPostgres.start()
        defer { server.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-bench-pg-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func fresh() throws -> PostgresStore { try PostgresStore(url: server.url(database: try server.createDatabase("bench"))) }

        let one = try (0..<runs).map { _ in try eventsPerSecond(stores: [try fresh()], each: 2000) }
        say(String(format: "durable events/s, PostgreSQL, 1 runner: median %.0f (of %d)", median(one), runs))
        let ten = try (0..<runs).map { _ in try eventsPerSecond(stores: try (0..<10).map { _ in try fresh() }, each: 400) }
        say(String(format: "durable events/s, PostgreSQL, 10 runners together: median %.0f in total (of %d); target >= 2,000", median(ten), runs))

        // 10,000 runs of 50 scenarios, each a copy of one real drill's record (see `HistoryRecord`).
        let sqlitePath = dir + "/history.db"
        let sqlite = try SQLiteStore(path: sqlitePath)
        let pgURL = server.url(database: try server.createDatabase("history"))
        let postgres = try PostgresStore(url: pgURL)
        let history = try await HistoryRecord.make(runs: 10_000, scenarios: 50, dir: dir)
        let filled = ContinuousClock.now
        try history.fill(sqlite)
        try history.fill(postgres)
        say("recorded 10,000 runs of 50 scenarios (\(history.template.count) events each) in each store in \(ContinuousClock.now - filled)")
        let scenarios = history.scenarioPaths
        for (name, db) in [("SQLite", sqlitePath), ("PostgreSQL", pgURL)] {
            let history = try (0..<runs).map { _ in try timedFiredrill(["history", "--db", db]) }
            let due = try (0..<runs).map { _ in try timedFiredrill(["due"] + scenarios + ["--db", db]) }
            say(String(format: "%@: history %.0f ms, due %.0f ms over 10,000 runs (medians of %d; target < 200 ms)", name,
                       median(history) * 1000, median(due) * 1000, runs))
        }

        var errors: [(store: String, rto: Double, rpo: Double)] = []
        for run in 0..<runs {
            let (sqliteRTO, sqliteRPO) = try await demoError(dir: dir + "/demo-sqlite-\(run)", run: run)
            errors.append(("SQLite", sqliteRTO, sqliteRPO))
            let (pgRTO, pgRPO) = try await demoError(dir: dir + "/demo-pg-\(run)", run: run, store: try fresh())
            errors.append(("PostgreSQL", pgRTO, pgRPO))
        }
        for name in ["SQLite", "PostgreSQL"] {
            let mine = errors.filter { $0.store == name }
            say(String(format: "demo drill on %@: RTO error median %.0f ms (max %.0f), RPO error median %.0f ms (max %.0f), %d runs", name,
                       median(mine.map(\.rto)) * 1000, (mine.map(\.rto).max() ?? 0) * 1000,
                       median(mine.map(\.rpo)) * 1000, (mine.map(\.rpo).max() ?? 0) * 1000, mine.count))
        }
    }

    /// Each store's own run appended to one durable event at a time, all stores at once on threads of their own.
    static func eventsPerSecond(stores: [PostgresStore], each: Int) throws -> Double {
        let clock = SystemClock()
        for (index, store) in stores.enumerated() { try createBenchRun(store, id: "bench-\(index)", scenario: "bench-\(index)") }
        let group = DispatchGroup()
        let failures = RunnerFailures()
        let start = clock.now().monoNs
        for (index, store) in stores.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do { try appendCanaries(store, id: "bench-\(index)", count: each, start: start) } catch { failures.add("\(error)") }
            }
        }
        group.wait()
        if let failure = failures.first { throw BenchError(failure) }
        return Double(each * stores.count) / (Double(clock.now().monoNs - start) / 1e9)
    }

    static func createBenchRun(_ store: any DrillStore, id: String, scenario: String, wallNs: Int64? = nil, text: String = "") throws {
        let clock = SystemClock()
        let reading = clock.now()
        let sha = AuditChain.hex(SHA256.hash(data: Data(text.utf8)))
        let started = RunStarted(scenario: scenario, scenarioSHA256: sha, firedrillVersion: Firedrill.version, vars: [:],
                                 runner: RunnerIdentity(pid: getpid(), host: "bench"), scenarioText: text.isEmpty ? nil : text,
                                 scenarioPath: "\(scenario).yaml", bootID: clock.bootID)
        try store.createRun(RunRecord(id: id, scenario: scenario, title: nil, scenarioPath: "\(scenario).yaml", scenarioText: text, scenarioSHA256: sha,
                                      status: .running, startedWallNs: wallNs ?? reading.wallNs, startedMonoNs: reading.monoNs, bootID: clock.bootID),
                            first: RecordedEvent(seq: 1, event: .runStarted(started), at: .init(nanoseconds: 0), monoNs: reading.monoNs,
                                                 wallNs: wallNs ?? reading.wallNs))
    }

    static func appendCanaries(_ store: any DrillStore, id: String, count: Int, start: Int64) throws {
        let clock = SystemClock()
        let report = DriverReport(verdict: .passed, summary: "HTTP 200 OK")
        for seq in 2...(count + 1) {
            let now = clock.now()
            let at = DrillInstant(nanoseconds: now.monoNs - start)
            try store.append([RecordedEvent(seq: seq, event: .canaryWritten(.init(seq: seq, report: report, startedAt: at, endedAt: at)),
                                            at: at, monoNs: now.monoNs, wallNs: now.wallNs)], to: id)
        }
    }

    /// Seconds a `firedrill` command beside this bench takes, start to exit.
    static func timedFiredrill(_ arguments: [String]) throws -> Double {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let firedrill = (exe as NSString).deletingLastPathComponent + "/firedrill"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: firedrill)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || arguments.first == "due" else { throw BenchError("firedrill \(arguments.first ?? "") exited \(process.terminationStatus)") }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Failures from the runner threads.
final class RunnerFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []
    func add(_ failure: String) { lock.lock(); failures.append(failure); lock.unlock() }
    var first: String? { lock.lock(); defer { lock.unlock() }; return failures.first }
}
