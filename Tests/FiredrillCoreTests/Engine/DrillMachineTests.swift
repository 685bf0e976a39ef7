import FiredrillCore
import Testing

/// Scenarios shared by the engine and measurement tests.
enum Drill {
    static let healthURL = "http://db.internal:8080/health"
    static var health: Probe { .http(HTTPProbe(url: Template(healthURL))) }
    static var healthAction: ResolvedAction { .http(ResolvedHTTP(method: "GET", url: healthURL)) }

    /// A command step named after what it runs.
    static func cmd(_ name: String, retries: Int = 0, retryDelay: DrillDuration = .seconds(1), onFailure: FailurePolicy = .abort,
                    mark: String? = nil, rollback: [Step] = []) -> Step {
        Step(name: name, action: .probe(.run(argv: [Template(name)])), retries: retries, retryDelay: retryDelay,
             onFailure: onFailure, mark: mark, rollback: rollback)
    }

    static func healthCheck(_ name: String = "service healthy") -> Step { Step(name: name, action: .probe(health)) }

    static var killPrimary: StepAction { .kill(KillSpec(target: .pidfile("/run/db.pid"), signal: "KILL")) }
    static var killAction: ResolvedAction { .kill(.pidfile("/run/db.pid"), signal: "KILL", processGroup: true) }

    /// disaster (kill) → detect (wait_for expect fail) → restore (manual + run) → verify (wait_for, 3 in a row),
    /// with steady state, a 1s canary (3s warmup), a scenario-level rollback and a teardown.
    static func fourPhase(objectives: Objectives = .init(rto: .seconds(30), rpo: .seconds(5))) -> Scenario {
        Scenario(
            name: "db-failover",
            objectives: objectives,
            steadyState: [healthCheck()],
            canary: Canary(every: .seconds(1), write: .run(argv: ["canary-write"]), read: .run(argv: ["canary-read"])),
            phases: [
                Phase(name: "disaster", steps: [
                    Step(name: "kill primary", action: killPrimary, mark: "disaster",
                         rollback: [Step(name: "restart primary", action: .probe(.run(argv: ["systemctl", "start", "db"])))]),
                ]),
                Phase(name: "detect", steps: [
                    Step(name: "health fails", action: .waitFor(WaitFor(probe: health, expect: .fail, every: .seconds(1))),
                         timeout: .seconds(30), mark: "detected"),
                ]),
                Phase(name: "restore", steps: [
                    Step(name: "promote replica", action: .manual(instructions: "Promote the replica")),
                    Step(name: "restore backup", action: .probe(.run(argv: ["restore-backup", "--latest"])), timeout: .minutes(5)),
                ]),
                Phase(name: "verify", steps: [
                    Step(name: "health passes", action: .waitFor(WaitFor(probe: health, every: .seconds(2), consecutive: 3)),
                         timeout: .minutes(1), mark: "recovered"),
                ]),
            ],
            rollback: [cmd("restore traffic")],
            teardown: [cmd("cleanup")]
        )
    }

    /// A scenario of just these phases: no setup or canary; steady state, rollback and teardown only if given.
    static func phases(_ phases: [Phase], steadyState: [Step] = [], rollback: [Step] = [], teardown: [Step] = []) -> Scenario {
        Scenario(name: "small", steadyState: steadyState, phases: phases, rollback: rollback, teardown: teardown)
    }
}

/// Refs of the four-phase scenario.
extension StepRef {
    static let kill = StepRef.phase(0, 0)
    static let detect = StepRef.phase(1, 0)
    static let promote = StepRef.phase(2, 0)
    static let restore = StepRef.phase(2, 1)
    static let verify = StepRef.phase(3, 0)
}

/// The four-phase run in segments, so tests can stop anywhere. Times in seconds:
/// steady state 0–0.1, canary 0.1/1.1/2.1/3.1 (write 5 cancelled, never run), kill 3.1–3.2, detect 3.2–4.3,
/// operator 4.3–10, restore 10–12, verify 12–18.1 (recovered at 14), steady after, teardown, read.
extension ScriptedRun {
    static func fourPhase(_ scenario: Scenario = Drill.fourPhase()) -> ScriptedRun { ScriptedRun(scenario) }

