import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// The executor end to end with a scripted driver (no system effects) on the real clock,
/// with short periods.
@Suite struct DrillExecutorTests {
    static func probe(_ url: String, method: String = "GET") -> Probe {
        .http(HTTPProbe(method: method, url: Template(url)))
    }

    static func scenario(restore: Step? = nil, manual: Bool = false) -> Scenario {
        var restoreSteps: [Step] = []
        if manual {
            restoreSteps.append(Step(name: "operator restores", action: .manual(instructions: "Restore it from the runbook")))
        }
        restoreSteps.append(restore ?? Step(name: "restart", action: .probe(.run(argv: ["restart-app"]))))
        return Scenario(
            name: "scripted",
            objectives: Objectives(rto: .seconds(30), rpo: .seconds(30)),
            vars: [Variable(name: "url", value: "http://127.0.0.1:9")],
            steadyState: [Step(name: "healthy", action: .probe(probe("${url}/steady")))],
            canary: Canary(every: .milliseconds(20), warmup: .milliseconds(100),
                           write: probe("${url}/write?seq=${canary.seq}", method: "POST"), read: probe("${url}/latest")),
            phases: [
                Phase(name: "disaster", steps: [
                    Step(name: "kill", action: .probe(.run(argv: ["kill-app"])), mark: "disaster",
                         rollback: [Step(name: "undo kill", action: .probe(.run(argv: ["undo-kill"])))]),
                ]),
                Phase(name: "detect", steps: [
                    Step(name: "down", action: .waitFor(WaitFor(probe: probe("${url}/down"), expect: .fail, every: .milliseconds(10))),
                         timeout: .seconds(10), mark: "detected"),
                ]),
                Phase(name: "restore", steps: restoreSteps),
                Phase(name: "verify", steps: [
                    Step(name: "up", action: .waitFor(WaitFor(probe: probe("${url}/up"), every: .milliseconds(10), consecutive: 2)),
                         timeout: .seconds(10), mark: "recovered"),
                ]),
            ],
            rollback: [Step(name: "scenario rollback", action: .probe(.run(argv: ["scenario-rollback"])))]
        )
    }

    static func source(_ scenario: Scenario) -> ScenarioSource {
        ScenarioSource(scenario: scenario, path: "scripted.yaml", text: "# built in code", sha256: "00")
    }

    static func driver() -> ScriptedDriver {
        ScriptedDriver([
            "/down": [.pass(), .pass(), .fail("connection refused")],
            "/up": [.fail("connection refused"), .fail("connection refused"), .pass(), .fail("blip"), .pass(), .pass()],
            "/latest": [.pass("HTTP 200", stdout: "latest 3\n")],
        ])
    }

    func replayMatches(_ store: InMemoryStore, _ runID: String, _ scenario: Scenario) throws -> RunState {
        let events = try store.events(of: runID)
        #expect(events.map(\.seq) == Array(1...events.count), "the log has no gap or duplicate")
        return DrillMachine.replay(scenario, events: events.map { ($0.event, $0.at) }).state
    }

