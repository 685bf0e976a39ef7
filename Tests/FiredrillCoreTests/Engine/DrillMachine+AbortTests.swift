import FiredrillCore
import Testing

@Suite("DrillMachine: abort")
struct DrillMachineAbortTests {
    static func measure(_ run: ScriptedRun) -> DrillMeasurement { DrillMeasurement(scenario: run.scenario, state: run.state) }

    static func isRollbackStart(_ action: DrillAction) -> Bool {
        if case .startAttempt(.rollback, _, _) = action { true } else { false }
    }

    /// Kill in flight since 3.1s, canary write 5 scheduled.
    static func killInFlight() -> ScriptedRun {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.begin(.kill)
        run.write()
        return run
    }

    @Test func abortWhileADriverCallIsInFlightWaitsForItsReport() {
        var run = Self.killInFlight()
        // Cancel the canary and the driver call; compensate only once the call has reported.
        #expect(run.abort(by: "alice", reason: "pager storm", at: t(3.15)) == [.cancel(.canaryWrite(5)), .cancel(.attempt(.kill, 1))])
        #expect(run.state.stage == .phases)
        #expect(run.state.drainingTo == .rollback)
        #expect(run.state.outcome == .aborted)
        #expect(run.state.abort?.by == "alice")
        #expect(run.state.abort?.reason == "pager storm")
        #expect(run.state.abort?.at == t(3.15))
        #expect(run.state.failureReason == "aborted by alice: pager storm")
        // A second abort is ignored; the rollback still waits.
        #expect(run.abort(by: "bob", at: t(3.2)) == [])
        #expect(run.state.current?.ref == .kill)

        #expect(run.end(.kill, .cancelled, at: t(3.3)) == [.startAttempt(.rollback(1), attempt: 1, at: t(3.3))])
        #expect(run.state.drainingTo == nil)
        #expect(run.state.attempts.first { $0.ref == .kill }?.verdict == .cancelled)
        // Owed: the kill's own compensation, then the scenario's.
        #expect(run.machine.step(.rollback(1))?.name == "restart primary")
        #expect(run.perform(.rollback(1)) == [.startAttempt(.rollback(0), attempt: 1, at: t(3.4))])
        #expect(run.perform(.rollback(0)) == [.startAttempt(.teardown(0), attempt: 1, at: t(3.5))])
        #expect(run.perform(.teardown(0)) == [.finish(.aborted)])
        #expect(run.state.mark("disaster") == nil)
        #expect(!run.issued.contains(.readCanary))
    }

    @Test func abortAfterTheReadWasAskedForDoesNotWaitForIt() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        run.restore()
        run.verify()
        // Recovered: the read is in flight when the abort comes during steady state after.
        run.begin(.steadyAfter(0))
        #expect(run.abort(at: t(18.15)) == [.cancel(.canaryRead), .cancel(.attempt(.steadyAfter(0), 1))])
        #expect(run.end(.steadyAfter(0), .cancelled, at: t(18.2)) == [.startAttempt(.rollback(1), attempt: 1, at: t(18.2))])
        run.perform(.rollback(1))
        run.perform(.rollback(0))
        // A cancelled read may never report: the run finishes without it.
        #expect(run.perform(.teardown(0)) == [.finish(.aborted)])
        #expect(Self.measure(run).rpo?.unknownBecause == "the canary was not read back")
    }

    @Test func abortWhilePollingCompensatesAtOnce() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.begin(.detect)
        run.sample(.detect, passed: true)
        // A probe is no injection: no need to wait for it before compensating.
        #expect(run.abort(at: t(3.5)) == [
            .cancel(.sample(.detect, 1, 2)), .cancel(.deadline(.detect, 1)), .startAttempt(.rollback(1), attempt: 1, at: t(3.5)),
        ])
        let attempt = run.state.attempts.last
        #expect(attempt?.ref == .detect)
        #expect(attempt?.verdict == .cancelled)
        #expect(attempt?.endedAt == t(3.5))
        #expect(attempt?.summary == "cancelled: run aborted")
        run.perform(.rollback(1))
        run.perform(.rollback(0))
        #expect(run.perform(.teardown(0)) == [.finish(.aborted)])
        // The disaster happened, the recovery did not.
        #expect(run.state.mark("disaster") != nil)
        #expect(run.state.mark("recovered") == nil)
    }

    @Test func abortWhileAwaitingAnOperator() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        run.begin(.promote)
        let actions = run.abort(at: t(5))
        #expect(actions.contains(.cancel(.attempt(.promote, 1))))
        #expect(actions.last == .startAttempt(.rollback(1), attempt: 1, at: t(5)))
        #expect(run.state.attempts.last?.verdict == .cancelled)
        #expect(run.machine.awaitingOperator == nil)
        // The operator answering late changes nothing.
        #expect(run.confirm(.promote, at: t(6)) == [])
    }

    @Test func abortBeforeAnythingIsOwedGoesStraightToTeardown() {
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        // The first phase step is only scheduled: nothing was dispatched, nothing is owed.
        #expect(run.abort(at: t(2.5)) == [.cancel(.canaryWrite(4)), .cancel(.attempt(.kill, 1)), .startAttempt(.teardown(0), attempt: 1, at: t(2.5))])
        #expect(run.state.ledger.isEmpty)
        #expect(run.perform(.teardown(0)) == [.finish(.aborted)])
        #expect(!run.issued.contains(where: Self.isRollbackStart))
    }

    @Test func abortDuringRollbackOrTeardownIsIgnored() {
        var run = ScriptedRun(Drill.phases([Phase(name: "inject", steps: [Drill.cmd("inject", rollback: [Drill.cmd("undo")])])],
                                           teardown: [Drill.cmd("cleanup")]))
        run.start()
        #expect(run.perform(.phase(0, 0), .failed) == [.startAttempt(.rollback(0), attempt: 1, at: t(0.1))])
        #expect(run.abort() == [])
        #expect(run.perform(.rollback(0)) == [.startAttempt(.teardown(0), attempt: 1, at: t(0.2))])
        #expect(run.abort() == [])
        #expect(run.perform(.teardown(0)) == [.finish(.failed)])
        #expect(run.state.abort == nil)
    }
}