    mutating func warmUp(writes verdict: DriverReport.Verdict = .passed) {
        start()
        perform(.steadyBefore(0))
        write(verdict); write(verdict); write(verdict)
    }

    mutating func injectDisaster(writes verdict: DriverReport.Verdict = .passed) {
        begin(.kill)
        write(verdict)
        end(.kill, at: t(3.2))
    }

    mutating func detect() {
        begin(.detect)
        sample(.detect, passed: true)
        sample(.detect, passed: false)
    }

    mutating func restore(confirmAt: DrillInstant = t(10)) {
        begin(.promote)
        confirm(.promote, at: confirmAt)
        perform(.restore, taking: .seconds(2))
    }

    mutating func verify() {
        begin(.verify)
        sample(.verify, passed: false)
        sample(.verify, passed: true)
        sample(.verify, passed: true)
        sample(.verify, passed: true)
    }

    /// Steady state after, teardown, the canary read, and `runEnded` with what `finish` said.
    mutating func wrapUp(readHighest: Int?, read verdict: DriverReport.Verdict = .passed) {
        perform(.steadyAfter(0))
        perform(.teardown(0))
        let actions = read(highest: readHighest, verdict)
        if case .finish(let status)? = actions.last { feed(.runEnded(status)) }
    }

    static func completedFourPhase(readHighest: Int? = 2, read verdict: DriverReport.Verdict = .passed,
                                   scenario: Scenario = Drill.fourPhase(), acknowledged: Bool = true) -> ScriptedRun {
        var run = ScriptedRun(scenario)
        run.warmUp(writes: acknowledged ? .passed : .timedOut)
        run.injectDisaster(writes: acknowledged ? .passed : .timedOut)
        run.detect()
        run.restore()
        run.verify()
        run.wrapUp(readHighest: readHighest, read: verdict)
        return run
    }
}

