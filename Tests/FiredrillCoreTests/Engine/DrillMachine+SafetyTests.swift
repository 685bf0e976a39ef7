import FiredrillCore
import Testing

@Suite("DrillMachine: guards, max_duration, steps in doubt")
struct DrillMachineSafetyTests {
    static let inject = StepRef.phase(0, 0)
    static let hold = StepRef.phase(0, 1)

    /// One phase: an injection with its own rollback, then a long sleep.
    static func scenario(guards: [Guard] = [], maxDuration: DrillDuration? = nil, idempotent: Bool = false,
                         steady: Bool = false) -> Scenario {
        Scenario(
            name: "safety",
            steadyState: steady ? [Step(name: "healthy", action: .probe(.run(argv: ["check"])))] : [],
            phases: [Phase(name: "disaster", steps: [
                Step(name: "inject", action: .probe(.run(argv: ["inject"])), mark: "disaster",
                     rollback: [Step(name: "undo", action: .probe(.run(argv: ["undo"])))], idempotent: idempotent),
                Step(name: "hold", action: .sleep(.seconds(60))),
            ])],
            guards: guards, maxDuration: maxDuration)
    }

    static let errorBudget = Guard(name: "error budget", probe: .run(argv: ["budget-ok"]), every: .seconds(1), tripAfter: 2)

    static func guardSample(_ run: inout ScriptedRun, passed: Bool, sample: Int, at start: DrillInstant) -> [DrillAction] {
        let report = DriverReport(verdict: passed ? .passed : .failed, summary: passed ? "exit 0" : "exit 1")
        return run.feed(.guardSampled(GuardSampled(guardIndex: 0, sample: sample, report: report, startedAt: start,
                                                   endedAt: start + .milliseconds(10))), at: start + .milliseconds(10))
    }

    @Test func guardsPollOnTheirGridAndTripAfterTheirCountOfFailuresInARow() {
        var run = ScriptedRun(Self.scenario(guards: [Self.errorBudget]))
        let started = run.start()
        #expect(started.contains(.sampleGuard(guardIndex: 0, sample: 1, at: .start)))
        #expect(Self.guardSample(&run, passed: true, sample: 1, at: .start) == [.sampleGuard(guardIndex: 0, sample: 2, at: t(1))])
        run.begin(Self.inject, at: t(0.5))
        run.end(Self.inject, at: t(0.6))
        // One failure is not enough with trip_after: 2; a pass resets the count.
        #expect(Self.guardSample(&run, passed: false, sample: 2, at: t(1)) == [.sampleGuard(guardIndex: 0, sample: 3, at: t(2))])
        #expect(Self.guardSample(&run, passed: true, sample: 3, at: t(2)) == [.sampleGuard(guardIndex: 0, sample: 4, at: t(3))])
        #expect(Self.guardSample(&run, passed: false, sample: 4, at: t(3)) == [.sampleGuard(guardIndex: 0, sample: 5, at: t(4))])
        #expect(run.state.guardTrip == nil)
        let tripped = Self.guardSample(&run, passed: false, sample: 5, at: t(4))
        #expect(run.state.guardTrip?.name == "error budget")
        #expect(run.state.guardTrip?.at == t(4.01))
        #expect(run.state.abort?.by == "guard 'error budget'")
        #expect(run.state.failureReason == "aborted by guard 'error budget': tripped: failed 2 times in a row: exit 1")
        // The hold is cancelled and the injection's rollback starts at once.
        #expect(tripped.contains(.cancel(.attempt(Self.hold, 1))))
        #expect(tripped.contains(.startAttempt(.rollback(0), attempt: 1, at: t(4.01))))
        #expect(run.state.guards[0].stopped)
        // A late sample of a stopped guard changes nothing.
        #expect(Self.guardSample(&run, passed: false, sample: 6, at: t(5)) == [])
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }

