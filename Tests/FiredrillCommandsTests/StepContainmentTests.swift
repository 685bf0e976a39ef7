import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import GRDB
import Testing

/// A step's processes do not escape the drill: children that `setsid`, `setpgid` or
/// daemonize die with the step on a timeout, an abort (SIGINT), and when a run whose
/// orchestrator was SIGKILLed is taken over by `abort` or `resume`; a step that starts a
/// daemon and exits 0 keeps it. Each case runs with what this machine gives (a cgroup v2 here
/// and on CI) and with the process table fallback forced (`fallback: true`).
@Suite(.serialized) struct StepContainmentTests {
    struct Lab {
        let dir: String
        let program: EscapingProgram
        let fallback: Bool
        var db: String { dir + "/record.db" }
        var scenario: String { dir + "/escape-drill.yaml" }
        var environment: [String: String] { fallback ? [ProcessContainment.environmentKey: "process-table"] : [:] }

        init(fallback: Bool, timeout: String? = nil, daemonOnly: Bool = false) throws {
            dir = try temporaryFolder("firedrill-containment")
            self.fallback = fallback
            program = try EscapingProgram(in: dir, escapes: daemonOnly ? ["double"] : ["setsid", "setpgid", "double"], daemonOnly: daemonOnly)
            try """
                firedrill: 1
                name: escape-drill
                phases:
                  - name: disaster
                    steps:
                      - name: escaping step
                        run: ["\(program.path)"]
                \(timeout.map { "        timeout: \($0)" } ?? "")
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        func start() throws -> FiredrillProcess.Running {
            try FiredrillProcess.Running(["run", scenario, "--db", db], environment: environment, directory: dir)
        }

        func firedrill(_ arguments: [String]) async throws -> FiredrillProcess.Finished {
            try await FiredrillProcess.run(arguments + ["--db", db], environment: environment, directory: dir)
        }

        func run() throws -> RunRecord? { try SQLiteStore(path: db).runs(scenario: "escape-drill").first }

        /// Waits until the record names every one of `processes` (the fallback adds them as it finds them).
        func waitUntilRecorded(_ processes: [EscapingProgram.Process]) async throws -> Bool {
            let end = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < end {
                if let run = try run() {
                    let rows = try SQLiteStore(path: db).stepProcesses(of: run.id)
                    let needed = fallback ? processes : processes.filter { $0.name == "main" }
                    if needed.allSatisfy({ process in rows.contains { $0.pid == process.pid && $0.startTicks == process.startTicks } }) {
                        return true
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test(arguments: [false, true])
    func aTimeoutKillsEveryProcessTheStepStarted(fallback: Bool) async throws {
        // 20 s rather than 1: the children must have written their pids first, and a machine loaded
        // with a lab drill beside this test once took more than 6 s to start four shell and perl processes.
        let lab = try Lab(fallback: fallback, timeout: "20s")
        defer { lab.remove() }
        let running = try lab.start()
        let processes = await lab.program.processes()
        defer { EscapingProgram.cleanUp(processes ?? []) }
        let finished = await running.wait()
        try #require(processes != nil, "the step's processes did not all write their pids: \(finished.output)")
        #expect(finished.status == 3, "exit \(finished.status): \(finished.output)")
        #expect(finished.stdout.contains("and all it started"), "\(finished.stdout)")
        #expect(finished.stdout.contains("tracked through the process table") == fallback, "\(finished.stdout)")
        let survivors = await EscapingProgram.survivors(processes ?? [])
        #expect(survivors.isEmpty, "still running after the step timed out: \(survivors)")
    }

    @Test(arguments: [false, true])
    func aSigintAbortKillsEveryProcessTheStepStarted(fallback: Bool) async throws {
        let lab = try Lab(fallback: fallback)
        defer { lab.remove() }
        let running = try lab.start()
        let processes = try #require(await lab.program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        kill(running.pid, SIGINT)
        let finished = await running.wait()
        #expect(finished.status == 3, "exit \(finished.status): \(finished.output)")
        #expect(try lab.run()?.status == .aborted)
        let survivors = await EscapingProgram.survivors(processes)
        #expect(survivors.isEmpty, "still running after the abort: \(survivors)")
    }

    /// SIGKILL of the orchestrator mid-step, then `abort` or `resume`: the dead runner's step
    /// processes are killed before the run is rolled back, or halted with the step in doubt.
    @Test(arguments: [("abort", false), ("resume", false), ("abort", true), ("resume", true)])
    func aTakeoverKillsWhatTheDeadOrchestratorsStepLeftRunning(takeover: String, fallback: Bool) async throws {
        let lab = try Lab(fallback: fallback)
        defer { lab.remove() }
        let running = try lab.start()
        let processes = try #require(await lab.program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        #expect(try await lab.waitUntilRecorded(processes), "the step's processes were not recorded")
        kill(running.pid, SIGKILL)
        _ = await running.wait()
        // Nothing kills them but the takeover: they run on under init.
        try await Task.sleep(for: .milliseconds(300))
        let diedAlone = processes.filter { !$0.isRunning }
        #expect(diedAlone.isEmpty, "\(diedAlone) died with the orchestrator")
        let id = try #require(try lab.run()).id

        let taken = try await lab.firedrill(takeover == "abort" ? ["abort", id, "--by", "x"] : ["resume", id])
        #expect(taken.status == (takeover == "abort" ? 3 : 4), "exit \(taken.status): \(taken.output)")
        #expect(taken.stdout.contains("left running by the previous orchestrator"), "\(taken.stdout)")
        let survivors = await EscapingProgram.survivors(processes)
        #expect(survivors.isEmpty, "still running after `firedrill \(takeover)`: \(survivors)")
        #expect(try SQLiteStore(path: lab.db).stepProcesses(of: id).isEmpty)
        #expect(try lab.run()?.status == (takeover == "abort" ? .aborted : .halted))
    }

    @Test(arguments: [false, true])
    func aStepThatStartsADaemonAndExitsZeroKeepsIt(fallback: Bool) async throws {
        let lab = try Lab(fallback: fallback, daemonOnly: true)
        defer { lab.remove() }
        let finished = try await lab.start().wait()
        let daemon = try #require(await lab.program.processes(within: .seconds(10))?.first, "\(finished.output)")
        defer { EscapingProgram.cleanUp([daemon]) }
        #expect(finished.status == 0, "exit \(finished.status): \(finished.output)")
        #expect(daemon.isRunning, "the daemon the step started on purpose did not outlive the run")
        #expect(try SQLiteStore(path: lab.db).stepProcesses(of: try #require(try lab.run()).id).isEmpty,
                "a daemon left on purpose is no step's in flight: a later takeover must not kill it")
    }

    /// SIGKILL of the orchestrator mid-step and no takeover at all: the step's deadline still
    /// holds, kept by a watchdog outside the orchestrator that kills the step's cgroup two
    /// seconds after it. (Only with a cgroup: the fallback has nothing to kill the tree by once its
    /// orchestrator is gone; the next takeover does.)
    @Test(.enabled(if: { if case .cgroup = ProcessContainment.current { true } else { false } }()))
    func theDeadlineHoldsWhenNoOrchestratorIsLeft() async throws {
        let lab = try Lab(fallback: false, timeout: "4s")
        defer { lab.remove() }
        let running = try lab.start()
        let processes = try #require(await lab.program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        kill(running.pid, SIGKILL)
        _ = await running.wait()
        let startedAt = try #require(try lab.run()).startedWallNs
        try await Task.sleep(for: .milliseconds(300))
        let diedAlone = processes.filter { !$0.isRunning }
        #expect(diedAlone.isEmpty, "\(diedAlone) died with the orchestrator, before their deadline")
        // The deadline (4s after the step started) plus the watchdog's two seconds, and room for a loaded machine.
        while Int64(Date().timeIntervalSince1970 * 1e9) - startedAt < 6_500_000_000 { try await Task.sleep(for: .milliseconds(50)) }
        let survivors = await EscapingProgram.survivors(processes, within: .seconds(5))
        #expect(survivors.isEmpty, "still running past the step's deadline with no orchestrator: \(survivors)")
    }
}