@Suite("DrillMachine: stages")
struct DrillMachineTests {
    @Test func fourPhaseHappyPath() {
        var run = ScriptedRun.fourPhase()
        let sb = StepRef.steadyBefore(0)
        // Empty setup: straight to the first steady-state check.
        #expect(run.start() == [.startAttempt(sb, attempt: 1, at: .start)])
        #expect(run.begin(sb) == [.perform(sb, attempt: 1, action: Drill.healthAction, deadline: .none)])
        // Entering the phases starts the canary at once and the first phase step after the warmup (3 × 1s).
        #expect(run.end(sb, at: t(0.1)) == [.writeCanary(seq: 1, at: t(0.1)), .startAttempt(.kill, attempt: 1, at: t(3.1))])
        #expect(run.write() == [.writeCanary(seq: 2, at: t(1.1))])
        #expect(run.write() == [.writeCanary(seq: 3, at: t(2.1))])
        #expect(run.write() == [.writeCanary(seq: 4, at: t(3.1))])

        // Disaster: compensations become owed on dispatch, scenario-level first.
        #expect(run.begin(.kill) == [.perform(.kill, attempt: 1, action: Drill.killAction, deadline: .none)])
        #expect(run.state.ledger.map(\.step.name) == ["restore traffic", "restart primary"])
        #expect(run.write() == [.writeCanary(seq: 5, at: t(4.1))])
        // The disaster mark stops the canary: the scheduled write is cancelled and not waited for.
        #expect(run.end(.kill, at: t(3.2)) == [.cancel(.canaryWrite(5)), .startAttempt(.detect, attempt: 1, at: t(3.2))])
        #expect(run.state.canary?.outstanding == nil)

        // Detect: expects the probe to fail; the first probe still passes.
        #expect(run.begin(.detect) == [
            .sampleProbe(.detect, attempt: 1, sample: 1, action: Drill.healthAction, at: t(3.2)),
            .armDeadline(.detect, attempt: 1, at: t(33.2)),
        ])
        #expect(run.sample(.detect, passed: true) == [.sampleProbe(.detect, attempt: 1, sample: 2, action: Drill.healthAction, at: t(4.2))])
        #expect(run.sample(.detect, passed: false) == [.cancel(.deadline(.detect, 1)), .startAttempt(.promote, attempt: 1, at: t(4.3))])

        // Restore: an operator, then a command with its timeout as the deadline.
        #expect(run.begin(.promote) == [.awaitOperator(.promote, attempt: 1, instructions: "Promote the replica")])
        // The confirmation may come from elsewhere: the prompt is stopped.
        #expect(run.confirm(.promote, at: t(10)) == [.cancel(.attempt(.promote, 1)), .startAttempt(.restore, attempt: 1, at: t(10))])
        #expect(run.begin(.restore) == [.perform(.restore, attempt: 1, action: .run(argv: ["restore-backup", "--latest"]), deadline: t(310))])
        #expect(run.end(.restore, at: t(12)) == [.startAttempt(.verify, attempt: 1, at: t(12))])

        // Verify: three passes in a row, every 2s.
        #expect(run.begin(.verify) == [
            .sampleProbe(.verify, attempt: 1, sample: 1, action: Drill.healthAction, at: t(12)),
            .armDeadline(.verify, attempt: 1, at: t(72)),
        ])
        #expect(run.sample(.verify, passed: false) == [.sampleProbe(.verify, attempt: 1, sample: 2, action: Drill.healthAction, at: t(14))])
        #expect(run.sample(.verify, passed: true) == [.sampleProbe(.verify, attempt: 1, sample: 3, action: Drill.healthAction, at: t(16))])
        #expect(run.sample(.verify, passed: true) == [.sampleProbe(.verify, attempt: 1, sample: 4, action: Drill.healthAction, at: t(18))])
        // Recovered: the canary read is asked for at once; then steady state after.
        #expect(run.sample(.verify, passed: true) == [
            .cancel(.deadline(.verify, 1)), .readCanary, .startAttempt(.steadyAfter(0), attempt: 1, at: t(18.1)),
        ])
        #expect(run.perform(.steadyAfter(0)) == [.startAttempt(.teardown(0), attempt: 1, at: t(18.2))])
        // Teardown done, but the run finishes only once the read is in.
        #expect(run.perform(.teardown(0)) == [])
        #expect(run.state.finishRequested)
        #expect(run.read(highest: 2) == [.finish(.completed)])
        #expect(run.feed(.runEnded(.completed)) == [])

        let state = run.state
        #expect(state.stage == .ended)
        #expect(state.status == .completed)
        #expect(state.endedAt == t(18.5))
        #expect(state.marks == [
            Mark(name: "disaster", at: t(3.2), lower: t(3.1), upper: t(3.2), ref: .kill),
            // A probe's mark is bounded by its end: it saw the change at some instant while it ran.
            Mark(name: "detected", at: t(4.2), lower: t(3.2), upper: t(4.3), ref: .detect, probeInterval: .seconds(1)),
            Mark(name: "recovered", at: t(14), lower: t(12), upper: t(14.1), ref: .verify, probeInterval: .seconds(2)),
        ])
        #expect(state.stepsPassed == [.steadyBefore(0), .kill, .detect, .promote, .restore, .verify, .steadyAfter(0), .teardown(0)])
        #expect(state.stepsFailed.isEmpty)
        #expect(state.deviations.isEmpty)
        #expect(state.failureReason == nil)
        #expect(state.canary?.writes.map(\.acknowledged) == [true, true, true, true])
        #expect(state.canary?.stoppedAt == t(3.2))
        // Nothing failed, so nothing owed was run.
        #expect(!run.issued.contains { if case .startAttempt(.rollback, _, _) = $0 { true } else { false } })
        // Events after the end change nothing.
        #expect(run.abort() == [])
    }

    @Test func retriesWaitRetryDelayThenSucceed() {
        let flaky = Drill.cmd("flaky", retries: 2, retryDelay: .seconds(5), rollback: [Drill.cmd("undo flaky")])
        var run = ScriptedRun(Drill.phases([Phase(name: "inject", steps: [flaky, Drill.cmd("next")])]))
        // No setup, steady state or canary: the first phase step is due at once.
        #expect(run.start() == [.startAttempt(.phase(0, 0), attempt: 1, at: .start)])
        #expect(run.perform(.phase(0, 0), .failed) == [.startAttempt(.phase(0, 0), attempt: 2, at: t(5.1))])
        #expect(run.perform(.phase(0, 0), .timedOut) == [.startAttempt(.phase(0, 0), attempt: 3, at: t(10.2))])
        #expect(run.perform(.phase(0, 0)) == [.startAttempt(.phase(0, 1), attempt: 1, at: t(10.3))])

        let attempts = run.state.attempts.filter { $0.ref == .phase(0, 0) }
        #expect(attempts.map(\.attempt) == [1, 2, 3])
        #expect(attempts.map(\.startedAt) == [t(0), t(5.1), t(10.2)])
        #expect(attempts.map(\.verdict) == [.failed, .timedOut, .passed])
        #expect(run.state.stepsPassed.contains(.phase(0, 0)))
        #expect(run.state.deviations.isEmpty)
        // Owed once, on the first dispatch, not per attempt.
        #expect(run.state.ledger.map(\.step.name) == ["undo flaky"])
        #expect(run.perform(.phase(0, 1)) == [.finish(.completed)])
    }

    @Test func exhaustedRetriesRollBackInReverseThenTearDown() {
        let scenario = Drill.phases(
            [
                Phase(name: "inject", steps: [
                    Drill.cmd("inject A", rollback: [Drill.cmd("undo A")]),
                    Drill.cmd("inject B", retries: 1, retryDelay: .seconds(2),
                              rollback: [Drill.cmd("undo B first"), Drill.cmd("undo B second")]),
                ]),
                Phase(name: "never", steps: [Drill.cmd("inject C", rollback: [Drill.cmd("undo C")])]),
            ],
            rollback: [Drill.cmd("scenario undo 1"), Drill.cmd("scenario undo 2")],
            teardown: [Drill.cmd("cleanup")]
        )
        var run = ScriptedRun(scenario)
        run.start()
        run.perform(.phase(0, 0))
        #expect(run.perform(.phase(0, 1), .failed) == [.startAttempt(.phase(0, 1), attempt: 2, at: t(2.2))])
        // The last attempt fails: compensations start at once, the newest owed first.
        #expect(run.perform(.phase(0, 1), .failed) == [.startAttempt(.rollback(4), attempt: 1, at: t(2.3))])
        #expect(run.state.stage == .rollback)
        #expect(run.state.outcome == .failed)
        #expect(run.state.failureReason == "step 'inject B' failed after 2 attempts: exit 1")

        var order: [String] = []
        var actions = run.records.last!.actions
        while case .startAttempt(let ref, _, _)? = actions.last, case .rollback = ref {
            order.append(run.machine.step(ref)!.name)
            // A failing compensation does not stop the others.
            actions = run.perform(ref, ref == .rollback(2) ? .failed : .passed)
        }
        // Reverse registration order; "undo C" was never owed because "inject C" never ran.
        #expect(order == ["undo B second", "undo B first", "undo A", "scenario undo 2", "scenario undo 1"])
        #expect(actions == [.startAttempt(.teardown(0), attempt: 1, at: run.now)])
        #expect(run.perform(.teardown(0)) == [.finish(.failed)])
        #expect(run.state.stepsFailed == [.phase(0, 1), .rollback(2)])
        #expect(run.state.ledger.map(\.owedFor) == [nil, nil, .phase(0, 0), .phase(0, 1), .phase(0, 1)])
        #expect(!run.issued.contains { $0.activity == .attempt(.phase(1, 0), 1) })
    }

    @Test func onFailureContinueCarriesOnWithoutRollback() {
        let scenario = Drill.phases([
            Phase(name: "inject", steps: [
                Drill.cmd("optional", onFailure: .continue, rollback: [Drill.cmd("undo optional")]),
                Drill.cmd("next"),
            ]),
        ])
        var run = ScriptedRun(scenario)
        run.start()
        #expect(run.perform(.phase(0, 0), .failed, summary: "exit 3") == [.startAttempt(.phase(0, 1), attempt: 1, at: t(0.1))])
        #expect(run.state.stage == .phases)
        #expect(run.state.stepsFailed == [.phase(0, 0)])
        #expect(run.state.deviations.map(\.message) == ["step 'optional' failed: exit 3"])
        #expect(run.perform(.phase(0, 1)).contains { if case .finish = $0 { true } else { false } })
        // Owed, but nothing asked for a rollback.
        #expect(run.state.ledger.count == 1)
        #expect(!run.issued.contains { if case .startAttempt(.rollback, _, _) = $0 { true } else { false } })
    }

    @Test func steadyStateFailingBeforeInjectsNothing() {
        var run = ScriptedRun.fourPhase()
        run.start()
        // Straight to teardown: no canary, no phase step, nothing owed.
        #expect(run.perform(.steadyBefore(0), .failed, summary: "HTTP 503") == [.startAttempt(.teardown(0), attempt: 1, at: t(0.1))])
        #expect(run.perform(.teardown(0)) == [.finish(.failed)])
        #expect(!run.issued.contains { if case .startAttempt(.phase, _, _) = $0 { true } else { false } })
        #expect(!run.issued.contains { if case .writeCanary = $0 { true } else { false } })
        #expect(run.state.ledger.isEmpty)
        #expect(run.state.canary?.startedAt == nil)
        #expect(run.state.failureReason == "steady state did not hold before the drill ('service healthy': HTTP 503); nothing was injected")
    }

    @Test func steadyStateFailingAfterEndsDeviated() {
        let scenario = Drill.phases([Phase(name: "inject", steps: [Drill.cmd("inject", rollback: [Drill.cmd("undo")])])],
                                    steadyState: [Drill.healthCheck()], teardown: [Drill.cmd("cleanup")])
        var run = ScriptedRun(scenario)
        run.start()
        run.perform(.steadyBefore(0))
        #expect(run.perform(.phase(0, 0)) == [.startAttempt(.steadyAfter(0), attempt: 1, at: t(0.2))])
        // Deviated, not failed: no rollback, on to teardown.
        #expect(run.perform(.steadyAfter(0), .failed, summary: "HTTP 500") == [.startAttempt(.teardown(0), attempt: 1, at: t(0.3))])
        #expect(run.perform(.teardown(0)) == [.finish(.deviated)])
        #expect(run.state.failureReason == "steady state not restored after the drill ('service healthy': HTTP 500)")
        #expect(run.state.stepsFailed == [.steadyAfter(0)])
    }

    @Test func failingSetupSkipsToTeardown() {
        let scenario = Scenario(name: "s", setup: [Drill.cmd("seed data")], steadyState: [Drill.healthCheck()],
                                phases: [Phase(name: "inject", steps: [Drill.cmd("inject")])], teardown: [Drill.cmd("cleanup")])
        var run = ScriptedRun(scenario)
        #expect(run.start() == [.startAttempt(.setup(0), attempt: 1, at: .start)])
        #expect(run.perform(.setup(0), .error) == [.startAttempt(.teardown(0), attempt: 1, at: t(0.1))])
        #expect(run.perform(.teardown(0)) == [.finish(.failed)])
        #expect(run.state.failureReason == "setup step 'seed data' failed: no such file")
    }

    @Test func unresolvableStepFailsItsAttempt() {
        var run = ScriptedRun(Drill.phases([Phase(name: "inject", steps: [Drill.cmd("inject")])]))
        run.start()
        #expect(run.begin(.phase(0, 0), resolutionError: "unknown variable '${env.TOKEN}'") == [.finish(.failed)])
        #expect(run.state.failureReason == "step 'inject' failed: unknown variable '${env.TOKEN}'")
        do {
            let attempt = run.state.attempts.last
            #expect(attempt?.verdict == .error)
            #expect(attempt?.endedAt == .start)
            #expect(attempt?.summary == "unknown variable '${env.TOKEN}'")
        }
    }
}
