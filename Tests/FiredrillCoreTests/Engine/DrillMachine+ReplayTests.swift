import FiredrillCore
import Testing

/// Scripted runs that end in each way a run can stop, for replay checks.
enum RecordedRun: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case completed
    case failedWithRollback
    case abortedInFlight
    case suspendedAtManualStep
    case deviated

    var testDescription: String { rawValue }

    func play() -> ScriptedRun {
        switch self {
        case .completed:
            return .completedFourPhase()
        case .failedWithRollback:
            // The restore command fails for good after the disaster: both compensations run.
            var run = ScriptedRun.fourPhase()
            run.warmUp()
            run.injectDisaster()
            run.detect()
            run.begin(.promote)
            run.confirm(.promote, at: t(10))
            run.perform(.restore, .failed)
            run.perform(.rollback(1))
            run.perform(.rollback(0), .failed)
            run.perform(.teardown(0))
            run.feed(.runEnded(.failed))
            return run
        case .abortedInFlight:
            var run = ScriptedRun.fourPhase()
            run.warmUp()
            run.begin(.kill)
            run.write()
            run.abort(at: t(3.15))
            run.end(.kill, .cancelled, at: t(3.3))
            run.perform(.rollback(1))
            run.perform(.rollback(0))
            run.perform(.teardown(0))
            run.feed(.runEnded(.aborted))
            return run
        case .suspendedAtManualStep:
            var run = ScriptedRun.fourPhase()
            run.warmUp()
            run.injectDisaster()
            run.detect()
            run.begin(.promote)
            run.feed(.runSuspended(reason: "operator went home"), at: t(60))
            return run
        case .deviated:
            var run = ScriptedRun.fourPhase()
            run.warmUp()
            run.injectDisaster()
            run.detect()
            run.restore()
            run.verify()
            run.perform(.steadyAfter(0), .failed)
            run.perform(.teardown(0))
            run.read(highest: 4)
            run.feed(.runEnded(.deviated))
            return run
        }
    }

    var expectedStatus: RunStatus {
        switch self {
        case .completed: .completed
        case .failedWithRollback: .failed
        case .abortedInFlight: .aborted
        case .suspendedAtManualStep: .waiting
        case .deviated: .deviated
        }
    }
}

@Suite("DrillMachine: replay")
struct DrillMachineReplayTests {
    @Test(arguments: RecordedRun.allCases)
    func replayRebuildsTheLiveState(_ recorded: RecordedRun) {
        let run = recorded.play()
        #expect(run.state.status == recorded.expectedStatus)
        let replayed = DrillMachine.replay(run.scenario, events: run.log)
        #expect(replayed == run.machine)
        #expect(replayed.rearm(at: t(100)) == run.machine.rearm(at: t(100)))
    }

    @Test(arguments: RecordedRun.allCases)
    func everyPrefixReplaysToTheStateAtThatPoint(_ recorded: RecordedRun) {
        let run = recorded.play()
        let log = run.log
        for count in log.indices {
            let replayed = DrillMachine.replay(run.scenario, events: Array(log[...count]))
            #expect(replayed == run.records[count].machine, "after event \(count): \(log[count].0.type)")
        }
    }

    @Test func replayedMachineCarriesOnLikeTheLiveOne() {
        // Replay half a run, then feed both machines the rest: same actions, same state.
        let run = RecordedRun.completed.play()
        let half = run.records.count / 2
        var replayed = DrillMachine.replay(run.scenario, events: Array(run.log[..<half]))
        for record in run.records[half...] {
            #expect(replayed.apply(record.event, at: record.at) == record.actions)
        }
        #expect(replayed == run.machine)
    }

    @Test func failedRunRolledBackWhatWasOwed() {
        let run = RecordedRun.failedWithRollback.play()
        let rollbacks = run.issued.compactMap { action -> String? in
            if case .startAttempt(let ref, _, _) = action, case .rollback = ref { return run.machine.step(ref)?.name }
            return nil
        }
        #expect(rollbacks == ["restart primary", "restore traffic"])
        #expect(run.state.failureReason == "step 'restore backup' failed: exit 1")
        #expect(run.state.stepsFailed == [.restore, .rollback(0)])
    }
}
