import FiredrillCore
import Testing

/// Figures from scripted four-phase runs: disaster at 3.2s (kill 3.1–3.2), detected at 4.2s
/// (previous probe 3.2s), recovered at 14s (previous probe 12s); canary writes acknowledged at
/// 0.15, 1.15, 2.15, 3.15s (started 0.1, 1.1, 2.1, 3.1s), write 5 cancelled before it ran.
@Suite("DrillMeasurement")
struct MeasurementTests {
    static func measure(_ run: ScriptedRun) -> DrillMeasurement { DrillMeasurement(scenario: run.scenario, state: run.state) }

    @Test func rtoAndTimeToDetectFromTheMarks() throws {
        let m = Self.measure(.completedFourPhase())
        let rto = try #require(m.rto)
        #expect(rto.value == secs(10.8))
        // From the latest the disaster could have been to the earliest recovery, and the other way round.
        #expect(rto.lower == secs(8.8))
        #expect(rto.upper == secs(11))  // the recovering probe ended at 14.1
        #expect(rto.resolution == .seconds(2))
        #expect(rto.resolutionSource == "probe period")
        #expect(m.rtoUnknownBecause == nil)

        let detect = try #require(m.timeToDetect)
        #expect(detect.value == .seconds(1))
        #expect(detect.lower == .zero)
        #expect(detect.upper == secs(1.2))
        #expect(detect.resolution == .seconds(1))
    }

    @Test func spanBetweenStepMarksIsResolvedByStepDuration() throws {
        let scenario = Drill.phases([Phase(name: "all", steps: [
            Step(name: "kill", action: Drill.killPrimary, mark: "disaster"),
            Step(name: "fix it", action: .manual(instructions: "Fix it"), mark: "recovered"),
        ])])
        var run = ScriptedRun(scenario)
        run.start()
        run.perform(.phase(0, 0))
        run.begin(.phase(0, 1))
        run.confirm(.phase(0, 1), at: t(60))
        let rto = try #require(Self.measure(run).rto)
        #expect(rto.value == secs(59.9))
        #expect(rto.lower == secs(59.9))
        #expect(rto.upper == .seconds(60))
        #expect(rto.resolution == .milliseconds(100))
        #expect(rto.resolutionSource == "step duration")
        #expect(Self.measure(run).rpo == nil)
    }

    @Test func rpoWithLostWrites() throws {
        let rpo = try #require(Self.measure(.completedFourPhase(readHighest: 2)).rpo)
        #expect(rpo.acknowledgedWrites == 4)
        #expect(rpo.failedWrites == 0)
        #expect(rpo.highestAcknowledgedSeq == 4)
        #expect(rpo.highestSurvivingSeq == 2)
        #expect(rpo.lostWrites == 2)
        #expect(rpo.unknownBecause == nil)
        let span = try #require(rpo.span)
        // Disaster (3.2s) minus the acknowledgement of write 2 (1.15s)...
        #expect(span.value == secs(2.05))
        // ...at least disaster minus the start of the first lost write (2.1s).
        #expect(span.lower == secs(1.1))
        #expect(span.upper == secs(2.05))
        #expect(span.resolution == .seconds(1))
        #expect(span.resolutionSource == "canary period")
    }

    @Test(arguments: [4, 5])
    func rpoIsZeroWhenNoAcknowledgedWriteWasLost(highest: Int) throws {
        let rpo = try #require(Self.measure(.completedFourPhase(readHighest: highest)).rpo)
        #expect(rpo.lostWrites == 0)
        #expect(rpo.highestSurvivingSeq == highest)
        #expect(rpo.span?.value == .zero)
        #expect(rpo.span?.lower == .zero)
        #expect(rpo.span?.upper == .seconds(1))
    }

    @Test func rpoWhenNoAcknowledgedWriteSurvived() throws {
        let rpo = try #require(Self.measure(.completedFourPhase(readHighest: 0)).rpo)
        #expect(rpo.lostWrites == 4)
        // The whole window since the canary started (0.1s) is lost.
        #expect(rpo.span?.value == secs(3.1))
        #expect(rpo.unknownBecause == "no acknowledged write survived: at least the whole canary window was lost")
    }