    @Test func completesAndMeasures() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        let scenario = Self.scenario()
        let outcome = try await DrillExecutor.start(Self.source(scenario), store: store, driver: driver,
                                                    console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(outcome.status == .completed)
        #expect(outcome.exitCode == 0)
        let m = try #require(outcome.measurement)
        let rto = try #require(m.rto)
        #expect(rto.value > .zero)
        #expect(rto.lower <= rto.value && rto.value <= rto.upper)
        // The spacing achieved between the probes around the marks, never finer than the 10 ms period.
        #expect(rto.resolution >= .milliseconds(10))
        let marks = try replayMatches(store, outcome.runID, scenario).marks.filter { ["disaster", "recovered"].contains($0.name) }
        let spacing = marks.compactMap(\.probeInterval).max()
        #expect(rto.resolution == spacing)
        #expect(m.timeToDetect != nil)
        let rpo = try #require(m.rpo)
        #expect(rpo.highestSurvivingSeq == 3)
        // How many writes a 100 ms warmup gets acknowledged depends on the machine's load; the
        // writes after the surviving seq 3 are the lost ones, however many there were.
        #expect(rpo.acknowledgedWrites >= 1)
        #expect(rpo.lostWrites == max(0, rpo.acknowledgedWrites - 3))
        // The streak was broken once by "blip": the mark is the start of the final streak.
        let state = try replayMatches(store, outcome.runID, scenario)
        let recovered = try #require(state.mark("recovered"))
        let upSamples = state.samples.filter { if case .phase(3, 0) = $0.ref { true } else { false } }
        #expect(upSamples.count == 6)
        #expect(recovered.at == upSamples[4].startedAt)
        #expect(recovered.lower == upSamples[3].startedAt)
        #expect(driver.count("undo-kill") == 0, "no rollback on success")
        #expect(try store.run(outcome.runID)?.status == .completed)
    }

