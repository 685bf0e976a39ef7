import FiredrillTestSupport
import FiredrillCore
import FiredrillRuntime
import GRDB
import Foundation
import Testing

/// Deadlines hold once a run has left its process: a confirmation, a resume or a decision that
/// comes after a step's timeout or the drill's `max_duration` finds it passed, and the run goes
/// to its rollbacks without injecting. The target logs every call it gets.
@Suite(.serialized) struct DeadlineTests {
    struct Lab {
        let dir: String
        var db: String { dir + "/record.db" }
        var target: String { dir + "/target.sh" }

        init() throws {
            dir = try temporaryFolder("firedrill-deadline")
            try ExecutableScript.write("""
                #!/bin/sh
                echo "$1" >> "$(dirname "$0")/invocations.log"
                if [ "$1" = hang ]; then sleep 30; fi
                exit 0
                """, to: target)
        }

        func scenario(_ body: String) throws -> String {
            let path = dir + "/drill.yaml"
            try """
                firedrill: 1
                name: deadline-drill
                vars: {target: "\(target)"}
                \(body)
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func log() -> [String] {
            ((try? String(contentsOfFile: dir + "/invocations.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        /// Runs the scenario and SIGKILLs the orchestrator once its `hang` step has started; the run's id.
        func crashInTheHangingStep(_ scenario: String) async throws -> String {
            let running = try FiredrillProcess.Running(["run", scenario, "--db", db], directory: dir)
            await wait(for: "hang")
            kill(running.pid, SIGKILL)
            _ = await running.wait()
            return try run().id
        }

        /// Waits until `nanoseconds` have passed since the run started, on the wall clock.
        func waitUntil(_ nanoseconds: Int64) async throws {
            let startedAt = try run().startedWallNs
            while Int64(Date().timeIntervalSince1970 * 1e9) - startedAt < nanoseconds { await pause(0.05) }
        }

        func wait(for line: String, limit: Double = 20) async {
            let end = Date().addingTimeInterval(limit)
            while !log().contains(line), Date() < end { await pause(0.02) }
        }

        func run() throws -> RunRecord { try #require(try SQLiteStore(path: db).runs(scenario: "deadline-drill").first) }

        func machine() throws -> DrillMachine {
            let run = try run()
            let scenario = try #require(ScenarioLoader.parse(text: run.scenarioText, file: run.scenarioPath, baseDirectory: "/",
                                                             fileExists: { _ in true }).scenario)
            return DrillMachine.replay(scenario, events: try SQLiteStore(path: db).events(of: run.id).map { ($0.event, $0.at) })
        }

        func firedrill(_ arguments: [String]) async throws -> FiredrillProcess.Finished {
            try await FiredrillProcess.run(arguments + ["--db", db], directory: dir)
        }

        /// Runs `manualThenInject` with no terminal (it waits on the manual step, exit 4) and
        /// waits past the step's 2 s timeout with no orchestrator; the run's id.
        func waitPastTheManualStepsTimeout() async throws -> String {
            let waiting = try await firedrill(["run", try scenario(DeadlineTests.manualThenInject)])
            #expect(waiting.status == 4, "\(waiting.output)")
            await pause(2.5)
            return try run().id
        }

        func remove() {
            // The `sleep` a killed orchestrator's step left behind.
            for pid in processes(mentioning: dir) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    static let manualThenInject = """
        phases:
          - name: disaster
            steps:
              - name: inject
                run: ["${target}", inject-a]
                rollback:
                  - {name: undo a, run: ["${target}", undo-a], idempotent: true}
              - name: declare the disaster
                manual: Declare the disaster in the incident channel.
                timeout: 2s
              - name: second injection
                run: ["${target}", inject-b]
        """

    @Test func aConfirmationAfterTheStepsTimeoutFindsItTimedOutAndNothingMoreIsInjected() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.waitPastTheManualStepsTimeout()
        let confirmed = try await lab.firedrill(["confirm", runID, "--by", "late-lead"])
        #expect(confirmed.status == 3, "a late confirmation carried the run on: \(confirmed.output)")
        #expect(confirmed.stdout.contains("too late for 'declare the disaster'"), "\(confirmed.stdout)")
        #expect(lab.log() == ["inject-a", "undo-a"], "\(lab.log())")
        let machine = try lab.machine()
        #expect(machine.state.status == .failed)
        let manual = try #require(machine.state.attempts.first { $0.stepName == "declare the disaster" })
        #expect(manual.verdict == .timedOut)
        #expect(manual.confirmation == nil)
    }

    /// `firedrill abort` after the manual step's timeout, with no orchestrator left: the run is
    /// taken over, the deadline that fell meanwhile is recorded before the abort, so the record
    /// says the step timed out (not that the abort cancelled it), and the rollbacks run; nothing
    /// further is injected.
    @Test func anAbortAfterTheStepsTimeoutFindsItTimedOutAndRollsBack() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.waitPastTheManualStepsTimeout()
        let aborted = try await lab.firedrill(["abort", runID, "--by", "late-lead"])
        #expect(aborted.status == 3, "\(aborted.output)")
        #expect(lab.log() == ["inject-a", "undo-a"], "\(lab.log())")
        let events = try SQLiteStore(path: lab.db).events(of: runID)
        let deadline = try #require(events.firstIndex { if case .deadlinePassed = $0.event { true } else { false } })
        let abort = try #require(events.firstIndex { if case .abortRequested = $0.event { true } else { false } })
        #expect(deadline < abort, "the abort was taken before the deadline that had passed")
        let machine = try lab.machine()
        let manual = try #require(machine.state.attempts.first { $0.stepName == "declare the disaster" })
        #expect(manual.verdict == .timedOut, "\(manual.summary ?? "")")
        #expect(machine.state.status == .failed, "\(machine.state.status)")
    }

    @Test func aResumeAfterTheStepsTimeoutTimesItOutInsteadOfWaitingAgain() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.waitPastTheManualStepsTimeout()
        let resumed = try await lab.firedrill(["resume", runID])
        #expect(resumed.status == 3, "\(resumed.output)")
        #expect(lab.log() == ["inject-a", "undo-a"])
        #expect(try lab.machine().state.suspensions.count == 1)
    }

    @Test func aConfirmationPastMaxDurationGoesToTheRollbacks() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let scenario = try lab.scenario("""
            max_duration: 4s
            phases:
              - name: disaster
                steps:
                  - name: inject
                    run: ["${target}", inject-a]
                    rollback:
                      - {name: undo a, run: ["${target}", undo-a], idempotent: true}
                  - name: declare the disaster
                    manual: Declare the disaster.
                  - name: second injection
                    run: ["${target}", inject-b]
            """)
        let waiting = try await lab.firedrill(["run", scenario])
        // Even on a loaded machine, the run reaches the manual step well within its 4s.
        #expect(waiting.status == 4, "\(waiting.output)")
        try await lab.waitUntil(4_300_000_000)
        let confirmed = try await lab.firedrill(["confirm", try lab.run().id, "--by", "late-lead"])
        #expect(confirmed.status == 3, "\(confirmed.output)")
        #expect(lab.log() == ["inject-a", "undo-a"], "\(lab.log())")
        let machine = try lab.machine()
        #expect(machine.state.status == .aborted)
        #expect(machine.state.maxDurationPassedAt != nil)
    }

    /// The orchestrator dies in an injection, a resume halts the run for a decision, and the
    /// decision comes after `max_duration`: the drill rolls back, and the next step never runs.
    @Test func aDecisionPastMaxDurationGoesToTheRollbacksNotTheNextInjection() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let scenario = try lab.scenario("""
            max_duration: 3s
            phases:
              - name: disaster
                steps:
                  - name: inject
                    run: ["${target}", hang]
                    rollback:
                      - {name: undo, run: ["${target}", undo], idempotent: true}
                  - name: second injection
                    run: ["${target}", inject-b]
            """)
        let runID = try await lab.crashInTheHangingStep(scenario)
        let halted = try await lab.firedrill(["resume", runID])
        // Still within max_duration: the step in doubt waits for a person.
        #expect(halted.status == 4, "\(halted.output)")
        try await lab.waitUntil(3_300_000_000)
        let resolved = try await lab.firedrill(["resolve", runID, "--skip", "--by", "late-lead"])
        #expect(resolved.status == 3, "\(resolved.output)")
        #expect(!lab.log().contains("inject-b"), "\(lab.log())")
        #expect(lab.log().last == "undo")
        let machine = try lab.machine()
        #expect(machine.state.status == .aborted)
        #expect(machine.state.failureReason?.contains("max_duration") == true, "\(machine.state.failureReason ?? "")")
    }

    /// The run's start is the chain's: moving it in the runs table moves no deadline.
    @Test func aStartMovedInTheRunsTableMovesNoDeadline() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.waitPastTheManualStepsTimeout()
        try await DatabaseQueue(path: lab.db).write { db in
            try db.execute(sql: "UPDATE runs SET started_mono_ns = started_mono_ns + 100000000000, started_wall_ns = started_wall_ns + 100000000000, boot_id = 'elsewhere' WHERE id = ?",
                           arguments: [runID])
        }
        let confirmed = try await lab.firedrill(["confirm", runID, "--by", "eve"])
        #expect(confirmed.status == 3, "the edited start reopened the deadline: \(confirmed.output)")
        #expect(lab.log() == ["inject-a", "undo-a"], "\(lab.log())")
    }

    /// A step in doubt whose own timeout has passed timed out: a later `--skip` does not count it
    /// as done, and what it left running was killed when the run was taken over.
    @Test func aDecisionAfterTheStepsOwnTimeoutFindsItTimedOut() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let scenario = try lab.scenario("""
            phases:
              - name: disaster
                steps:
                  - name: inject
                    run: ["${target}", hang]
                    timeout: 3s
                    rollback:
                      - {name: undo, run: ["${target}", undo], idempotent: true}
                  - name: second injection
                    run: ["${target}", inject-b]
            """)
        let runID = try await lab.crashInTheHangingStep(scenario)
        let halted = try await lab.firedrill(["resume", runID])
        if halted.status != 4 {
            // A loaded machine took past the step's 3s to get here: then the resume itself timed it out.
            #expect(halted.status == 3, "\(halted.output)")
        } else {
            #expect(processes(mentioning: lab.target).isEmpty, "the dead orchestrator's step still runs")
            try await lab.waitUntil(3_300_000_000)
            let resolved = try await lab.firedrill(["resolve", runID, "--skip", "--by", "eve"])
            #expect(resolved.status == 3, "\(resolved.output)")
        }
        #expect(!lab.log().contains("inject-b"), "\(lab.log())")
        #expect(lab.log().last == "undo")
        let inject = try #require(try lab.machine().state.attempts.first { $0.stepName == "inject" })
        #expect(inject.verdict == .timedOut, "\(inject.summary ?? "")")
    }
}