    /// "No P1 alert we did not cause": an alert guard with `expect: fail` holds while Alertmanager
    /// lists no such alert, trips when one fires, and also when Alertmanager gives no list at all
    /// (down, an error status): not being able to look is not the all-clear.
    @Test(arguments: ["fires", "unreachable"])
    func aGuardExpectedToFailHoldsOnARefusalOnly(_ ending: String) {
        let probe = Probe(AlertProbe(alertmanager: Template("http://127.0.0.1:9093"), matchers: [.init(name: "severity", value: Template("critical"))],
                                     unless: [.init(name: "alertname", value: Template("SampleServiceDown"))]))
        let p1 = Guard(name: "no P1 we did not cause", probe: probe, every: .seconds(1), expect: .fail)
        var run = ScriptedRun(Self.scenario(guards: [p1]))
        run.start()
        @discardableResult
        func poll(_ sample: Int, _ report: DriverReport) -> [DrillAction] {
            run.feed(.guardSampled(GuardSampled(guardIndex: 0, sample: sample, report: report, startedAt: t(Double(sample - 1)),
                                                endedAt: t(Double(sample - 1) + 0.01))), at: t(Double(sample - 1) + 0.01))
        }
        let none = DriverReport(verdict: .failed, summary: "no matching alert firing (1 alert listed)", httpStatus: 200,
                                alerts: AlertObservation(alerts: []))
        #expect(poll(1, none) == [.sampleGuard(guardIndex: 0, sample: 2, at: t(1))])
        #expect(run.state.guards[0].failures == 0)
        let tripping = ending == "fires"
            ? DriverReport(verdict: .passed, summary: "DiskFull (severity critical) active since 2026-12-02T10:00:00Z, receivers oncall-p1",
                           httpStatus: 200, alerts: AlertObservation(alerts: [AlertSeen(labels: ["alertname": "DiskFull", "severity": "critical"],
                                                                                       startsAt: "2026-12-02T10:00:00Z", state: "active")]))
            : DriverReport(verdict: .failed, summary: "Alertmanager: connection refused by 127.0.0.1:9093")
        poll(2, tripping)
        let reason = ending == "fires"
            ? "aborted by guard 'no P1 we did not cause': tripped: expected to fail, but it passed: DiskFull (severity critical) active since 2026-12-02T10:00:00Z, receivers oncall-p1"
            : "aborted by guard 'no P1 we did not cause': tripped: failed, but not as a refusal (no list of alerts from Alertmanager): Alertmanager: connection refused by 127.0.0.1:9093"
        #expect(run.state.failureReason == reason, "\(run.state.failureReason ?? "")")
        #expect(run.state.guardTrip?.summary.hasPrefix(ending == "fires" ? "expected to fail, but it passed: DiskFull" : "failed, but not as a refusal") == true)
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }

    /// A hanging probe polled every 1s with trip_after 3: each poll times out at the next slot, the
    /// next poll is due then (never skipped to the slot after), and the guard trips at 3s, not 5s.
    @Test func aPollRunningIntoTheNextSlotFailsAndThePollsStayOnTheGrid() {
        let hanging = Guard(name: "hanging", probe: .run(argv: ["hang"]), every: .seconds(1), tripAfter: 3)
        var run = ScriptedRun(Self.scenario(guards: [hanging]))
        run.start()
        func timedOut(_ sample: Int, from start: DrillInstant, to end: DrillInstant) -> [DrillAction] {
            run.feed(.guardSampled(GuardSampled(guardIndex: 0, sample: sample, report: DriverReport(verdict: .timedOut, summary: "timed out"),
                                                startedAt: start, endedAt: end)), at: end)
        }
        // Ends a little after the next slot was due: that slot is polled at once.
        #expect(timedOut(1, from: .start, to: t(1.003)) == [.sampleGuard(guardIndex: 0, sample: 2, at: t(1))])
        #expect(timedOut(2, from: t(1.003), to: t(2.004)) == [.sampleGuard(guardIndex: 0, sample: 3, at: t(2))])
        let tripped = timedOut(3, from: t(2.004), to: t(3.002))
        #expect(run.state.guardTrip?.at == t(3.002))
        #expect(tripped.contains { if case .cancel = $0 { true } else { false } })
    }

    @Test func slotsAPollRanThroughCountAsFailures() {
        let slow = Guard(name: "slow", probe: .run(argv: ["slow"]), every: .seconds(1), tripAfter: 3)
        var run = ScriptedRun(Self.scenario(guards: [slow]))
        run.start()
        // Answered (passing) only at 2.5s: slot 1 went unobserved, slot 2 is due at once.
        let late = run.feed(.guardSampled(GuardSampled(guardIndex: 0, sample: 1, report: DriverReport(verdict: .passed, summary: "ok"),
                                                       startedAt: .start, endedAt: t(2.5))), at: t(2.5))
        #expect(late == [.sampleGuard(guardIndex: 0, sample: 2, at: t(2))])
        #expect(run.state.guards[0].failures == 1)
        #expect(run.state.guards[0].streak == 1)
    }