    @Test func replayReproducesTheLiveState() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario()
        final class Capture: @unchecked Sendable { var executor: DrillExecutor? }
        let capture = Capture()
        let outcome = try await DrillExecutor.start(Self.source(scenario), store: store, driver: Self.driver(),
                                                    console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false),
                                                    configure: { capture.executor = $0 })
        let live = try #require(capture.executor).currentState
        let replayed = try replayMatches(store, outcome.runID, scenario)
        #expect(replayed == live)
    }

    @Test func failedStepRollsBackWhatRanInReverse() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("restart-app", [.fail("exit 1")])
        var restart = Step(name: "restart", action: .probe(.run(argv: ["restart-app"])), retries: 2, retryDelay: .milliseconds(5))
        restart.rollback = [Step(name: "undo restart", action: .probe(.run(argv: ["undo-restart"])))]
        let scenario = Self.scenario(restore: restart)
        let outcome = try await DrillExecutor.start(Self.source(scenario), store: store, driver: driver,
                                                    console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 3)
        #expect(driver.count("restart-app") == 3, "one attempt and two retries")
        let order = driver.performed.map(\.summary).filter { $0.contains("undo") || $0.contains("scenario-rollback") }
        #expect(order == ["run undo-restart", "run undo-kill", "run scenario-rollback"])
        #expect(driver.count("/up") == 0, "nothing after the failed step ran")
        let state = try replayMatches(store, outcome.runID, scenario)
        #expect(state.failureReason?.contains("restart") == true)
    }

    @Test func manualStepSuspendsAndConfirmCarriesOn() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario(manual: true)
        let first = try await DrillExecutor.start(Self.source(scenario), store: store, driver: Self.driver(),
                                                  console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(first.status == .waiting)
        #expect(first.exitCode == 4)
        let suspended = try replayMatches(store, first.runID, scenario)
        #expect(suspended.status == .waiting)
        var machine = DrillMachine(scenario: scenario)
        machine = DrillMachine.replay(scenario, events: try store.events(of: first.runID).map { ($0.event, $0.at) })
        let waiting = try #require(machine.awaitingOperator)
        #expect(waiting.step.name == "operator restores")

        try await Task.sleep(for: .milliseconds(50))
        let second = try await DrillExecutor.resume(
            runID: first.runID, scenario: scenario,
            first: [.operatorConfirmed(.init(ref: waiting.ref, by: "alice", note: "restored from last night"))],
            store: store, driver: Self.driver(), console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(second.status == .completed)
        let state = try replayMatches(store, first.runID, scenario)
        #expect(state.confirmations.first?.0.by == "alice")
        let m = try #require(second.measurement)
        #expect(m.manualWait >= .milliseconds(50), "time spent waiting counts")
        #expect(try #require(m.rto).value >= m.manualWait, "and is inside the RTO")
    }

    /// `${mark.disaster}` is the mark's wall-clock time, also for a run carried on by another executor.
    @Test func marksResolveAfterAResumeToo() async throws {
        let store = InMemoryStore()
        let restart = Step(name: "restart", action: .probe(.run(argv: ["restart-app", "${mark.disaster}"])))
        let scenario = Self.scenario(restore: restart, manual: true)
        let first = try await DrillExecutor.start(Self.source(scenario), store: store, driver: Self.driver(),
                                                  console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(first.status == .waiting)
        let machine = DrillMachine.replay(scenario, events: try store.events(of: first.runID).map { ($0.event, $0.at) })
        let waiting = try #require(machine.awaitingOperator)
        let driver = Self.driver()
        let second = try await DrillExecutor.resume(
            runID: first.runID, scenario: scenario, first: [.operatorConfirmed(.init(ref: waiting.ref, by: "alice"))],
            store: store, driver: driver, console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(second.status == .completed)
        let run = try #require(try store.run(first.runID))
        let disaster = try #require(machine.state.mark("disaster"))
        let expected = VariableScope.unixSeconds(run.startedWallNs + disaster.at.nanoseconds)
        #expect(driver.performed.map(\.summary).contains("run restart-app \(expected)"), "\(driver.performed.map(\.summary))")
    }

    @Test func abortFromAnotherProcessRollsBack() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("/down", [.pass(after: .milliseconds(5))])
        let scenario = Self.scenario()
        final class Capture: @unchecked Sendable { var id: String? }
        let capture = Capture()
        async let outcome = DrillExecutor.start(Self.source(scenario), store: store, driver: driver,
                                                console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false),
                                                configure: { capture.id = $0.runID })
        // Wait until the detect phase is polling, then abort through the inbox.
        for _ in 0..<500 where driver.count("/down") < 3 { try await Task.sleep(for: .milliseconds(10)) }
        try store.post(.abortRequested(by: "bob", reason: "test"), to: try #require(capture.id))
        let result = try await outcome
        #expect(result.status == .aborted)
        #expect(result.exitCode == 3)
        #expect(driver.count("undo-kill") == 1)
        #expect(driver.count("scenario-rollback") == 1)
        #expect(driver.count("/up") == 0)
    }

    /// Whoever carries a run on kills what the record says a step in flight had running,
    /// before anything else, and clears those rows (the InMemoryStore keeps them as SQLite does).
    @Test func carryingARunOnKillsTheProcessesRecordedForAStepInFlight() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario(manual: true)
        let first = try await DrillExecutor.start(Self.source(scenario), store: store, driver: Self.driver(),
                                                  console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(first.status == .waiting)
        let leftover = Process()
        leftover.executableURL = URL(fileURLWithPath: "/bin/sleep")
        leftover.arguments = ["1000"]
        try leftover.run()
        defer { kill(leftover.processIdentifier, SIGKILL); leftover.waitUntilExit() }
        let entry = try #require(ProcessTable.entry(leftover.processIdentifier))
        try store.recordStepProcesses(first.runID, [
            StepProcess(activity: "attempt restore#1", pid: entry.pid, startTicks: entry.startTicks,
                        host: ProcessInfo.processInfo.hostName, bootID: SystemClock().bootID, cgroup: nil),
        ])
        let machine = DrillMachine.replay(scenario, events: try store.events(of: first.runID).map { ($0.event, $0.at) })
        let waiting = try #require(machine.awaitingOperator)
        let second = try await DrillExecutor.resume(
            runID: first.runID, scenario: scenario, first: [.operatorConfirmed(.init(ref: waiting.ref, by: "alice"))],
            store: store, driver: Self.driver(), console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(second.status == .completed)
        #expect(!ProcessTable.isRunning(entry.pid, startTicks: entry.startTicks), "the recorded process outlived the takeover")
        #expect(try store.stepProcesses(of: first.runID).isEmpty)
    }
}
