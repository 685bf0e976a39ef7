import FiredrillCore
import Foundation
import GRDB

/// The SQLite record: WAL, `synchronous=FULL` so an acknowledged event survives kill -9
/// and power loss; schema by migrations. The events table is the truth; the other tables
/// are projections for queries and reports.
public final class SQLiteStore: DrillStore {
    public let path: String
    public var location: String { path }
    let pool: DatabasePool
    /// The database file (and its WAL) as opened, to notice a removal or replacement.
    let identity: FileIdentity

    public static let defaultPath = "firedrill.db"

    public init(path: String) throws(StoreError) {
        self.path = path
        var config = Configuration()
        // How long to wait for another process's write lock before saying the database is locked.
        let waitMs = ProcessInfo.processInfo.environment["FIREDRILL_DB_BUSY_TIMEOUT_MS"].flatMap(Double.init) ?? 10_000
        config.busyMode = .timeout(waitMs / 1000)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try Self.openAndMigrate(path: path, configuration: config, waitMs: waitMs)
            identity = try FileIdentity(path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.describe(error, path: path)
        }
    }

    /// Opening a new database sets WAL mode and migrates it. Two processes doing so at once can
    /// get SQLITE_BUSY at once, without the busy handler (SQLite's deadlock avoidance when a reader
    /// upgrades): that is retried, a little later each time, within the same busy timeout.
    static func openAndMigrate(path: String, configuration: Configuration, waitMs: Double) throws -> DatabasePool {
        let give = ContinuousClock.now + .milliseconds(Int64(waitMs))
        var pause: Duration = .milliseconds(5)
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                // GRDB sets `synchronous = NORMAL` on a pool's writer once WAL is on (after
                // `prepareDatabase`), so a commit would not be fsync'd: set it back.
                try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
                try migrate(pool, path: path)
                return pool
            } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode.primaryResultCode)
                        && ContinuousClock.now + pause < give {
                Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
                pause = min(pause * 2, .milliseconds(200))
            }
        }
    }

    /// A write transaction whose failures are said in words (locked, read-only, full). What it
    /// wrote counts only if the file it went to is still this database's: a file removed or
    /// replaced under a run takes every later write with it, so that is a store failure too.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        let result: T
        do { result = try pool.write(body) } catch let error as LeaseError { throw error } catch { throw StoreError.describe(error, path: path) }
        try identity.check()
        return result
    }

    /// A write that survives this process's death (kill -9, OOM) but is not fsync'd
    /// (`synchronous = NORMAL` for its one commit): for rows that mean nothing after the machine
    /// restarts, such as the processes a step has running. A later fsync'd commit makes it
    /// durable too (the WAL is written in order). The next write is fsync'd again.
    func writeUnsynced(_ body: (Database) throws -> Void) throws {
        do {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                do {
                    try db.inTransaction {
                        try body(db)
                        return .commit
                    }
                } catch {
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    throw error
                }
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw StoreError.describe(error, path: path)
        }
        try identity.check()
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StoreError.describe(error, path: path) }
    }

    /// Forward-only, in order; an applied one is never edited.
    static var migrations: [SchemaMigration] {
        var migrator = SchemaMigration.List()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    scenario TEXT NOT NULL,
                    title TEXT,
                    scenario_path TEXT NOT NULL,
                    scenario_text TEXT NOT NULL,
                    scenario_sha256 TEXT NOT NULL,
                    status TEXT NOT NULL,
                    started_wall_ns INTEGER NOT NULL,
                    started_mono_ns INTEGER NOT NULL,
                    boot_id TEXT NOT NULL,
                    ended_wall_ns INTEGER,
                    rto_seconds REAL,
                    rpo_seconds REAL,
                    objectives_met INTEGER,
                    runner_pid INTEGER,
                    runner_host TEXT,
                    vars_json TEXT NOT NULL DEFAULT '{}'
                );
                CREATE INDEX runs_by_scenario ON runs(scenario, started_wall_ns);
                CREATE TABLE events (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    seq INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    at_ns INTEGER NOT NULL,
                    mono_ns INTEGER NOT NULL,
                    wall_ns INTEGER NOT NULL,
                    payload TEXT NOT NULL,
                    PRIMARY KEY (run_id, seq)
                ) WITHOUT ROWID;
                -- The log is append-only: no update, no delete.
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TABLE attempts (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    ref TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    action TEXT,
                    started_ns INTEGER NOT NULL,
                    ended_ns INTEGER,
                    verdict TEXT,
                    summary TEXT,
                    exit_status INTEGER,
                    http_status INTEGER,
                    stdout TEXT,
                    stdout_bytes INTEGER,
                    stderr TEXT,
                    stderr_bytes INTEGER,
                    PRIMARY KEY (run_id, ref, attempt)
                );
                CREATE TABLE probe_samples (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    ref TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    sample INTEGER NOT NULL,
                    started_ns INTEGER NOT NULL,
                    latency_ns INTEGER NOT NULL,
                    passed INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    PRIMARY KEY (run_id, ref, attempt, sample)
                );
                CREATE TABLE canary_writes (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    seq INTEGER NOT NULL,
                    started_ns INTEGER NOT NULL,
                    ended_ns INTEGER NOT NULL,
                    acknowledged INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    PRIMARY KEY (run_id, seq)
                );
                CREATE TABLE marks (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    name TEXT NOT NULL,
                    at_ns INTEGER NOT NULL,
                    lower_ns INTEGER NOT NULL,
                    upper_ns INTEGER NOT NULL,
                    ref TEXT NOT NULL,
                    probe_interval_ns INTEGER,
                    PRIMARY KEY (run_id, name)
                );
                CREATE TABLE measurements (
                    run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs(id),
                    json TEXT NOT NULL
                );
                CREATE TABLE inbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    payload TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2-audit-chain-and-lease") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
                ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
                -- Kept apart from runs: a row rewritten with every event must stay small.
                CREATE TABLE chain_heads (
                    run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs(id),
                    head_hash TEXT NOT NULL,
                    event_count INTEGER NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE runs ADD COLUMN runner_since_wall_ns INTEGER;
                ALTER TABLE runs ADD COLUMN runner_token TEXT;
                DROP TRIGGER events_no_update;
                """)
            // Chain the events recorded before the chain existed.
            for runID in try String.fetchAll(db, sql: "SELECT id FROM runs") {
                var previous = AuditChain.genesis
                var count = 0
                for row in try Row.fetchAll(db, sql: "SELECT seq, type, at_ns, mono_ns, wall_ns, payload FROM events WHERE run_id = ? ORDER BY seq",
                                            arguments: [runID]) {
                    let hash = AuditChain.hash(previous: previous, runID: runID, seq: row["seq"], type: row["type"], atNs: row["at_ns"],
                                               monoNs: row["mono_ns"], wallNs: row["wall_ns"], payload: row["payload"])
                    try db.execute(sql: "UPDATE events SET prev_hash = ?, hash = ? WHERE run_id = ? AND seq = ?",
                                   arguments: [previous, hash, runID, row["seq"] as Int])
                    previous = hash
                    count += 1
                }
                if count > 0 {
                    try db.execute(sql: "INSERT INTO chain_heads VALUES (?, ?, ?)", arguments: [runID, previous, count])
                }
            }
            try db.execute(sql: """
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """)
        }
        migrator.registerMigration("v3-action-items") { db in
            try db.execute(sql: """
                CREATE TABLE action_items (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    scenario TEXT NOT NULL,
                    title TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    due TEXT NOT NULL,
                    created_wall_ns INTEGER NOT NULL,
                    closed_wall_ns INTEGER,
                    close_note TEXT
                );
                CREATE INDEX action_items_scenario ON action_items(scenario, id);
                """)
        }
        migrator.registerMigration("v4-signed-heads") { db in
            try db.execute(sql: """
                CREATE TABLE signed_heads (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL,
                    event_count INTEGER NOT NULL,
                    head_hash TEXT NOT NULL,
                    previous_digest TEXT NOT NULL,
                    public_key TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    signed_wall_ns INTEGER NOT NULL
                );
                CREATE TRIGGER signed_heads_no_update BEFORE UPDATE ON signed_heads BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
                CREATE TRIGGER signed_heads_no_delete BEFORE DELETE ON signed_heads BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
                """)
        }
        migrator.registerMigration("v5-step-processes") { db in
            // What a step in flight has running, for whoever takes the run over after a crash.
            try db.execute(sql: """
                CREATE TABLE step_processes (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    activity TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    start_ticks INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    boot_id TEXT NOT NULL,
                    cgroup TEXT,
                    PRIMARY KEY (run_id, activity, pid)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6-imported-signatures") { db in
            try db.execute(sql: "ALTER TABLE signed_heads ADD COLUMN imported INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v7-bookends") { db in
            // A run's first and end events, so `history` reads two events of a run, not all.
            try db.execute(sql: "CREATE INDEX events_bookends ON events (run_id, seq) WHERE \(Bookend.condition)")
        }
        migrator.registerMigration("v8-access-tokens") { db in
            // `firedrill serve`'s tokens, by their secret's hash; one live token per name.
            try db.execute(sql: """
                CREATE TABLE access_tokens (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    token_sha256 TEXT NOT NULL UNIQUE,
                    created_wall_ns INTEGER NOT NULL,
                    revoked_wall_ns INTEGER
                );
                CREATE UNIQUE INDEX access_tokens_live_name ON access_tokens (name) WHERE revoked_wall_ns IS NULL;
                """)
        }
        return migrator.migrations
    }

    /// Runs whose status is not final, for the scenario-busy rule.
    static let unfinishedCondition = "status NOT IN (\(RunStatus.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ")))"

    public func createRun(_ run: RunRecord, first: RecordedEvent) throws {
        try write { db in
            let unfinished = try Row.fetchAll(db, sql: "\(Self.selectRuns) WHERE scenario = ? AND \(Self.unfinishedCondition)",
                                              arguments: [run.scenario]).map(Self.record)
            if let busy = LeaseError.scenarioBusy(among: unfinished) { throw busy }
            try db.execute(sql: """
                INSERT INTO runs (id, scenario, title, scenario_path, scenario_text, scenario_sha256, status, started_wall_ns,
                    started_mono_ns, boot_id, runner_pid, runner_host, runner_since_wall_ns, runner_token, vars_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, run.scenario, run.title, run.scenarioPath, run.scenarioText, run.scenarioSHA256,
                                 run.status.rawValue, run.startedWallNs, run.startedMonoNs, run.bootID, run.runner?.pid,
                                 run.runner?.host, run.runner?.sinceWallNs, run.runner?.token, run.varsJSON])
            try append([first], to: run.id, db: db)
        }
    }

    @discardableResult
    public func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease? {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "\(Self.selectRuns) WHERE id = ?", arguments: [runID]) else {
                throw StoreError(description: "no run '\(runID)' in \(path)")
            }
            let replaced = try RunnerLease.takeOver(runID, from: Self.record(row).runner, by: lease, force: force)
            try db.execute(sql: "UPDATE runs SET runner_pid = ?, runner_host = ?, runner_since_wall_ns = ?, runner_token = ? WHERE id = ?",
                           arguments: [lease.pid, lease.host, lease.sinceWallNs, lease.token, runID])
            return replaced
        }
    }

    public func releaseLease(_ runID: String, pid: Int32) throws {
        try write { db in try releaseLease(runID, pid: pid, db: db) }
    }

    func releaseLease(_ runID: String, pid: Int32, db: Database) throws {
        let holder = try Row.fetchOne(db, sql: "\(Self.selectRuns) WHERE id = ?", arguments: [runID]).map(Self.record)?.runner
        guard RunnerLease.mayRelease(holder, pid: pid) else { return }
        try db.execute(sql: """
            UPDATE runs SET runner_pid = NULL, runner_host = NULL, runner_since_wall_ns = NULL, runner_token = NULL WHERE id = ?
            """, arguments: [runID])
    }

    /// Not fsync'd: the rows name processes of this boot only (rows of another are skipped), and
    /// a machine that restarts has none of them left; they survive the orchestrator's own death.
    public func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws {
        guard !processes.isEmpty else { return }
        try writeUnsynced { db in
            for process in processes {
                try db.execute(sql: "INSERT OR REPLACE INTO step_processes VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [runID, process.activity, process.pid, Int64(bitPattern: process.startTicks), process.host,
                                           process.bootID, process.cgroup])
            }
        }
    }

    public func clearStepProcesses(_ runID: String, activity: String?) throws {
        try writeUnsynced { db in
            if let activity {
                try db.execute(sql: "DELETE FROM step_processes WHERE run_id = ? AND activity = ?", arguments: [runID, activity])
            } else {
                try db.execute(sql: "DELETE FROM step_processes WHERE run_id = ?", arguments: [runID])
            }
        }
    }

    public func stepProcesses(of runID: String) throws -> [StepProcess] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM step_processes WHERE run_id = ? ORDER BY activity, pid", arguments: [runID]).map { row in
                StepProcess(activity: row["activity"], pid: row["pid"], startTicks: UInt64(bitPattern: row["start_ticks"] as Int64),
                            host: row["host"], bootID: row["boot_id"], cgroup: row["cgroup"])
            }
        }
    }

    public func append(_ events: [RecordedEvent], to runID: String) throws {
        guard !events.isEmpty else { return }
        try write { db in try append(events, to: runID, db: db) }
    }

    /// Links each event into the chain from the run's recorded head, in the caller's transaction.
    func append(_ events: [RecordedEvent], to runID: String, db: Database) throws {
        let head = try Row.fetchOne(db, sql: "SELECT head_hash, event_count FROM chain_heads WHERE run_id = ?", arguments: [runID])
        var previous: String = head?["head_hash"] ?? AuditChain.genesis
        var count: Int = head?["event_count"] ?? 0
        for recorded in events {
            guard recorded.seq == count + 1 else {
                throw StoreError(description: "event \(recorded.seq) of run \(runID) does not follow event \(count): another process is writing this run")
            }
            let link = try AuditChain.link(recorded, runID: runID, after: previous)
            try db.execute(sql: """
                INSERT INTO events (run_id, seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, link.seq, link.type, link.atNs, link.monoNs, link.wallNs, link.payload, link.prevHash, link.hash])
            try project(recorded, runID: runID, db: db)
            previous = link.hash
            count += 1
        }
        try db.execute(sql: "INSERT OR REPLACE INTO chain_heads VALUES (?, ?, ?)", arguments: [runID, previous, count])
    }

    /// The head the chain of `events` has, computed as `append` links them.
    public static func chainHead(runID: String, events: [RecordedEvent]) throws -> String {
        try events.reduce(AuditChain.genesis) { previous, recorded in try AuditChain.link(recorded, runID: runID, after: previous).hash }
    }

    /// A run's chain link by link as it is read, none kept.
    public func forEachLink(of runID: String, _ body: (AuditChain.Link) throws -> Void) throws {
        try forEachRow(sql: "SELECT seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash FROM events WHERE run_id = ? ORDER BY seq",
                       arguments: [runID]) { row in
            try body(AuditChain.Link(seq: row[0], type: row[1], atNs: row[2], monoNs: row[3], wallNs: row[4], payload: row[5], prevHash: row[6], hash: row[7]))
        }
    }

    public func forEachEventOfEveryRun(_ body: (String, RecordedEvent) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: path)
        try forEachRow(sql: "SELECT run_id, seq, at_ns, mono_ns, wall_ns, payload FROM events ORDER BY run_id, seq", arguments: []) { row in
            try body(row[0], RecordedEvent(seq: row[1], event: try decoder.event(row[5]), at: DrillInstant(nanoseconds: row[2]),
                                           monoNs: row[3], wallNs: row[4]))
        }
    }

    public func forEachBookend(_ body: (Bookend) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: path)
        try forEachRow(sql: "SELECT \(Bookend.columns) FROM events WHERE \(Bookend.condition) ORDER BY run_id, seq", arguments: []) { row in
            let payload: String? = row[6]
            try body(Bookend(runID: row[0], seq: row[1], type: row[2], at: DrillInstant(nanoseconds: row[3]), monoNs: row[4], wallNs: row[5],
                             ended: try payload.map { try decoder.event($0) }))
        }
    }

    public func runIDs() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT id FROM runs") }
    }

    /// Every run id that has events or a run row, so events of a deleted run are still checked.
    public func chainedRunIDs() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT id FROM runs UNION SELECT DISTINCT run_id FROM events ORDER BY 1")
        }
    }

    /// Keeps the query tables in step with the log, in the same transaction.
    func project(_ recorded: RecordedEvent, runID: String, db: Database) throws {
        try projectRows(recorded, runID: runID, db: db)
        if let change = RunProjection.change(for: recorded) {
            try db.execute(sql: "UPDATE runs SET status = ?, ended_wall_ns = COALESCE(?, ended_wall_ns) WHERE id = ?",
                           arguments: [change.status.rawValue, change.endedWallNs, runID])
        }
    }

    /// The attempts, samples and canary writes an event adds.
    func projectRows(_ recorded: RecordedEvent, runID: String, db: Database) throws {
        switch recorded.event {
        case .attemptStarted(let started):
            try db.execute(sql: "INSERT OR REPLACE INTO attempts (run_id, ref, attempt, action, started_ns) VALUES (?, ?, ?, ?, ?)",
                           arguments: [runID, started.ref.description, started.attempt, started.action?.summary ?? started.resolutionError,
                                       recorded.at.nanoseconds])
        case .attemptFinished(let finished):
            // The call is over: what it had running is no longer a step's (see StepProcessRecorder).
            try db.execute(sql: "DELETE FROM step_processes WHERE run_id = ? AND activity = ?",
                           arguments: [runID, ActivityID.attempt(finished.ref, finished.attempt).description])
            let report = finished.report
            try db.execute(sql: """
                UPDATE attempts SET ended_ns = ?, verdict = ?, summary = ?, exit_status = ?, http_status = ?,
                    stdout = ?, stdout_bytes = ?, stderr = ?, stderr_bytes = ? WHERE run_id = ? AND ref = ? AND attempt = ?
                """, arguments: [finished.endedAt.nanoseconds, report.verdict.rawValue, report.summary, report.exitStatus,
                                 report.httpStatus, report.stdout?.text, report.stdout?.totalBytes, report.stderr?.text,
                                 report.stderr?.totalBytes, runID, finished.ref.description, finished.attempt])
        case .probeSampled(let sampled):
            try db.execute(sql: "INSERT OR REPLACE INTO probe_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, sampled.ref.description, sampled.attempt, sampled.sample, sampled.startedAt.nanoseconds,
                                       (sampled.endedAt - sampled.startedAt).nanoseconds, sampled.report.passed, sampled.report.summary])
        case .canaryWritten(let written):
            try db.execute(sql: "INSERT OR REPLACE INTO canary_writes VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [runID, written.seq, written.startedAt.nanoseconds, written.endedAt.nanoseconds,
                                       written.report.passed, written.report.summary])
        default:
            break
        }
    }

    /// Row by row from a cursor, each payload decoded as it comes.
    public func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: path)
        try forEachRow(sql: "SELECT seq, at_ns, mono_ns, wall_ns, payload FROM events WHERE run_id = ? ORDER BY seq", arguments: [runID]) { row in
            // By place, not name: a name is looked up in a dictionary, for every row.
            try body(RecordedEvent(seq: row[0], event: try decoder.event(row[4]), at: DrillInstant(nanoseconds: row[1]), monoNs: row[2], wallNs: row[3]))
        }
    }

    /// Each row of a query, handed over as it is stepped to. The store's own failures are said
    /// in words; what `body` throws is rethrown as it is.
    func forEachRow(sql: String, arguments: StatementArguments, _ body: (Row) throws -> Void) throws {
        var thrown: (any Error)?
        try read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                do { try body(row) } catch {
                    thrown = error
                    return
                }
            }
        }
        if let thrown { throw thrown }
    }

    /// Runs with their chain's head.
    static let selectRuns = """
        SELECT runs.*, chain_heads.head_hash AS head_hash, COALESCE(chain_heads.event_count, 0) AS event_count
        FROM runs LEFT JOIN chain_heads ON chain_heads.run_id = runs.id
        """

    static func record(_ row: Row) -> RunRecord {
        var runner: RunnerLease?
        if let pid = row["runner_pid"] as Int32?, let host = row["runner_host"] as String? {
            runner = RunnerLease(pid: pid, host: host, sinceWallNs: row["runner_since_wall_ns"] ?? 0, token: row["runner_token"] ?? "")
        }
        return RunRecord(
            id: row["id"], scenario: row["scenario"], title: row["title"], scenarioPath: row["scenario_path"],
            scenarioText: row["scenario_text"], scenarioSHA256: row["scenario_sha256"],
            status: RunStatus(rawValue: row["status"]) ?? .running, startedWallNs: row["started_wall_ns"],
            startedMonoNs: row["started_mono_ns"], bootID: row["boot_id"], endedWallNs: row["ended_wall_ns"],
            rtoSeconds: row["rto_seconds"], rpoSeconds: row["rpo_seconds"],
            objectivesMet: (row["objectives_met"] as Int?).map { $0 != 0 }, runner: runner, varsJSON: row["vars_json"],
            headHash: row["head_hash"], eventCount: row["event_count"])
    }

    public func run(_ id: String) throws -> RunRecord? {
        try read { db in try Row.fetchOne(db, sql: "\(Self.selectRuns) WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    public func runs(scenario: String?) throws -> [RunRecord] {
        try read { db in
            if let scenario {
                return try Row.fetchAll(db, sql: "\(Self.selectRuns) WHERE scenario = ? ORDER BY started_wall_ns DESC, id DESC",
                                        arguments: [scenario]).map(Self.record)
            }
            return try Row.fetchAll(db, sql: "\(Self.selectRuns) ORDER BY started_wall_ns DESC, id DESC").map(Self.record)
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        try write { db in try updateRun(run, db: db) }
    }

    func updateRun(_ run: RunRecord, db: Database) throws {
        try db.execute(sql: """
            UPDATE runs SET status = ?, ended_wall_ns = ?, rto_seconds = ?, rpo_seconds = ?, objectives_met = ? WHERE id = ?
            """, arguments: [run.status.rawValue, run.endedWallNs, run.rtoSeconds, run.rpoSeconds, run.objectivesMet, run.id])
    }

    public func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws {
        try write { db in try saveMeasurement(runID: runID, measurement: measurement, marks: marks, db: db) }
    }

    func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark], db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO measurements (run_id, json) VALUES (?, ?)",
                       arguments: [runID, try StoreJSON.text(measurement)])
        try db.execute(sql: "DELETE FROM marks WHERE run_id = ?", arguments: [runID])
        for mark in marks {
            try db.execute(sql: "INSERT INTO marks VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, mark.name, mark.at.nanoseconds, mark.lower.nanoseconds, mark.upper.nanoseconds,
                                       mark.ref.description, mark.probeInterval?.nanoseconds])
        }
    }

    public func finishRun(_ run: RunRecord, measurement: DrillMeasurement, marks: [Mark], releasingLeaseOf pid: Int32?) throws {
        try write { db in
            try updateRun(run, db: db)
            try saveMeasurement(runID: run.id, measurement: measurement, marks: marks, db: db)
            if let pid { try releaseLease(run.id, pid: pid, db: db) }
        }
    }

    @discardableResult
    public func appendSignature(runID: String, sign: (Int, String, String) -> HeadSignature) throws -> HeadSignature {
        try write { db in
            guard let head = try Row.fetchOne(db, sql: "SELECT head_hash, event_count FROM chain_heads WHERE run_id = ?", arguments: [runID]) else {
                throw StoreError(description: "run \(runID) has no events to sign")
            }
            let previous = try Row.fetchOne(db, sql: "SELECT * FROM signed_heads WHERE imported = 0 ORDER BY id DESC LIMIT 1").map(Self.signature)
            let signed = sign(head["event_count"], head["head_hash"], previous?.digest ?? AuditChain.genesis)
            try db.execute(sql: """
                INSERT INTO signed_heads (run_id, event_count, head_hash, previous_digest, public_key, signature, signed_wall_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [signed.runID, signed.eventCount, signed.headHash, signed.previousDigest, signed.publicKey,
                                 signed.signature, signed.signedWallNs])
            return signed
        }
    }

    public func signatures(runID: String?) throws -> [HeadSignature] {
        try read { db in
            if let runID {
                return try Row.fetchAll(db, sql: "SELECT * FROM signed_heads WHERE run_id = ? ORDER BY id", arguments: [runID]).map(Self.signature)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM signed_heads ORDER BY id").map(Self.signature)
        }
    }

    static func signature(_ row: Row) -> HeadSignature {
        HeadSignature(runID: row["run_id"], eventCount: row["event_count"], headHash: row["head_hash"], previousDigest: row["previous_digest"],
                      publicKey: row["public_key"], signature: row["signature"], signedWallNs: row["signed_wall_ns"],
                      imported: (row["imported"] as Int? ?? 0) != 0)
    }

    @discardableResult
    public func importRun(_ imported: ImportedRun) throws -> Bool {
        try write { db in
            let run = imported.run
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE id = ?", arguments: [run.id]) == 0,
                  try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE run_id = ?", arguments: [run.id]) == 0 else {
                throw StoreError(description: "run \(run.id) is already in \(path): it is not imported twice")
            }
            try db.execute(sql: """
                INSERT INTO runs (id, scenario, title, scenario_path, scenario_text, scenario_sha256, status, started_wall_ns,
                    started_mono_ns, boot_id, ended_wall_ns, rto_seconds, rpo_seconds, objectives_met, vars_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, run.scenario, run.title, run.scenarioPath, run.scenarioText, run.scenarioSHA256,
                                 run.status.rawValue, run.startedWallNs, run.startedMonoNs, run.bootID, run.endedWallNs,
                                 run.rtoSeconds, run.rpoSeconds, run.objectivesMet, run.varsJSON])
            var decoder = StorePayloadDecoder(location: path)
            for link in imported.links {
                try db.execute(sql: """
                    INSERT INTO events (run_id, seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.id, link.seq, link.type, link.atNs, link.monoNs, link.wallNs, link.payload, link.prevHash, link.hash])
                let recorded = RecordedEvent(seq: link.seq, event: try decoder.event(link.payload), at: DrillInstant(nanoseconds: link.atNs),
                                             monoNs: link.monoNs, wallNs: link.wallNs)
                try projectRows(recorded, runID: run.id, db: db)
            }
            if let last = imported.links.last {
                try db.execute(sql: "INSERT INTO chain_heads VALUES (?, ?, ?)", arguments: [run.id, last.hash, imported.links.count])
            }
            let ids = imported.actionItems.map(\.id)
            let keepsNumbers = try ids.isEmpty || Int.fetchOne(db, sql: "SELECT COUNT(*) FROM action_items WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))",
                                                              arguments: StatementArguments(ids)) == 0
            for item in imported.actionItems {
                try db.execute(sql: """
                    INSERT INTO action_items (id, run_id, scenario, title, owner, due, created_wall_ns, closed_wall_ns, close_note)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [keepsNumbers ? item.id : nil, item.runID, item.scenario, item.title, item.owner, item.due,
                                     item.createdWallNs, item.closedWallNs, item.closeNote])
            }
            for signed in imported.signatures {
                try db.execute(sql: """
                    INSERT INTO signed_heads (run_id, event_count, head_hash, previous_digest, public_key, signature, signed_wall_ns, imported)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1)
                    """, arguments: [signed.runID, signed.eventCount, signed.headHash, signed.previousDigest, signed.publicKey,
                                     signed.signature, signed.signedWallNs])
            }
            return keepsNumbers
        }
    }

    public func post(_ event: DrillEvent, to runID: String) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO inbox (run_id, payload) VALUES (?, ?)", arguments: [runID, try StoreJSON.text(event)])
        }
    }

    public func inbox(of runID: String) throws -> [InboxMessage] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, payload FROM inbox WHERE run_id = ? ORDER BY id", arguments: [runID]).map { row in
                let payload: String = row["payload"]
                return InboxMessage(id: row["id"], runID: runID, event: try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8)))
            }
        }
    }

    public func deleteInbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try write { db in
            for id in ids { try db.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [id]) }
        }
    }
}

/// A store that cannot be used, said in words.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }

    public static func describe(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .init(description: "database \(path) is locked by another process: \(db.message ?? "")")
            case .SQLITE_READONLY: return .init(description: "database \(path) is read-only")
            case .SQLITE_FULL: return .init(description: "database \(path): the disk is full")
            case .SQLITE_CANTOPEN: return .init(description: "cannot open database \(path): check the directory exists and is writable")
            case .SQLITE_NOTADB: return .init(description: "\(path) is not a Firedrill database (not SQLite)")
            case .SQLITE_IOERR: return .init(description: "database \(path): a write failed (\(db.message ?? "disk I/O error"): the disk may be full, the file too large for its limit, or the storage failing)")
            default: return .init(description: "database \(path): \(db.message ?? "\(db)")")
            }
        }
        return .init(description: "database \(path): \(error)")
    }
}
