import FiredrillTestSupport
import FiredrillCore
import FiredrillRuntime
import Foundation
import GRDB
import Testing

/// Aborts from a signal, from another terminal and twice in a row, against a target that logs
/// what it is asked to do; and the single-runner lease.
@Suite(.serialized) struct AbortTests {
    struct Lab {
        let dir: String
        var db: String { dir + "/record.db" }
        var scenario: String { dir + "/abort-drill.yaml" }
        var target: String { dir + "/target.sh" }

        /// `slowUndo`: the first rollback takes 3 s, long enough to interrupt it.
        init(slowUndo: Bool = false) throws {
            dir = try temporaryFolder("firedrill-abort")
            try ExecutableScript.write("""
                #!/bin/sh
                dir=$(dirname "$0")
                echo "$1" >> "$dir/invocations.log"
                if [ "$1" = undo-b ] && [ -e "$dir/slow" ]; then sleep 3; echo "undo-b done" >> "$dir/invocations.log"; fi
                exit 0
                """, to: target)
            if slowUndo { _ = FileManager.default.createFile(atPath: dir + "/slow", contents: nil) }
            try """
                firedrill: 1
                name: abort-drill
                vars: {target: "\(target)"}
                phases:
                  - name: disaster
                    steps:
                      - name: first injection
                        run: ["${target}", inject-a]
                        rollback:
                          - {name: undo a, run: ["${target}", undo-a], idempotent: true}
                      - name: second injection
                        run: ["${target}", inject-b]
                        rollback:
                          - {name: undo b, run: ["${target}", undo-b], idempotent: true}
                      - name: hold the fault
                        sleep: 60s
                rollback:
                  - {name: scenario rollback, run: ["${target}", undo-all], idempotent: true}
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        func log() -> [String] {
            ((try? String(contentsOfFile: dir + "/invocations.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        /// Waits until the target's log holds `line` (or `limit` seconds pass).
        func wait(for line: String, limit: Double = 20) async {
            let end = Date().addingTimeInterval(limit)
            while !log().contains(line), Date() < end { await pause(0.02) }
        }

        func run() throws -> RunRecord? { try SQLiteStore(path: db).runs(scenario: "abort-drill").first }

        func events() throws -> [DrillEvent] {
            guard let run = try run() else { return [] }
            return try SQLiteStore(path: db).events(of: run.id).map(\.event)
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func sigintRollsBackWhatRanInReverseOrderAndExitsThree() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let running = try FiredrillProcess.Running(["run", lab.scenario, "--db", lab.db], directory: lab.dir)
        await lab.wait(for: "inject-b")
        await pause(0.3)
        kill(running.pid, SIGINT)
        let finished = await running.wait()
        #expect(finished.status == 3, "exit \(finished.status): \(finished.output)")
        #expect(lab.log() == ["inject-a", "inject-b", "undo-b", "undo-a", "undo-all"])
        let run = try #require(try lab.run())
        #expect(run.status == .aborted)
        #expect(try lab.events().contains { if case .abortRequested(_, let reason) = $0 { reason == "SIGINT received" } else { false } })
    }

    @Test func abortFromAnotherTerminalIsHandedToTheRunner() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let running = try FiredrillProcess.Running(["run", lab.scenario, "--db", lab.db, "--quiet"], directory: lab.dir)
        await lab.wait(for: "inject-b")
        await pause(0.3)
        let id = try #require(try lab.run()).id
        let abort = try await FiredrillProcess.run(["abort", id, "--by", "alice", "--reason", "the lab is needed", "--db", lab.db], directory: lab.dir)
        #expect(abort.status == 0, "\(abort.output)")
        #expect(abort.stdout.contains("its orchestrator (pid \(running.pid)"))
        let finished = await running.wait()
        #expect(finished.status == 3, "\(finished.output)")
        #expect(lab.log() == ["inject-a", "inject-b", "undo-b", "undo-a", "undo-all"])
        #expect(try lab.events().contains { if case .abortRequested(let by, _) = $0 { by == "alice" } else { false } })
    }

    @Test func secondSigintStopsAtOnceAndResumeRunsTheRollbacksStillOwed() async throws {
        let lab = try Lab(slowUndo: true)
        defer { lab.remove() }
        let running = try FiredrillProcess.Running(["run", lab.scenario, "--db", lab.db], directory: lab.dir)
        await lab.wait(for: "inject-b")
        await pause(0.3)
        kill(running.pid, SIGINT)
        await lab.wait(for: "undo-b")
        kill(running.pid, SIGINT)
        let finished = await running.wait()
        #expect(finished.status == 3, "\(finished.output)")
        #expect(finished.stderr.contains("second SIGINT"))
        let run = try #require(try lab.run())
        #expect(run.status == .interrupted)
        #expect(try lab.events().contains { if case .runInterrupted = $0 { true } else { false } })

        let status = try await FiredrillProcess.run(["status", run.id, "--db", lab.db], directory: lab.dir)
        #expect(status.stdout.contains("owed:     rollbacks still to run, in order: undo b, undo a, scenario rollback"), "\(status.stdout)")
        let list = try await FiredrillProcess.run(["status", "--db", lab.db], directory: lab.dir)
        #expect(list.stdout.contains("interrupted"), "\(list.stdout)")

        await waitForNoProcesses(mentioning: lab.target)
        let resumed = try await FiredrillProcess.run(["resume", run.id, "--db", lab.db], directory: lab.dir)
        #expect(resumed.status == 3, "\(resumed.output)")
        // undo b was cut short and, being idempotent, ran again; the rest ran once, in order.
        #expect(lab.log().filter { $0.hasPrefix("undo") } == ["undo-b", "undo-b done", "undo-b", "undo-b done", "undo-a", "undo-all"])
        #expect(try lab.run()?.status == .aborted)
    }

    @Test func oneRunnerPerRun() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let running = try FiredrillProcess.Running(["run", lab.scenario, "--db", lab.db, "--quiet"], directory: lab.dir)
        await lab.wait(for: "inject-b")
        let id = try #require(try lab.run()).id

        // A live holder is named, and neither a resume nor a second run of the scenario gets in.
        let resume = try await FiredrillProcess.run(["resume", id, "--db", lab.db], directory: lab.dir)
        #expect(resume.status == 2)
        #expect(resume.stderr.contains("pid \(running.pid) on \(ProcessInfo.processInfo.hostName), since"), "\(resume.stderr)")
        let second = try await FiredrillProcess.run(["run", lab.scenario, "--db", lab.db], directory: lab.dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("already being drilled: run \(id)"), "\(second.stderr)")

        // A holder gone from this host is taken over without asking.
        kill(running.pid, SIGKILL)
        _ = await running.wait()
        let status = try await FiredrillProcess.run(["status", id, "--db", lab.db], directory: lab.dir)
        #expect(status.stdout.contains("gone: firedrill resume"), "\(status.stdout)")

        // A holder on another host cannot be checked from here: --force is needed.
        let queue = try DatabaseQueue(path: lab.db)
        try await queue.write { db in try db.execute(sql: "UPDATE runs SET runner_host = 'far-away' WHERE id = ?", arguments: [id]) }
        let refused = try await FiredrillProcess.run(["abort", id, "--by", "bob", "--db", lab.db], directory: lab.dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("far-away") && refused.stderr.contains("--force"), "\(refused.stderr)")
        let forced = try await FiredrillProcess.run(["abort", id, "--by", "bob", "--force", "--db", lab.db], directory: lab.dir)
        #expect(forced.status == 3, "\(forced.output)")
        #expect(forced.stdout.contains("took run \(id) over from pid \(running.pid) on far-away"), "\(forced.stdout)")
        #expect(lab.log() == ["inject-a", "inject-b", "undo-b", "undo-a", "undo-all"])
    }
}