    @Test(arguments: [(Int?.none, DriverReport.Verdict.failed), (nil, .passed), (3, .error)])
    func rpoIsUnknownWhenTheReadFailed(highest: Int?, verdict: DriverReport.Verdict) throws {
        let m = Self.measure(.completedFourPhase(readHighest: highest, read: verdict))
        let rpo = try #require(m.rpo)
        #expect(rpo.span == nil)
        #expect(rpo.unknownBecause?.hasPrefix("the canary read failed: ") == true)
        let objective = try #require(m.rpoObjective)
        #expect(objective.target == .seconds(5))
        #expect(objective.met == nil)
        // An objective that could not be measured is not met.
        #expect(m.rtoObjective?.met == true)
        #expect(m.objectivesMet == false)
    }

    @Test func objectivesMet() throws {
        let m = Self.measure(.completedFourPhase())
        let rto = try #require(m.rtoObjective)
        let rpo = try #require(m.rpoObjective)
        #expect(rto.target == .seconds(30))
        #expect(rto.met == true)
        #expect(rpo.target == .seconds(5))
        #expect(rpo.met == true)
        #expect(m.objectivesMet == true)
    }

    @Test func objectivesMissed() {
        let scenario = Drill.fourPhase(objectives: .init(rto: .seconds(10), rpo: .seconds(2)))
        let m = Self.measure(.completedFourPhase(scenario: scenario))
        #expect(m.rtoObjective?.met == false)
        #expect(m.rpoObjective?.met == false)
        #expect(m.objectivesMet == false)
    }

    @Test func objectiveMetExactlyAtTheTarget() {
        let scenario = Drill.fourPhase(objectives: .init(rto: secs(10.8)))
        let m = Self.measure(.completedFourPhase(scenario: scenario))
        #expect(m.rtoObjective?.met == true)
        #expect(m.rpoObjective == nil)
        #expect(m.objectivesMet == true)
    }

    @Test func noObjectivesNoVerdict() {
        let m = Self.measure(.completedFourPhase(scenario: Drill.fourPhase(objectives: .init())))
        #expect(m.rtoObjective == nil)
        #expect(m.rpoObjective == nil)
        #expect(m.objectivesMet == nil)
    }

    @Test func abortedBeforeTheDisasterMeasuresNothing() throws {
        let m = Self.measure(RecordedRun.abortedInFlight.play())
        #expect(m.rto == nil)
        #expect(m.rtoUnknownBecause == "no disaster mark was reached")
        #expect(m.timeToDetect == nil)
        #expect(m.rpo?.span == nil)
        #expect(m.rpo?.unknownBecause == "no disaster mark was reached")
        #expect(try #require(m.rtoObjective).met == nil)
        #expect(m.objectivesMet == false)
        // Only the phase that started is timed: the kill, until its cancelled call reported.
        #expect(m.phases.map(\.name) == ["disaster"])
        #expect(m.phases.first?.duration == secs(0.2))
    }

    @Test func failedAfterTheDisasterHasNoRecoveryAndNoRead() {
        let m = Self.measure(RecordedRun.failedWithRollback.play())
        #expect(m.rto == nil)
        #expect(m.rtoUnknownBecause == "no recovered mark was reached")
        #expect(m.timeToDetect?.value == .seconds(1))
        #expect(m.rpo?.unknownBecause == "the canary was not read back")
    }

    @Test func phaseTimings() {
        let m = Self.measure(.completedFourPhase())
        #expect(m.phases.map(\.name) == ["disaster", "detect", "restore", "verify"])
        #expect(m.phases.map(\.start) == [t(3.1), t(3.2), t(4.3), t(12)])
        #expect(m.phases.map(\.end) == [t(3.2), t(4.3), t(12), t(18.1)])
        #expect(m.phases.map(\.duration) == [secs(0.1), secs(1.1), secs(7.7), secs(6.1)])
    }

    @Test func manualWaitTime() {
        #expect(Self.measure(.completedFourPhase()).manualWait == secs(5.7))
        // Across a suspension and a takeover, the wait runs until the confirmation.
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        run.begin(.promote)
        run.feed(.runSuspended(reason: "night"), at: t(20))
        run.feed(.runResumed(RunnerIdentity(pid: 2, host: "b")), at: t(90))
        run.confirm(.promote, at: t(100))
        #expect(Self.measure(run).manualWait == secs(95.7))
        // No manual step, no wait.
        #expect(Self.measure(RecordedRun.abortedInFlight.play()).manualWait == .zero)
    }
}