    @Test func overdueDeadlinesAreListedInTheOrderTheyFell() {
        var run = ScriptedRun(Self.scenario(maxDuration: .seconds(10)))
        run.start()
        run.perform(Self.inject)
        run.begin(Self.hold)
        #expect(run.machine.overdue(at: t(9.999)) == [])
        #expect(run.machine.overdue(at: t(10)) == [.maxDurationPassed])
        run.feed(.maxDurationPassed, at: t(10))
        #expect(run.machine.overdue(at: t(20)) == [])

        let manual = Scenario(name: "manual", phases: [Phase(name: "p", steps: [
            Step(name: "declare", action: .manual(instructions: "Declare it"), timeout: .seconds(2)),
        ])], maxDuration: .seconds(5))
        var waiting = ScriptedRun(manual)
        waiting.start()
        waiting.begin(.phase(0, 0), at: t(1))
        #expect(waiting.machine.overdue(at: t(2.9)) == [])
        #expect(waiting.machine.overdue(at: t(3)) == [.deadlinePassed(ref: .phase(0, 0), attempt: 1)])
        #expect(waiting.machine.overdue(at: t(6)) == [.deadlinePassed(ref: .phase(0, 0), attempt: 1), .maxDurationPassed])
        // Once the step's deadline is recorded, a late confirmation changes nothing.
        waiting.feed(.deadlinePassed(ref: .phase(0, 0), attempt: 1), at: t(3.5))
        #expect(waiting.feed(.operatorConfirmed(.init(ref: .phase(0, 0), by: "late", note: nil)), at: t(4)) == [])
        #expect(waiting.state.attempts.first?.verdict == .timedOut)
    }

    @Test func guardsStopWhenThePhasesEnd() {
        var run = ScriptedRun(Self.scenario(guards: [Self.errorBudget]))
        run.start()
        run.perform(Self.inject)
        run.begin(Self.hold)
        let ended = run.end(Self.hold, at: t(60.2))
        #expect(ended.contains(.cancel(.guardSample(0, 1))))
        #expect(run.state.guards[0].stopped)
        #expect(run.state.abort == nil)
    }

    @Test func maxDurationIsArmedAtTheStartAndAbortsWhenItPasses() {
        var run = ScriptedRun(Self.scenario(maxDuration: .seconds(10)))
        #expect(run.start().first == .armMaxDuration(at: t(10)))
        run.perform(Self.inject)
        run.begin(Self.hold)
        let passed = run.feed(.maxDurationPassed, at: t(10))
        #expect(run.state.maxDurationPassedAt == t(10))
        #expect(run.state.failureReason == "aborted by max_duration: the drill ran past its max_duration of 10s")
        // The sleep in flight is cancelled; the rollback starts once it has reported.
        #expect(passed == [.cancel(.attempt(Self.hold, 1))])
        #expect(run.end(Self.hold, .cancelled, at: t(10.01)) == [.startAttempt(.rollback(0), attempt: 1, at: t(10.01))])
        // Re-armed on resume only while it can still matter.
        #expect(!run.machine.rearm(at: t(11)).contains { if case .armMaxDuration = $0 { true } else { false } })
    }

    @Test func anInjectionInDoubtHaltsTheRunAndAnIdempotentOneIsRunAgain() {
        var run = ScriptedRun(Self.scenario())
        run.start()
        run.begin(Self.inject, at: t(1))
        guard case .halt(let halted) = run.machine.resumePlan(at: t(5)) else { Issue.record("not halted"); return }
        #expect(halted.ref == Self.inject && halted.attempt == 1)
        #expect(halted.reason.contains("step 'inject' (run inject) was dispatched but no result was recorded"))
        run.feed(.runHalted(halted), at: t(5))
        #expect(run.state.status == .halted)
        // Resuming again without a decision halts again.
        run.feed(.runResumed(ScriptedRun.runner), at: t(6))
        #expect(run.state.status == .halted)
        if case .carryOn = run.machine.resumePlan(at: t(6)) { Issue.record("carried on without a decision") }

        var idempotent = ScriptedRun(Self.scenario(idempotent: true))
        idempotent.start()
        idempotent.begin(Self.inject, at: t(1))
        #expect(idempotent.machine.resumePlan(at: t(5)) == .carryOn([.perform(Self.inject, attempt: 1, action: .run(argv: ["inject"]), deadline: .none)]))
    }

