import FiredrillCore
import Foundation
import GRDB

/// The SQLite record: WAL, `synchronous=FULL` so an acknowledged event survives kill -9
/// and power loss; schema by migrations. The events table is the truth; the other tables
/// are projections for queries and reports.
public final class SQLiteStore: RunStore {
    public let path: String
    let pool: DatabasePool

    public static let defaultPath = "firedrill.db"

    public init(path: String) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError.describe(error, path: path)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
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
        return migrator
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func createRun(_ run: RunRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (id, scenario, title, scenario_path, scenario_text, scenario_sha256, status, started_wall_ns,
                    started_mono_ns, boot_id, runner_pid, runner_host, vars_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.id, run.scenario, run.title, run.scenarioPath, run.scenarioText, run.scenarioSHA256,
                                 run.status.rawValue, run.startedWallNs, run.startedMonoNs, run.bootID, run.runnerPid,
                                 run.runnerHost, run.varsJSON])
        }
    }

    public func append(_ events: [RecordedEvent], to runID: String) throws {
        guard !events.isEmpty else { return }
        try pool.write { db in
            for recorded in events {
                try db.execute(sql: "INSERT INTO events (run_id, seq, type, at_ns, mono_ns, wall_ns, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [runID, recorded.seq, recorded.event.type, recorded.at.nanoseconds, recorded.monoNs,
                                           recorded.wallNs, try Self.json(recorded.event)])
                try project(recorded, runID: runID, db: db)
            }
        }
    }

    /// Keeps the query tables in step with the log, in the same transaction.
    func project(_ recorded: RecordedEvent, runID: String, db: Database) throws {
        switch recorded.event {
        case .attemptStarted(let started):
            try db.execute(sql: "INSERT OR REPLACE INTO attempts (run_id, ref, attempt, action, started_ns) VALUES (?, ?, ?, ?, ?)",
                           arguments: [runID, started.ref.description, started.attempt, started.action?.summary ?? started.resolutionError,
                                       recorded.at.nanoseconds])
        case .attemptFinished(let finished):
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
        case .runEnded(let status):
            try db.execute(sql: "UPDATE runs SET status = ?, ended_wall_ns = ? WHERE id = ?",
                           arguments: [status.rawValue, recorded.wallNs, runID])
        case .runSuspended:
            try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ?", arguments: [RunStatus.waiting.rawValue, runID])
        case .runResumed:
            try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ?", arguments: [RunStatus.running.rawValue, runID])
        default:
            break
        }
    }

    public func events(of runID: String) throws -> [RecordedEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, at_ns, mono_ns, wall_ns, payload FROM events WHERE run_id = ? ORDER BY seq",
                             arguments: [runID]).map { row in
                let payload: String = row["payload"]
                let event = try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8))
                return RecordedEvent(seq: row["seq"], event: event, at: DrillInstant(nanoseconds: row["at_ns"]),
                                     monoNs: row["mono_ns"], wallNs: row["wall_ns"])
            }
        }
    }

    static func record(_ row: Row) -> RunRecord {
        RunRecord(
            id: row["id"], scenario: row["scenario"], title: row["title"], scenarioPath: row["scenario_path"],
            scenarioText: row["scenario_text"], scenarioSHA256: row["scenario_sha256"],
            status: RunStatus(rawValue: row["status"]) ?? .running, startedWallNs: row["started_wall_ns"],
            startedMonoNs: row["started_mono_ns"], bootID: row["boot_id"], endedWallNs: row["ended_wall_ns"],
            rtoSeconds: row["rto_seconds"], rpoSeconds: row["rpo_seconds"],
            objectivesMet: (row["objectives_met"] as Int?).map { $0 != 0 }, runnerPid: row["runner_pid"],
            runnerHost: row["runner_host"], varsJSON: row["vars_json"])
    }

    public func run(_ id: String) throws -> RunRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    public func runs(scenario: String?) throws -> [RunRecord] {
        try pool.read { db in
            if let scenario {
                return try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE scenario = ? ORDER BY started_wall_ns DESC, id DESC",
                                        arguments: [scenario]).map(Self.record)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_wall_ns DESC, id DESC").map(Self.record)
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE runs SET status = ?, ended_wall_ns = ?, rto_seconds = ?, rpo_seconds = ?, objectives_met = ?,
                    runner_pid = ?, runner_host = ? WHERE id = ?
                """, arguments: [run.status.rawValue, run.endedWallNs, run.rtoSeconds, run.rpoSeconds, run.objectivesMet,
                                 run.runnerPid, run.runnerHost, run.id])
        }
    }

    public func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO measurements (run_id, json) VALUES (?, ?)",
                           arguments: [runID, try Self.json(measurement)])
            try db.execute(sql: "DELETE FROM marks WHERE run_id = ?", arguments: [runID])
            for mark in marks {
                try db.execute(sql: "INSERT INTO marks VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [runID, mark.name, mark.at.nanoseconds, mark.lower.nanoseconds, mark.upper.nanoseconds,
                                           mark.ref.description, mark.probeInterval?.nanoseconds])
            }
        }
    }

    public func post(_ event: DrillEvent, to runID: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO inbox (run_id, payload) VALUES (?, ?)", arguments: [runID, try Self.json(event)])
        }
    }

    public func inbox(of runID: String) throws -> [InboxMessage] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, payload FROM inbox WHERE run_id = ? ORDER BY id", arguments: [runID]).map { row in
                let payload: String = row["payload"]
                return InboxMessage(id: row["id"], runID: runID, event: try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8)))
            }
        }
    }

    public func deleteInbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [id]) }
        }
    }
}

/// A store that cannot be used, said in words.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String

    static func describe(_ error: any Error, path: String) -> StoreError {
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .init(description: "database \(path) is locked by another process: \(db.message ?? "")")
            case .SQLITE_READONLY: return .init(description: "database \(path) is read-only")
            case .SQLITE_FULL: return .init(description: "database \(path): the disk is full")
            case .SQLITE_CANTOPEN: return .init(description: "cannot open database \(path): check the directory exists and is writable")
            case .SQLITE_NOTADB: return .init(description: "\(path) is not a Firedrill database (not SQLite)")
            default: return .init(description: "database \(path): \(db.message ?? "\(db)")")
            }
        }
        return .init(description: "database \(path): \(error)")
    }
}
