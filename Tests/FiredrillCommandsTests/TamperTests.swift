import FiredrillCommands
import FiredrillCore
import FiredrillRuntime
import Foundation
import GRDB
import Testing

/// Someone with the SQLite file edits, deletes, inserts or reorders events behind Firedrill's
/// back (dropping the append-only triggers first); `verify` finds the first broken link.
@Suite(.serialized) struct TamperTests {
    /// A database holding one finished run of a few steps.
    static func recordedRun() async throws -> (dir: String, db: String, runID: String, events: Int) {
        let dir = try temporaryFolder("firedrill-tamper")
        let scenario = dir + "/tamper.yaml"
        try """
            firedrill: 1
            name: tamper
            phases:
              - name: only
                steps:
                  - {name: one, run: ["true"]}
                  - {name: two, sleep: 1ms}
                  - {name: three, run: ["true"]}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let db = dir + "/record.db"
        let store = try SQLiteStore(path: db)
        let loaded = try ScenarioLoader.load(path: scenario)
        let outcome = try await DrillExecutor.start(
            ScenarioSource(scenario: loaded.scenario, path: loaded.path, text: loaded.text, sha256: loaded.sha256),
            store: store, progress: ProgressPrinter(enabled: false))
        #expect(outcome.status == .completed)
        return (dir, db, outcome.runID, try store.events(of: outcome.runID).count)
    }

    /// Drops the triggers that keep the log append-only, as a tamperer would.
    static func tamper(_ db: String, _ sql: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete")
            try sql(db)
        }
    }

    static func firstBreak(_ db: String, _ runID: String) throws -> AuditChain.Break? {
        let store = try SQLiteStore(path: db)
        let run = try #require(try store.run(runID))
        return AuditChain.verify(runID: runID, links: try store.chain(of: runID), headHash: run.headHash, eventCount: run.eventCount)
    }

    @Test func anUntouchedLogVerifiesAndCannotBeUpdatedOrDeletedThroughSQL() async throws {
        let (dir, db, runID, _) = try await Self.recordedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.firstBreak(db, runID) == nil)
        #expect(await FiredrillCommand.main(arguments: ["verify", "--db", db]) == 0)
        let queue = try DatabaseQueue(path: db)
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE events SET payload = '{}' WHERE seq = 2") } }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "DELETE FROM events WHERE seq = 2") } }
    }

    struct Tampering: CustomTestStringConvertible, Sendable {
        var name: String
        /// The event `verify` must name (nil: the end of the log).
        var brokenAt: Int?
        var apply: @Sendable (Database, String, Int) throws -> Void
        var testDescription: String { name }
    }

    static let tamperings: [Tampering] = [
        Tampering(name: "edit a payload", brokenAt: 3) { db, id, _ in
            try db.execute(sql: "UPDATE events SET payload = replace(payload, 'exit 0', 'exit 1') WHERE run_id = ? AND seq = 3", arguments: [id])
        },
        Tampering(name: "edit a time", brokenAt: 4) { db, id, _ in
            try db.execute(sql: "UPDATE events SET at_ns = at_ns - 1000000 WHERE run_id = ? AND seq = 4", arguments: [id])
        },
        Tampering(name: "edit a payload and recompute its hash", brokenAt: 4) { db, id, _ in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM events WHERE run_id = ? AND seq = 3", arguments: [id]))
            let payload = (row["payload"] as String).replacingOccurrences(of: "exit 0", with: "exit 1")
            let hash = AuditChain.hash(previous: row["prev_hash"], runID: id, seq: 3, type: row["type"], atNs: row["at_ns"],
                                       monoNs: row["mono_ns"], wallNs: row["wall_ns"], payload: payload)
            try db.execute(sql: "UPDATE events SET payload = ?, hash = ? WHERE run_id = ? AND seq = 3", arguments: [payload, hash, id])
        },
        Tampering(name: "delete an event in the middle", brokenAt: 4) { db, id, _ in
            try db.execute(sql: "DELETE FROM events WHERE run_id = ? AND seq = 3", arguments: [id])
        },
        Tampering(name: "delete the last event", brokenAt: nil) { db, id, count in
            try db.execute(sql: "DELETE FROM events WHERE run_id = ? AND seq = ?", arguments: [id, count])
        },
        Tampering(name: "insert an event with a well-formed link at the end", brokenAt: nil) { db, id, count in
            let last = try #require(try Row.fetchOne(db, sql: "SELECT * FROM events WHERE run_id = ? AND seq = ?", arguments: [id, count]))
            let payload = #"{"by":"mallory","reason":"nothing happened","type":"abort_requested"}"#
            let hash = AuditChain.hash(previous: last["hash"], runID: id, seq: count + 1, type: "abort_requested", atNs: last["at_ns"],
                                       monoNs: last["mono_ns"], wallNs: last["wall_ns"], payload: payload)
            try db.execute(sql: "INSERT INTO events VALUES (?, ?, 'abort_requested', ?, ?, ?, ?, ?, ?)",
                           arguments: [id, count + 1, last["at_ns"] as Int64, last["mono_ns"] as Int64, last["wall_ns"] as Int64,
                                       payload, last["hash"] as String, hash])
        },
        Tampering(name: "insert an event in the middle, renumbering the rest", brokenAt: 3) { db, id, count in
            for seq in stride(from: count, through: 3, by: -1) {
                try db.execute(sql: "UPDATE events SET seq = seq + 1 WHERE run_id = ? AND seq = ?", arguments: [id, seq])
            }
            let before = try #require(try Row.fetchOne(db, sql: "SELECT * FROM events WHERE run_id = ? AND seq = 2", arguments: [id]))
            try db.execute(sql: "INSERT INTO events VALUES (?, 3, 'abort_requested', 0, 0, 0, '{}', ?, 'f00d')",
                           arguments: [id, before["hash"] as String])
            try db.execute(sql: "UPDATE chain_heads SET event_count = event_count + 1 WHERE run_id = ?", arguments: [id])
        },
        Tampering(name: "swap two events", brokenAt: 3) { db, id, _ in
            try db.execute(sql: "UPDATE events SET seq = -1 WHERE run_id = ? AND seq = 3", arguments: [id])
            try db.execute(sql: "UPDATE events SET seq = 3 WHERE run_id = ? AND seq = 4", arguments: [id])
            try db.execute(sql: "UPDATE events SET seq = 4 WHERE run_id = ? AND seq = -1", arguments: [id])
        },
    ]

    @Test(arguments: tamperings)
    func verifyFindsTheFirstBrokenLink(_ tampering: Tampering) async throws {
        let (dir, db, runID, count) = try await Self.recordedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #require(count >= 8, "the run has \(count) events")
        try Self.tamper(db) { try tampering.apply($0, runID, count) }
        let broken = try #require(try Self.firstBreak(db, runID), "\(tampering.name) went unnoticed")
        #expect(broken.seq == tampering.brokenAt, "\(broken)")
        #expect(await FiredrillCommand.main(arguments: ["verify", "--db", db]) == 1)
    }
}
