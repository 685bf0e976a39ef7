import FiredrillTestSupport
import FiredrillCore
import FiredrillRuntime
import Foundation
import GRDB
import Testing

/// A record that cannot be written gets a clear error and no half-written run, and an
/// injection never starts unless its dispatch was recorded.
@Suite(.serialized) struct StoreFailureTests {
    struct Lab {
        let dir: String
        var db: String { dir + "/record.db" }
        var scenario: String { dir + "/store-drill.yaml" }
        var target: String { dir + "/target.sh" }

        init() throws {
            dir = try temporaryFolder("firedrill-store")
            chmod(dir, 0o755)
            try ExecutableScript.write("""
                #!/bin/sh
                echo "$1" >> "$(dirname "$0")/invocations.log"
                """, to: target)
            var steps = ""
            for i in 1...40 { steps += "          - {name: step \(i), run: [\"${target}\", inject-\(i)], timeout: 10s}\n" }
            try """
                firedrill: 1
                name: store-drill
                vars: {target: "\(target)"}
                phases:
                  - name: many
                    steps:
                \(steps)
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        func invocations() -> [String] {
            ((try? String(contentsOfFile: dir + "/invocations.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func runCount() throws -> Int { try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM runs") ?? 0 } }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func aLockedDatabaseIsSaidAndNothingStarts() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try SQLiteStore(path: lab.db)
        var config = Configuration()
        config.allowsUnsafeTransactions = true  // to hold the write lock across calls, as another process would
        let holder = try DatabaseQueue(path: lab.db, configuration: config)
        try holder.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let finished = try await FiredrillProcess.run(["run", lab.scenario, "--db", lab.db],
                                                environment: ["FIREDRILL_DB_BUSY_TIMEOUT_MS": "300"], directory: lab.dir)
        try holder.inDatabase { try $0.execute(sql: "ROLLBACK") }
        #expect(finished.status == 70, "\(finished.output)")
        #expect(finished.stderr.contains("is locked by another process"), "\(finished.stderr)")
        #expect(try lab.runCount() == 0)
        #expect(lab.invocations().isEmpty)
    }

    @Test func aDatabaseFromANewerFiredrillIsRefused() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try SQLiteStore(path: lab.db)
        try await DatabaseQueue(path: lab.db).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        let finished = try await FiredrillProcess.run(["run", lab.scenario, "--db", lab.db], directory: lab.dir)
        #expect(finished.status == 70, "\(finished.output)")
        #expect(finished.stderr.contains("was written by a newer Firedrill"), "\(finished.stderr)")
        #expect(try lab.runCount() == 0)
        #expect(lab.invocations().isEmpty)
    }

    /// Root writes through file modes, so the read-only case runs as `nobody` when the tests run as root.
    static var nobodyCanRunFiredrill: Bool {
        guard getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return false }
        var path = FiredrillProcess.path
        while path != "/" && !path.isEmpty {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let mode = attributes[.posixPermissions] as? Int, mode & 0o001 != 0 else { return false }
            path = (path as NSString).deletingLastPathComponent
        }
        return true
    }

    @Test(.enabled(if: nobodyCanRunFiredrill)) func aReadOnlyDatabaseIsSaidAndNothingStarts() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try SQLiteStore(path: lab.db)
        chmod(lab.db, 0o444)
        chmod(lab.dir, 0o755)
        let arguments = ["run", lab.scenario, "--db", lab.db]
        let finished: FiredrillProcess.Finished
        if getuid() == 0 {
            finished = try await FiredrillProcess.run(["--reuid=65534", "--regid=65534", "--clear-groups", FiredrillProcess.path] + arguments,
                                                      directory: lab.dir, executable: "/usr/bin/setpriv")
        } else {
            finished = try await FiredrillProcess.run(arguments, directory: lab.dir)
        }
        #expect(finished.status == 70, "\(finished.output)")
        #expect(finished.stderr.contains("read-only") || finished.stderr.contains("cannot open"), "\(finished.stderr)")
        #expect(try lab.runCount() == 0)
        #expect(lab.invocations().isEmpty)
    }

    @Test func aFullDiskStopsTheRunAndNoInjectionRunsUnrecorded() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try SQLiteStore(path: lab.db)
        // A file-size limit stands in for a full disk: writes past it fail (SIGXFSZ ignored).
        let limited = try await FiredrillProcess.run(
            ["-c", "trap '' XFSZ; exec prlimit --fsize=262144 -- \"$0\" \"$@\"", FiredrillProcess.path, "run", lab.scenario, "--db", lab.db, "--quiet"],
            directory: lab.dir, executable: "/bin/sh")
        let stderr = limited.stderr
        #expect(limited.status == 70, "\(stderr)")
        #expect(stderr.contains("a write failed") && stderr.contains("firedrill resume"), "\(stderr)")

        let store = try SQLiteStore(path: lab.db)
        let run = try #require(try store.runs(scenario: "store-drill").first, "the run was never created: \(stderr)")
        let dispatched = try store.events(of: run.id).compactMap { event -> String? in
            if case .attemptStarted(let started) = event.event, let argv = started.action?.as(ResolvedRun.self)?.argv { return argv.last }
            return nil
        }
        let invoked = lab.invocations()
        #expect(invoked.count < 40, "the disk never filled up")
        // Everything the target saw had its dispatch recorded first; nothing was dispatched after the failure.
        #expect(invoked.allSatisfy { dispatched.contains($0) }, "ran unrecorded: \(invoked) vs \(dispatched)")
        #expect(invoked.count >= dispatched.count - 1)
        #expect(AuditChain.verify(runID: run.id, links: try store.chain(of: run.id), headHash: run.headHash, eventCount: run.eventCount) == nil)
    }

    /// `rm d.db d.db-wal d.db-shm` during a run: SQLite goes on writing to the unlinked files and
    /// says nothing; the store notices the path no longer names its file and the run stops there.
    @Test(arguments: ["remove", "replace", "remove-shm"])
    func aDatabaseRemovedOrReplacedDuringARunStopsIt(how: String) async throws {
        let lab = try Lab()
        defer { lab.remove() }
        try """
            firedrill: 1
            name: vanishing-drill
            vars: {target: "\(lab.target)"}
            phases:
              - name: many
                steps:
                  - {name: first, run: ["${target}", inject-first]}
                  - {name: wait, sleep: 1500ms}
                  - {name: second, run: ["${target}", inject-second]}
                  - {name: third, run: ["${target}", inject-third]}
            """.write(toFile: lab.dir + "/vanish.yaml", atomically: true, encoding: .utf8)
        let running = try FiredrillProcess.Running(["run", lab.dir + "/vanish.yaml", "--db", lab.db], directory: lab.dir)
        let end = Date().addingTimeInterval(20)
        while !lab.invocations().contains("inject-first"), Date() < end { await pause(0.02) }
        if how == "replace" {
            // One rename, so the orchestrator never sees the path missing between a removal and a new file.
            do { _ = try SQLiteStore(path: lab.db + ".new") }
            #expect(rename(lab.db + ".new", lab.db) == 0)
        }
        for suffix in how == "remove-shm" ? ["-shm"] : how == "replace" ? ["-wal", "-shm"] : ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: lab.db + suffix)
        }
        let finished = await running.wait()
        #expect(finished.status == 70, "\(finished.output)")
        let said = ["remove": "was removed or moved away while in use", "replace": "was replaced by another file",
                    "remove-shm": "its shared-memory index"][how]!
        #expect(finished.stderr.contains(said), "\(finished.stderr)")
        #expect(lab.invocations() == ["inject-first"], "\(lab.invocations())")
        #expect(!finished.stdout.contains("completed"))
    }

    /// Two runs of different scenarios on a fresh database: both migrate it, once between them.
    @Test func concurrentFirstUseOfADatabaseMigratesOnce() async throws {
        for trial in 1...6 {
            let lab = try Lab()
            defer { lab.remove() }
            var paths: [String] = []
            for i in 0..<3 {
                let path = lab.dir + "/s\(i).yaml"
                try """
                    firedrill: 1
                    name: race-\(i)
                    phases:
                      - name: only
                        steps:
                          - {name: one, sleep: 1ms}
                    """.write(toFile: path, atomically: true, encoding: .utf8)
                paths.append(path)
            }
            let runs = try paths.map { try FiredrillProcess.Running(["run", $0, "--db", lab.db, "--quiet"], directory: lab.dir) }
            for running in runs {
                let finished = await running.wait()
                #expect(finished.status == 0, "trial \(trial): \(finished.output)")
            }
            #expect(try lab.runCount() == 3)
            let applied = try await DatabaseQueue(path: lab.db).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
            #expect(applied == SQLiteStore.migrationIdentifiers, "trial \(trial)")
        }
    }
}