    @Test func steadyStateProbesAreRunAgainWhateverTheyRun() {
        var run = ScriptedRun(Self.scenario(steady: true))
        run.start()
        run.begin(.steadyBefore(0), at: t(0.1))
        #expect(run.machine.resumePlan(at: t(2)) == .carryOn([.perform(.steadyBefore(0), attempt: 1, action: .run(argv: ["check"]), deadline: .none)]))
    }

    static func halted() -> ScriptedRun {
        var run = ScriptedRun(Self.scenario())
        run.start()
        run.begin(Self.inject, at: t(1))
        run.feed(.runHalted(RunHalted(ref: Self.inject, attempt: 1, reason: "in doubt")), at: t(5))
        return run
    }

    static func resolve(_ run: inout ScriptedRun, _ decision: Resolution.Decision, at: DrillInstant = t(9)) -> [DrillAction] {
        run.feed(.operatorResolved(Resolution(ref: Self.inject, attempt: 1, decision: decision, by: "carol", note: "checked the VMs")), at: at)
    }

    /// A halted run stopped at once by a second signal reads interrupted, as the runs table has
    /// it; the resume that carries it on finds it halted again.
    @Test func aHaltedRunInterruptedReadsInterruptedUntilResumed() {
        var run = Self.halted()
        #expect(run.state.status == .halted)
        run.feed(.runInterrupted(reason: "second SIGINT"), at: t(6))
        #expect(run.state.status == .interrupted)
        #expect(run.state.halt != nil, "the step is still in doubt")
        run.feed(.runResumed(ScriptedRun.runner), at: t(7))
        #expect(run.state.status == .halted)
    }

    @Test func retryRunsTheStepAgainAsANewAttempt() {
        var run = Self.halted()
        #expect(Self.resolve(&run, .retry) == [.startAttempt(Self.inject, attempt: 2, at: t(9))])
        #expect(run.state.status == .running)
        #expect(run.state.halt == nil)
        #expect(run.state.attempts.last?.summary == "in doubt after a crash; carol chose to run it again: checked the VMs")
        #expect(run.state.resolutions.map(\.resolution.decision) == [.retry])
    }

    @Test func skipCountsTheStepAsDoneWithItsMarkBoundedByDispatchAndDecision() {
        var run = Self.halted()
        #expect(Self.resolve(&run, .skip) == [.startAttempt(Self.hold, attempt: 1, at: t(9))])
        let mark = run.state.mark("disaster")
        #expect(mark?.at == t(1) && mark?.lower == t(1) && mark?.upper == t(9))
        #expect(run.state.stepsPassed.contains(Self.inject))
    }

    @Test func rollbackStopsTheDrillAndRunsTheCompensationsOwed() {
        var run = Self.halted()
        let actions = Self.resolve(&run, .rollback)
        #expect(actions.contains(.startAttempt(.rollback(0), attempt: 1, at: t(9))))
        #expect(run.state.outcome == .aborted)
        #expect(run.state.abort?.by == "carol")
        #expect(run.state.rollbacksOwed == [0])
        // A decision about another attempt is ignored.
        var other = Self.halted()
        #expect(other.feed(.operatorResolved(Resolution(ref: Self.hold, attempt: 1, decision: .skip, by: "x")), at: t(9)) == [])
        #expect(other.state.status == .halted)
    }

