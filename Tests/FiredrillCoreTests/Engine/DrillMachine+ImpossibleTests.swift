import FiredrillCore
import Testing

/// A stale event is dropped; an impossible one is an internal-error deviation and the run goes
/// to its rollbacks, instead of waiting forever on something that will never come.
@Suite("DrillMachine: impossible events")
struct DrillMachineImpossibleTests {
    func internalErrors(_ state: RunState) -> [String] {
        state.deviations.map(\.message).filter { $0.hasPrefix("internal error") }
    }

    /// A `wait_for` whose start carries no action would have polled nothing, and the run hung.
    @Test func aWaitForStartedWithNoActionFailsItsStepAndRollsBack() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        let attempt = run.scheduled(.detect)?.attempt ?? 1
        let actions = run.feed(.attemptStarted(AttemptStarted(ref: .detect, attempt: attempt, action: nil, instructions: nil)), at: t(5))
        #expect(internalErrors(run.state) == ["internal error: phase.1.0 attempt 1 started with no action to poll"])
        #expect(run.state.attempts.last?.verdict == .error)
        #expect(run.state.stage == .rollback)
        // The kill's compensation and the scenario's rollback are owed, last registered first.
        #expect(actions.contains { if case .startAttempt(.rollback, _, _) = $0 { true } else { false } }, "\(actions)")
        #expect(run.state.outcome == .failed)
    }

    @Test func aStepStartedWithNoActionFailsAsAnErrorToo() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        let attempt = run.scheduled(.kill)?.attempt ?? 1
        run.feed(.attemptStarted(AttemptStarted(ref: .kill, attempt: attempt, action: nil, instructions: nil)), at: t(3))
        #expect(internalErrors(run.state) == ["internal error: phase.0.0 attempt 1 started with no action to perform"])
        #expect(run.state.stage == .rollback)
    }

    /// A poll of a guard the scenario does not have (an edited record, or a bug) stops the drill.
    @Test func aPollOfAGuardTheScenarioLacksAbortsTheDrill() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.begin(.kill)
        let sampled = GuardSampled(guardIndex: 3, sample: 1, report: DriverReport(verdict: .passed, summary: "ok"), startedAt: t(3), endedAt: t(3))
        let actions = run.feed(.guardSampled(sampled), at: t(3.1))
        #expect(internalErrors(run.state) == ["internal error: a poll of guard 3, which the scenario does not have"])
        #expect(run.state.abort?.by == "firedrill")
        #expect(run.state.outcome == .failed)
        // The kill in flight is cancelled first; its compensation runs once it reports.
        #expect(actions.contains(.cancel(.attempt(.kill, 1))), "\(actions)")
    }

    @Test func aCanaryWriteWithoutACanaryAbortsTheDrill() {
        var run = ScriptedRun(Drill.phases([Phase(name: "only", steps: [Drill.cmd("inject", rollback: [Drill.cmd("undo")])])]))
        run.start()
        run.begin(.phase(0, 0))
        let written = CanaryWritten(seq: 1, report: DriverReport(verdict: .passed, summary: "ok"), startedAt: t(0), endedAt: t(0))
        run.feed(.canaryWritten(written), at: t(0.5))
        #expect(internalErrors(run.state) == ["internal error: a canary write, and the scenario has no canary"])
        #expect(run.state.abort != nil)
    }

    /// Stale events (a sample of a poll already over, a deadline of a step already done) change nothing.
    @Test func staleEventsAreDroppedWithoutADeviation() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        let before = run.state
        let oldSample = ProbeSampled(ref: .detect, attempt: 1, sample: 1, report: DriverReport(verdict: .passed, summary: "ok"),
                                     startedAt: t(4), endedAt: t(4))
        #expect(run.feed(.probeSampled(oldSample), at: t(6)) == [])
        #expect(run.feed(.deadlinePassed(ref: .detect, attempt: 1), at: t(6)) == [])
        #expect(internalErrors(run.state).isEmpty)
        #expect(run.state.stage == before.stage)
        #expect(run.state.current == before.current)
    }

    /// The record of a run with an impossible event replays to the same state.
    @Test func anImpossibleEventReplaysTheSame() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.feed(.attemptStarted(AttemptStarted(ref: .detect, attempt: 1, action: nil, instructions: nil)), at: t(5))
        #expect(DrillMachine.replay(run.scenario, events: run.log).state == run.state)
    }
}
