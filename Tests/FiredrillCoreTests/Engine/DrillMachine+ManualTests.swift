import FiredrillCore
import Testing

@Suite("DrillMachine: manual steps")
struct DrillMachineManualTests {
    static let manual = StepRef.phase(0, 0)
    static let instructions = "Point db.example.com at the replica"
    static let otherRunner = RunnerIdentity(pid: 777, host: "standby-host")

    static var scenario: Scenario {
        Drill.phases([Phase(name: "failover", steps: [
            Step(name: "switch DNS", action: .manual(instructions: Template(instructions)), timeout: .minutes(10), mark: "switched"),
            Drill.cmd("verify"),
        ])])
    }

    /// Started, waiting on an operator since 0s, suspended at 30s.
    static func suspendedRun() -> ScriptedRun {
        var run = ScriptedRun(scenario)
        run.start()
        run.begin(manual)
        run.feed(.runSuspended(reason: "operator away"), at: t(30))
        return run
    }

    @Test func awaitsAnOperatorAndMarksTheConfirmationInstant() {
        let ref = Self.manual
        var run = ScriptedRun(Self.scenario)
        #expect(run.start() == [.startAttempt(ref, attempt: 1, at: .start)])
        #expect(run.begin(ref) == [
            .awaitOperator(ref, attempt: 1, instructions: Self.instructions),
            .armDeadline(ref, attempt: 1, at: t(600)),
        ])
        #expect(run.machine.awaitingOperator?.ref == ref)
        #expect(run.machine.awaitingOperator?.instructions == Self.instructions)

        // The prompt (perhaps at another terminal) and the deadline are stopped.
        #expect(run.confirm(ref, by: "carol", note: "TTL was 60s", at: t(120)) == [
            .cancel(.attempt(ref, 1)), .cancel(.deadline(ref, 1)), .startAttempt(.phase(0, 1), attempt: 1, at: t(120)),
        ])
        #expect(run.state.mark("switched") == Mark(name: "switched", at: t(120), lower: t(120), upper: t(120), ref: ref))
        let attempt = run.state.attempts[0]
        #expect(attempt.verdict == .passed)
        #expect(attempt.summary == "confirmed by carol: TTL was 60s")
        #expect(attempt.confirmation == OperatorConfirmation(ref: ref, by: "carol", note: "TTL was 60s"))
        #expect(run.state.confirmations.map(\.1) == [t(120)])
        #expect(run.machine.awaitingOperator == nil)
        // A second confirmation is stale.
        #expect(run.confirm(ref, at: t(121)) == [])
    }

    @Test func suspendAndResumeSetTheStatus() {
        var run = Self.suspendedRun()
        #expect(run.state.status == .waiting)
        #expect(run.state.suspensions == [t(30)])
        #expect(run.feed(.runResumed(Self.otherRunner), at: t(100)) == [])
        #expect(run.state.status == .running)
        #expect(run.state.runners == [ScriptedRun.runner, Self.otherRunner])
        // Still waiting on the same step after the takeover.
        #expect(run.confirm(Self.manual, at: t(120)) == [
            .cancel(.attempt(Self.manual, 1)), .cancel(.deadline(Self.manual, 1)), .startAttempt(.phase(0, 1), attempt: 1, at: t(120)),
        ])
        #expect(run.perform(.phase(0, 1)) == [.finish(.completed)])
    }

    @Test func rearmAfterReplayAsksTheOperatorAgain() {
        let run = Self.suspendedRun()
        let replayed = DrillMachine.replay(Self.scenario, events: run.log)
        #expect(replayed == run.machine)
        // The deadline keeps its original instant; nothing is in doubt.
        #expect(replayed.rearm(at: t(100)) == [
            .awaitOperator(Self.manual, attempt: 1, instructions: Self.instructions),
            .armDeadline(Self.manual, attempt: 1, at: t(600)),
        ])
        #expect(replayed.inDoubt == nil)
        #expect(replayed.awaitingOperator?.step.name == "switch DNS")
    }

    @Test func operatorDeadlineTimesTheStepOut() {
        var run = ScriptedRun(Self.scenario)
        run.start()
        run.begin(Self.manual)
        #expect(run.feed(.deadlinePassed(ref: Self.manual, attempt: 1), at: t(600)) == [
            .cancel(.attempt(Self.manual, 1)), .finish(.failed),
        ])
        #expect(run.state.attempts[0].verdict == .timedOut)
        #expect(run.state.attempts[0].summary == "timed out after 10m waiting for an operator to confirm")
        #expect(run.state.mark("switched") == nil)
        // Confirming too late changes nothing.
        #expect(run.confirm(Self.manual, at: t(601)) == [])
    }
}

@Suite("DrillMachine: rearm")
struct DrillMachineRearmTests {
    @Test func injectingAttemptWithNoResultIsInDoubtAndNotRerun() {
        var run = ScriptedRun(Drill.phases([Phase(name: "inject", steps: [Step(name: "kill", action: Drill.killPrimary)])]))
        run.start()
        run.begin(.phase(0, 0))
        let replayed = DrillMachine.replay(run.scenario, events: run.log)
        #expect(replayed.inDoubt?.ref == .phase(0, 0))
        #expect(replayed.inDoubt?.action == Drill.killAction)
        #expect(replayed.rearm(at: t(60)) == [])
    }

    @Test func safeAttemptWithNoResultIsPerformedAgain() {
        var run = ScriptedRun.fourPhase()
        run.start()
        run.begin(.steadyBefore(0))
        #expect(run.machine.inDoubt == nil)
        #expect(run.machine.rearm(at: t(60)) == [.perform(.steadyBefore(0), attempt: 1, action: Drill.healthAction, deadline: .none)])
    }

    @Test func pollingAndCanaryCarryOnFromNow() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.begin(.detect)
        run.sample(.detect, passed: true)
        #expect(run.machine.rearm(at: t(50)) == [
            .sampleProbe(.detect, attempt: 1, sample: 2, action: Drill.healthAction, at: t(50)),
            .armDeadline(.detect, attempt: 1, at: t(33.2)),
        ])
        // Before the disaster, the outstanding canary write is asked for again, with the scheduled step.
        var early = ScriptedRun.fourPhase()
        early.warmUp()
        let rearmed = early.machine.rearm(at: t(2.5))
        #expect(rearmed.count == 2)
        #expect(rearmed.contains { if case .writeCanary(seq: 4, _) = $0 { true } else { false } })
        #expect(rearmed.last == .startAttempt(.kill, attempt: 1, at: t(3.1)))
    }

    @Test func pendingReadIsAskedForAgainBeforeFinishing() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        run.restore()
        run.verify()
        run.perform(.steadyAfter(0))
        run.perform(.teardown(0))
        // Only the read is missing; `apply` holds the finish back until it is in, so must `rearm`.
        let rearmed = run.machine.rearm(at: t(30))
        #expect(rearmed.first == .readCanary)
        do {
            #expect(rearmed == [.readCanary])
        }
        // With the read in but `runEnded` not recorded, the finish is owed again.
        run.read(highest: 2)
        #expect(run.machine.rearm(at: t(30)) == [.finish(.completed)])
        run.feed(.runEnded(.completed))
        #expect(run.machine.rearm(at: t(30)) == [])
    }
}