    @Test func anAbortRequestedWhileACallWasInFlightAbandonsItOnResume() {
        var run = ScriptedRun(Self.scenario())
        run.start()
        run.begin(Self.inject, at: t(1))
        run.abort(at: t(2))
        #expect(run.state.drainingTo == .rollback)
        // The process died before the cancelled call reported: nothing is in doubt, the call is abandoned.
        #expect(run.machine.inDoubt == nil)
        let plan = run.machine.resumePlan(at: t(5))
        #expect(plan == .carryOn([.abandon(Self.inject, attempt: 1, startedAt: t(1),
                                           reason: "lost: the call was in flight when the orchestrator stopped, during an abort")]))
        run.end(Self.inject, .cancelled, at: t(5))
        #expect(run.state.stage == .rollback)
    }

    @Test func anInterruptionKeepsWhatIsOwed() {
        var run = ScriptedRun(Self.scenario())
        run.start()
        run.perform(Self.inject)
        run.abort(at: t(2))
        #expect(run.state.stage == .rollback)
        run.feed(.runInterrupted(reason: "second SIGINT"), at: t(2.1))
        #expect(run.state.status == .interrupted)
        #expect(run.state.rollbacksOwed == [0])
        run.feed(.runResumed(ScriptedRun.runner), at: t(30))
        #expect(run.state.status == .running)
        #expect(run.machine.rearm(at: t(30)).contains(.startAttempt(.rollback(0), attempt: 1, at: t(2))))
    }

    @Test func deadlinesAreAbsoluteAndSurviveARestart() {
        let scenario = Scenario(name: "deadline", phases: [Phase(name: "detect", steps: [
            Step(name: "down", action: .waitFor(WaitFor(probe: .run(argv: ["health"]), expect: .fail, every: .seconds(1))),
                 timeout: .seconds(30), mark: "detected"),
        ])])
        var run = ScriptedRun(scenario)
        run.start()
        run.begin(.phase(0, 0), at: t(2))
        run.sample(.phase(0, 0), passed: true)
        // The orchestrator died at 3s and comes back at 50s: the timeout is still 32s into the run,
        // so it is re-armed for an instant already past and fires at once.
        let replayed = DrillMachine.replay(scenario, events: run.log)
        let rearmed = replayed.rearm(at: t(50))
        #expect(rearmed.contains(.armDeadline(.phase(0, 0), attempt: 1, at: t(32))))
        #expect(rearmed.contains(.sampleProbe(.phase(0, 0), attempt: 1, sample: 2, action: .run(argv: ["health"]), at: t(50))))
    }
}

@Suite("DrillMachine: notifications")
struct DrillMachineNotifyTests {
    static let scenario = Scenario(
        name: "notify",
        phases: [Phase(name: "p", steps: [Step(name: "inject", action: .probe(.run(argv: ["inject"])), mark: "disaster")])],
        notify: [Notifier(name: "chat", format: .slack, url: "http://127.0.0.1:9/x"),
                 Notifier(name: "end only", format: .webhook, url: "http://127.0.0.1:9/y", on: [.end])])

    static func sent(_ run: inout ScriptedRun, _ notifier: Int, _ trigger: NotifyTrigger, passed: Bool = true) -> [DrillAction] {
        let report = DriverReport(verdict: passed ? .passed : .failed, summary: passed ? "HTTP 200 OK" : "HTTP 500")
        return run.feed(.notificationSent(NotificationSent(notifier: notifier, trigger: trigger, report: report,
                                                           startedAt: run.now, endedAt: run.now)))
    }

    @Test func theRunEndsOnlyOnceItsEndNotificationsReported() {
        var run = ScriptedRun(Self.scenario)
        #expect(run.start().first == .notify(notifier: 0, trigger: .start))
        #expect(Self.sent(&run, 0, .start) == [])
        run.begin(.phase(0, 0))
        // The end is told only after the disaster notification reported.
        #expect(run.end(.phase(0, 0), at: t(1)) == [.notify(notifier: 0, trigger: .disaster)])
        #expect(Self.sent(&run, 0, .disaster) == [.notify(notifier: 0, trigger: .end), .notify(notifier: 1, trigger: .end)])
        #expect(Self.sent(&run, 1, .end, passed: false) == [])
        #expect(run.machine.rearm(at: t(2)) == [.notify(notifier: 0, trigger: .end)])
        #expect(Self.sent(&run, 0, .end) == [.finish(.completed)])
        #expect(run.state.deviations.map(\.message) == ["notifying 'end only' of end failed: HTTP 500"])
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }
}

@Suite("DrillMachine: silence")
struct DrillMachineSilenceTests {
    static let scenario = Scenario(
        name: "silenced",
        phases: [Phase(name: "p", steps: [Step(name: "inject", action: .probe(.run(argv: ["inject"])), mark: "disaster")])],
        silence: Silence(alertmanager: "http://127.0.0.1:9", matchers: [.init(name: "alertname", value: "Thanos.*", isRegex: true)]))

    static func isAttempt(_ action: DrillAction) -> Bool { if case .startAttempt = action { true } else { false } }

