import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// The executor end to end with a scripted driver (no system effects) on `ManualClock`: time
/// moves only when every activity waits on the clock, so each instant below is the one the
/// scenario and the script imply (the real clock and real drivers: `DemoDrillTests`).
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
            // Writes at 0, 20, ..., 100 ms; the phases start at 110, between two writes.
            canary: Canary(every: .milliseconds(20), warmup: .milliseconds(110),
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

    static func ms(_ value: Int64) -> DrillInstant { DrillInstant(nanoseconds: value * 1_000_000) }

    /// Starts `scenario` on `clock` and drives it to where it stops.
    static func start(_ scenario: Scenario, store: InMemoryStore, driver: ScriptedDriver, clock: ManualClock,
                      configure: @escaping @Sendable (DrillExecutor) -> Void = { _ in }) async throws -> RunOutcome {
        try await clock.drive { drive in
            try await DrillExecutor.start(source(scenario), store: store, driver: driver, clock: clock, console: TerminalConsole(interactive: false),
                                          progress: ProgressPrinter(enabled: false), configure: { drive($0); configure($0) })
        }
    }

    static func resume(_ runID: String, _ scenario: Scenario, first: [DrillEvent], store: InMemoryStore, driver: ScriptedDriver,
                       clock: ManualClock) async throws -> RunOutcome {
        try await clock.drive { drive in
            try await DrillExecutor.resume(runID: runID, scenario: scenario, first: first, store: store, driver: driver, clock: clock,
                                           console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false),
                                           configure: drive)
        }
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

    func started(_ state: RunState, _ ref: StepRef) -> [DrillInstant] {
        state.attempts.filter { $0.ref == ref }.map(\.startedAt)
    }

    /// Steady state and six canary writes in the warmup, the kill at 110 ms, `/down` failing
    /// on its third sample (130 ms), the restart, `/up` passing twice in a row from 170 ms.
    @Test func completesAndMeasures() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        let scenario = Self.scenario()
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .completed)
        #expect(outcome.exitCode == 0)
        let state = try replayMatches(store, outcome.runID, scenario)
        #expect(started(state, .phase(0, 0)) == [Self.ms(110)])
        #expect(state.samples.filter { $0.ref == .phase(1, 0) }.map(\.startedAt) == [110, 120, 130].map(Self.ms))
        #expect(state.samples.filter { $0.ref == .phase(3, 0) }.map(\.startedAt) == [130, 140, 150, 160, 170, 180].map(Self.ms))
        #expect(state.mark("disaster")?.at == Self.ms(110))
        #expect(state.mark("detected")?.at == Self.ms(130))
        // The streak was broken once by "blip" (160 ms): the mark is the start of the final streak.
        let recovered = try #require(state.mark("recovered"))
        #expect(recovered.at == Self.ms(170))
        #expect(recovered.lower == Self.ms(160))

        let m = try #require(outcome.measurement)
        let rto = try #require(m.rto)
        #expect((rto.value, rto.lower, rto.upper, rto.resolution) == (.milliseconds(60), .milliseconds(50), .milliseconds(60), .milliseconds(10)))
        let detect = try #require(m.timeToDetect)
        #expect((detect.value, detect.lower, detect.upper) == (.milliseconds(20), .milliseconds(10), .milliseconds(20)))
        let rpo = try #require(m.rpo)
        #expect(rpo.acknowledgedWrites == 6, "writes at 0, 20, ..., 100 ms")
        #expect(rpo.highestSurvivingSeq == 3)
        #expect(rpo.lostWrites == 3)
        // Seq 3 (40 ms) survived, seq 4 (60 ms) did not: the loss began between them, before the kill at 110.
        let span = try #require(rpo.span)
        #expect((span.value, span.lower, span.upper, span.resolution) == (.milliseconds(70), .milliseconds(50), .milliseconds(70), .milliseconds(20)))
        #expect(driver.count("undo-kill") == 0, "no rollback on success")
        #expect(try store.run(outcome.runID)?.status == .completed)
        #expect(try store.events(of: outcome.runID).last?.at == Self.ms(180))
    }

    @Test func replayReproducesTheLiveState() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario()
        final class Capture: @unchecked Sendable { var executor: DrillExecutor? }
        let capture = Capture()
        let outcome = try await Self.start(scenario, store: store, driver: Self.driver(), clock: ManualClock(),
                                           configure: { capture.executor = $0 })
        let live = try #require(capture.executor).currentState
        let replayed = try replayMatches(store, outcome.runID, scenario)
        #expect(replayed == live)
    }

    /// Each retry starts its delay after the attempt before it failed; then what ran is undone in reverse.
    @Test func failedStepRollsBackWhatRanInReverse() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("restart-app", [.fail("exit 1", after: .milliseconds(3))])
        var restart = Step(name: "restart", action: .probe(.run(argv: ["restart-app"])), retries: 2, retryDelay: .milliseconds(5))
        restart.rollback = [Step(name: "undo restart", action: .probe(.run(argv: ["undo-restart"])))]
        let scenario = Self.scenario(restore: restart)
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 3)
        let state = try replayMatches(store, outcome.runID, scenario)
        // 130 ms, each failing 3 ms later, each retry 5 ms after that.
        #expect(started(state, .phase(2, 0)) == [130, 138, 146].map(Self.ms))
        #expect(state.attempts.filter { $0.ref == .phase(2, 0) }.map(\.endedAt) == [133, 141, 149].map(Self.ms))
        let order = driver.performed.map(\.summary).filter { $0.contains("undo") || $0.contains("scenario-rollback") }
        #expect(order == ["run undo-restart", "run undo-kill", "run scenario-rollback"])
        #expect(driver.count("/up") == 0, "nothing after the failed step ran")
        #expect(state.failureReason?.contains("restart") == true)
    }

    /// The wait for the operator is exactly the time between the suspension and the confirmation.
    @Test func manualStepSuspendsAndConfirmCarriesOn() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario(manual: true)
        let clock = ManualClock()
        let first = try await Self.start(scenario, store: store, driver: Self.driver(), clock: clock)
        #expect(first.status == .waiting)
        #expect(first.exitCode == 4)
        let suspended = try replayMatches(store, first.runID, scenario)
        #expect(suspended.status == .waiting)
        #expect(suspended.suspensions == [Self.ms(130)])
        let machine = DrillMachine.replay(scenario, events: try store.events(of: first.runID).map { ($0.event, $0.at) })
        let waiting = try #require(machine.awaitingOperator)
        #expect(waiting.step.name == "operator restores")

        clock.advance(by: 50_000_000)
        let second = try await Self.resume(first.runID, scenario, first: [
            .operatorConfirmed(.init(ref: waiting.ref, by: "alice", note: "restored from last night")),
        ], store: store, driver: Self.driver(), clock: clock)
        #expect(second.status == .completed)
        let state = try replayMatches(store, first.runID, scenario)
        #expect(state.confirmations.first?.0.by == "alice")
        let m = try #require(second.measurement)
        #expect(m.manualWait == .milliseconds(50), "time spent waiting counts")
        // The restart at 180 ms, /up from 180 to 230 ms, recovered at its fifth sample (220 ms): 110 ms after the kill.
        #expect(try #require(m.rto).value == .milliseconds(110), "and is inside the RTO")
    }

    /// `${mark.disaster}` is the mark's wall-clock time, also for a run carried on by another executor.
    @Test func marksResolveAfterAResumeToo() async throws {
        let store = InMemoryStore()
        let restart = Step(name: "restart", action: .probe(.run(argv: ["restart-app", "${mark.disaster}"])))
        let scenario = Self.scenario(restore: restart, manual: true)
        let clock = ManualClock()
        let first = try await Self.start(scenario, store: store, driver: Self.driver(), clock: clock)
        #expect(first.status == .waiting)
        let machine = DrillMachine.replay(scenario, events: try store.events(of: first.runID).map { ($0.event, $0.at) })
        let waiting = try #require(machine.awaitingOperator)
        let driver = Self.driver()
        clock.advance(by: 1_000_000_000)
        let second = try await Self.resume(first.runID, scenario, first: [.operatorConfirmed(.init(ref: waiting.ref, by: "alice"))],
                                           store: store, driver: driver, clock: clock)
        #expect(second.status == .completed)
        let run = try #require(try store.run(first.runID))
        // The manual clock's wall starts at 1 795 000 000 s; the kill was 110 ms in.
        #expect(run.startedWallNs == 1_795_000_000_000_000_000)
        #expect(driver.performed.map(\.summary).contains("run restart-app 1795000000.110"), "\(driver.performed.map(\.summary))")
    }

    /// An abort posted while the detect phase polls is taken at the inbox's next poll, and
    /// nothing of the drill runs after it but the rollbacks.
    @Test func abortFromAnotherProcessRollsBack() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        final class Capture: @unchecked Sendable { var id: String? }
        let capture = Capture()
        driver.script("/down", [.pass(), .pass(), .pass(then: { try? store.post(.abortRequested(by: "bob", reason: "test"), to: capture.id!) }),
                                .pass()])
        let scenario = Self.scenario()
        // Polls at 0 and 155 ms: between two samples (every 10 ms from 110), after the post at 130.
        let result = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock(), configure: {
            capture.id = $0.runID
            $0.inboxPollInterval = .milliseconds(155)
        })
        #expect(result.status == .aborted)
        #expect(result.exitCode == 3)
        let events = try store.events(of: result.runID)
        let abort = try #require(events.first { if case .abortRequested = $0.event { true } else { false } })
        #expect(abort.at == Self.ms(155))
        let state = try replayMatches(store, result.runID, scenario)
        #expect(state.samples.filter { $0.ref == .phase(1, 0) }.map(\.startedAt) == [110, 120, 130, 140, 150].map(Self.ms))
        #expect(driver.count("undo-kill") == 1)
        #expect(driver.count("scenario-rollback") == 1)
        #expect(driver.count("/up") == 0)
    }

    /// A step that would take 10 s with a 2 s timeout ends at its deadline, not a moment later.
    @Test func aStepTimesOutAtItsDeadline() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("restart-app", [.pass(after: .seconds(10))])
        let restart = Step(name: "restart", action: .probe(.run(argv: ["restart-app"])), timeout: .seconds(2))
        let scenario = Self.scenario(restore: restart)
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .failed)
        let state = try replayMatches(store, outcome.runID, scenario)
        let attempt = try #require(state.attempts.first { $0.ref == .phase(2, 0) })
        #expect((attempt.startedAt, attempt.endedAt) == (Self.ms(130), Self.ms(2130)))
        #expect(attempt.verdict == .timedOut)
        #expect(driver.performed.map(\.summary).suffix(2) == ["run undo-kill", "run scenario-rollback"])
    }

    /// `max_duration` stops the step in flight at the drill's deadline and rolls back from there.
    @Test func maxDurationAbortsAtTheDrillsDeadline() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("restart-app", [.pass(after: .seconds(10))])
        var scenario = Self.scenario()
        scenario.maxDuration = .seconds(1)
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .aborted)
        let events = try store.events(of: outcome.runID)
        let passed = try #require(events.first { if case .maxDurationPassed = $0.event { true } else { false } })
        #expect(passed.at == Self.ms(1000))
        let state = try replayMatches(store, outcome.runID, scenario)
        let attempt = try #require(state.attempts.first { $0.ref == .phase(2, 0) })
        #expect(attempt.endedAt == Self.ms(1000))
        #expect(attempt.verdict == .cancelled)
        #expect(driver.count("undo-kill") == 1)
        #expect(driver.count("/up") == 0)
    }

    /// A guard polled every 50 ms from the start trips on its second failure in a row, and the
    /// drill aborts at that poll.
    @Test func aGuardTripsAtThePollThatFailsIt() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("/guard", [.pass(), .pass(), .fail("budget burnt"), .fail("budget burnt")])
        driver.script("restart-app", [.pass(after: .seconds(10))])
        var scenario = Self.scenario()
        scenario.guards = [Guard(name: "error budget", probe: Self.probe("${url}/guard"), every: .milliseconds(50), tripAfter: 2)]
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .aborted)
        let state = try replayMatches(store, outcome.runID, scenario)
        let trip = try #require(state.guardTrip)
        #expect(trip.name == "error budget")
        let polls = try store.events(of: outcome.runID).compactMap { event -> DrillInstant? in
            if case .guardSampled(let sampled) = event.event { sampled.startedAt } else { nil }
        }
        #expect(trip.at == polls.last)
        #expect(polls.count == 4)
        #expect(zip(polls, polls.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(50) }, "\(polls)")
        #expect(driver.count("undo-kill") == 1)
    }

    /// A guard polled every 1 s with `trip_after: 3` against a probe that hangs, whose own timeout
    /// (10 s) is longer than its period: each poll is cut off when the next slot is due, that slot
    /// is polled at once, and the guard trips at its third slot. Polls bounded by their own timeout
    /// alone ran 0–10 s and tripped at 10 s (the "polled at 0, 2 and 4 s, tripped at 5 s").
    @Test func aHangingGuardPollIsCutOffAtTheNextSlotAndTheGuardTripsOnItsGrid() async throws {
        let store = InMemoryStore()
        let driver = Self.driver()
        driver.script("/guard", [.pass(after: .seconds(3600))])
        driver.script("restart-app", [.pass(after: .seconds(60))])
        var scenario = Self.scenario()
        scenario.guards = [Guard(name: "hanging", probe: .http(HTTPProbe(url: Template("${url}/guard"), timeout: .seconds(10))),
                                 every: .seconds(1), tripAfter: 3)]
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .aborted)
        let polls = try store.events(of: outcome.runID).compactMap { event -> GuardSampled? in
            if case .guardSampled(let sampled) = event.event { sampled } else { nil }
        }
        // The guards start as the phases do (at 0, the first step then waiting out the canary's warmup).
        #expect(polls.map(\.startedAt) == [0, 1000, 2000].map(Self.ms), "\(polls.map(\.startedAt))")
        #expect(polls.map(\.endedAt) == [1000, 2000, 3000].map(Self.ms), "\(polls.map(\.endedAt))")
        #expect(polls.allSatisfy { $0.report.verdict == .timedOut })
        let state = try replayMatches(store, outcome.runID, scenario)
        let trip = try #require(state.guardTrip)
        #expect(trip.at == Self.ms(3000))
        #expect(driver.count("undo-kill") == 1)
        #expect(driver.count("/up") == 0)
    }

    /// A console someone could answer at, who never does: it waits on the run's clock until
    /// `postAt`, then posts what another terminal's `firedrill confirm` would, and waits on.
    final class ConfirmElsewhereConsole: OperatorConsole, @unchecked Sendable {
        let clock: ManualClock
        let postAt: Int64
        let post: @Sendable () -> Void
        init(clock: ManualClock, postAt: Int64, post: @escaping @Sendable () -> Void) {
            self.clock = clock
            self.postAt = postAt
            self.post = post
        }
        var isInteractive: Bool { true }
        func confirm(step: String, instructions: String, runID: String) async -> (by: String, note: String?)? {
            do { try await clock.sleep(untilMono: postAt) } catch { return nil }
            post()
            try? await clock.sleep(untilMono: postAt + 3_600_000_000_000)
            return nil
        }
    }

    /// A confirmation read from the inbox once the manual step's deadline has passed finds the
    /// step timed out, and the run goes to its rollbacks: the next injection never runs. The step
    /// starts at 1 s with a 2 s timeout; the confirmation is posted at 2.5 s and read at 3 s, when
    /// the deadline falls, by an inbox poll that went to sleep before the deadline's own timer and
    /// so wakes first: only the check on the inbox's path stands between it and the injection.
    @Test func aConfirmationReadFromTheInboxAfterTheDeadlineFindsTheStepTimedOut() async throws {
        let store = InMemoryStore()
        let clock = ManualClock()
        let start = clock.now().monoNs
        final class Capture: @unchecked Sendable { var id: String? }
        let capture = Capture()
        let declare = StepRef.phase(0, 1)
        let console = ConfirmElsewhereConsole(clock: clock, postAt: start + 2_500_000_000) {
            try? store.post(.operatorConfirmed(.init(ref: declare, by: "late-lead", note: nil)), to: capture.id!)
        }
        let driver = ScriptedDriver(["inject-a": [.pass(after: .seconds(1))]])
        let scenario = Scenario(name: "inbox-deadline", phases: [Phase(name: "disaster", steps: [
            Step(name: "inject", action: .probe(.run(argv: ["inject-a"])), rollback: [Step(name: "undo", action: .probe(.run(argv: ["undo-a"])))]),
            Step(name: "declare the disaster", action: .manual(instructions: "Declare it"), timeout: .seconds(2)),
            Step(name: "second injection", action: .probe(.run(argv: ["inject-b"]))),
        ])])
        let outcome = try await clock.drive { drive in
            try await DrillExecutor.start(Self.source(scenario), store: store, driver: driver, clock: clock, console: console,
                                          progress: ProgressPrinter(enabled: false), configure: {
                                              capture.id = $0.runID
                                              $0.inboxPollInterval = .seconds(3)
                                              drive($0)
                                          })
        }
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 3)
        #expect(driver.count("inject-b") == 0, "\(driver.performed.map(\.summary))")
        #expect(driver.count("undo-a") == 1)
        let events = try store.events(of: outcome.runID)
        let deadline = try #require(events.firstIndex { if case .deadlinePassed(declare, 1) = $0.event { true } else { false } })
        let confirmation = try #require(events.firstIndex { if case .operatorConfirmed = $0.event { true } else { false } })
        #expect(events[deadline].at == Self.ms(3000))
        #expect(events[confirmation].at == Self.ms(3000))
        #expect(deadline < confirmation, "the confirmation was applied before the deadline that had passed")
        let state = try replayMatches(store, outcome.runID, scenario)
        let manual = try #require(state.attempts.first { $0.ref == declare })
        #expect(manual.verdict == .timedOut)
        #expect(manual.confirmation == nil)
    }

    /// A run that suspends first lets the calls under way come back, so that their outcome is on
    /// the record and nothing is cut off: the slow start notification is delivered and recorded,
    /// the run suspends at the manual step when it is back, and a resume owes and sends nothing.
    @Test func aSuspensionWaitsForTheCallsUnderWay() async throws {
        let store = InMemoryStore()
        let scenario = Self.announcedScenario()
        let clock = ManualClock()
        let first = try await Self.start(scenario, store: store, driver: ScriptedDriver(["/hook": [.pass(after: .seconds(5))]]), clock: clock)
        #expect(first.status == .waiting)
        let suspended = try replayMatches(store, first.runID, scenario)
        #expect(suspended.notificationsPending.isEmpty, "the notification under way was waited for")
        #expect(suspended.notifications.map(\.report.verdict) == [.passed])
        #expect(suspended.suspensions == [DrillInstant(nanoseconds: 5_000_000_000)], "suspended when the notification was back")
        let driver = ScriptedDriver()
        let second = try await Self.resume(first.runID, scenario, first: [], store: store, driver: driver, clock: clock)
        #expect(second.status == .waiting)
        #expect(driver.performed.isEmpty, "nothing was owed: \(driver.performed.map(\.summary))")
        #expect(try replayMatches(store, first.runID, scenario).suspensions.count == 2)
    }

    /// While the calls under way come back the runner is live, so `firedrill confirm` posts to its
    /// inbox: that confirmation carries the run on here, and the run never suspends.
    @Test func aConfirmationPostedWhileACallComesBackCarriesTheRunOn() async throws {
        let store = InMemoryStore()
        let scenario = Self.announcedScenario()
        let confirm: @Sendable () -> Void = {
            guard let run = try? store.runs(scenario: "scripted").first else { return }
            try? store.post(.operatorConfirmed(.init(ref: .setup(0), by: "bob", note: nil)), to: run.id)
        }
        let driver = Self.driver()
        driver.script("/hook", [.pass(after: .seconds(5), then: confirm), .pass()])
        let outcome = try await Self.start(scenario, store: store, driver: driver, clock: ManualClock())
        #expect(outcome.status == .completed)
        let state = try replayMatches(store, outcome.runID, scenario)
        #expect(state.suspensions.isEmpty)
        #expect(state.attempts.first { $0.ref == .setup(0) }?.confirmation?.by == "bob")
    }

    /// A host that cancels the run's task (a server stopping) leaves it interrupted, its
    /// rollbacks owed for `resume`, and its lease given back, so another runner may take it.
    @Test func aCancelledRunIsInterruptedAndGivesItsLeaseBack() async throws {
        let store = InMemoryStore()
        // Nobody advances this clock: the run waits at its first timer until it is cancelled.
        let clock = ManualClock()
        let task = Task {
            try await DrillExecutor.start(Self.source(Self.scenario()), store: store, driver: Self.driver(), clock: clock,
                                          console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        }
        while clock.pendingSleepers == 0 { await Task.yield() }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        let run = try #require(try store.runs(scenario: "scripted").first)
        #expect(run.status == .interrupted)
        #expect(run.runner == nil, "the lease was given back")
        #expect(try store.events(of: run.id).last.map { if case .runInterrupted = $0.event { true } else { false } } == true)
    }

    /// The scripted drill with a manual setup step and a webhook told at the start.
    static func announcedScenario() -> Scenario {
        var scenario = Self.scenario()
        scenario.setup = [Step(name: "announce", action: .manual(instructions: "Tell the on-call"))]
        scenario.notify = [Notifier(name: "drill channel", format: .webhook, url: Template("${url}/hook"), on: [.start])]
        return scenario
    }

    /// A second SIGINT that comes after the run ended records nothing: nothing follows `run_ended`.
    @Test func anInterruptionAfterTheEndIsNotRecorded() async throws {
        let store = InMemoryStore()
        final class Capture: @unchecked Sendable { var recorder: RunRecorder? }
        let capture = Capture()
        let outcome = try await Self.start(Self.scenario(), store: store, driver: Self.driver(), clock: ManualClock(),
                                           configure: { capture.recorder = $0.recorder })
        #expect(outcome.status == .completed)
        let count = try store.events(of: outcome.runID).count
        try #require(capture.recorder).interruptNow(reason: "second SIGINT received: stopped at once")
        #expect(try store.events(of: outcome.runID).count == count)
        #expect(try store.run(outcome.runID)?.status == .completed)
    }

    /// Whoever carries a run on kills what the record says a step in flight had running,
    /// before anything else, and clears those rows (the InMemoryStore keeps them as SQLite does).
    @Test func carryingARunOnKillsTheProcessesRecordedForAStepInFlight() async throws {
        let store = InMemoryStore()
        let scenario = Self.scenario(manual: true)
        let clock = ManualClock()
        let first = try await Self.start(scenario, store: store, driver: Self.driver(), clock: clock)
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
        let second = try await Self.resume(first.runID, scenario, first: [.operatorConfirmed(.init(ref: waiting.ref, by: "alice"))],
                                           store: store, driver: Self.driver(), clock: clock)
        #expect(second.status == .completed)
        #expect(!ProcessTable.isRunning(entry.pid, startTicks: entry.startTicks), "the recorded process outlived the takeover")
        #expect(try store.stepProcesses(of: first.runID).isEmpty)
    }
}