    /// The phases inject the faults whose alerts the silence holds back: they start once it exists,
    /// or once creating it failed (a deviation, not a failure).
    @Test(arguments: [true, false])
    func noFaultIsInjectedBeforeTheSilenceSettles(created: Bool) {
        var run = ScriptedRun(Self.scenario)
        let started = run.start()
        #expect(started.contains(.createSilence))
        #expect(!started.contains(where: Self.isAttempt), "\(started)")
        #expect(run.machine.rearm(at: t(0.1)) == [.createSilence])
        let report = DriverReport(verdict: created ? .passed : .failed, summary: created ? "HTTP 200 OK" : "connection refused")
        let settled = run.feed(.silenceCreated(SilenceResult(id: created ? "s-1" : nil, report: report)), at: t(0.2))
        #expect(settled == [.startAttempt(.phase(0, 0), attempt: 1, at: t(0.2))])
        #expect(run.state.deviations.map(\.message) == (created ? [] : ["the Alertmanager silence could not be created: connection refused"]))
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }

    /// Setup may be what starts the Alertmanager (a lab): the silence is asked for once setup
    /// has passed, and never when setup fails.
    @Test func theSilenceIsCreatedOnceSetupHasPassed() {
        var scenario = Self.scenario
        scenario.setup = [Step(name: "start alertmanager", action: .probe(.run(argv: ["start-alertmanager"])))]
        var run = ScriptedRun(scenario)
        #expect(!run.start().contains(.createSilence))
        run.begin(.setup(0))
        #expect(run.machine.rearm(at: t(0.05)).contains(.createSilence) == false)
        let afterSetup = run.end(.setup(0), at: t(0.1))
        #expect(afterSetup.contains(.createSilence), "\(afterSetup)")
        #expect(!afterSetup.contains(where: Self.isAttempt), "the phases wait for the silence: \(afterSetup)")
        let settled = run.feed(.silenceCreated(SilenceResult(id: "s-1", report: DriverReport(verdict: .passed, summary: "HTTP 200 OK"))), at: t(0.2))
        #expect(settled == [.startAttempt(.phase(0, 0), attempt: 1, at: t(0.2))])
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)

        var failing = ScriptedRun(scenario)
        failing.start()
        failing.begin(.setup(0))
        failing.end(.setup(0), .failed, at: t(0.1))
        #expect(failing.state.outcome == .failed)
        #expect(!failing.issued.contains(.createSilence), "\(failing.issued)")
        #expect(failing.state.silence.created == nil && failing.state.silence.settled)
    }

    /// Teardown may be what stops the Alertmanager: the silence is expired as teardown starts,
    /// and the run ends once it is and teardown is done.
    @Test func theSilenceIsExpiredAsTeardownStarts() {
        var scenario = Self.scenario
        scenario.teardown = [Step(name: "stop alertmanager", action: .probe(.run(argv: ["stop-alertmanager"])))]
        var run = ScriptedRun(scenario)
        run.start()
        run.feed(.silenceCreated(SilenceResult(id: "s-1", report: DriverReport(verdict: .passed, summary: "HTTP 200 OK"))), at: t(0.1))
        run.begin(.phase(0, 0))
        let teardown = run.end(.phase(0, 0), at: t(0.2))
        #expect(teardown.contains(.expireSilence(id: "s-1")), "\(teardown)")
        #expect(teardown.contains(.startAttempt(.teardown(0), attempt: 1, at: t(0.2))), "\(teardown)")
        run.feed(.silenceExpired(SilenceResult(id: "s-1", report: DriverReport(verdict: .passed, summary: "HTTP 200 OK"))), at: t(0.25))
        run.begin(.teardown(0))
        let ended = run.end(.teardown(0), at: t(0.3))
        #expect(ended == [.finish(.completed)], "\(ended)")
        #expect(run.issued.filter { $0 == .expireSilence(id: "s-1") }.count == 1)
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }

    @Test func anAbortWhileTheSilenceIsCreatedInjectsNothing() {
        var run = ScriptedRun(Self.scenario)
        run.start()
        run.abort(at: t(0.1))
        let settled = run.feed(.silenceCreated(SilenceResult(id: "s-1", report: DriverReport(verdict: .passed, summary: "HTTP 200 OK"))),
                               at: t(0.2))
        #expect(!run.issued.contains(where: Self.isAttempt), "\(run.issued)")
        #expect(settled == [.expireSilence(id: "s-1")])
    }
}
