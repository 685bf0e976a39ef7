import FiredrillCore
import Foundation
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
        // ...at least disaster minus the acknowledgement of the first lost write (2.15s): it may
        // have been in flight past the recovery point, so its start bounds nothing.
        #expect(span.lower == secs(1.05))
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

    /// Writes taking 1.5s at a 1s period land 2s apart: that, not the period, is the resolution.
    @Test func resolutionIsTheSpacingAchieved() {
        let landed = [t(1.6), t(3.6), t(5.6), t(6.1)]
        let (resolution, source) = DrillMeasurement.spacing(of: landed, period: .seconds(1), name: "canary")
        #expect(resolution == .seconds(2))
        #expect(source == "canary spacing achieved (period 1s)")
        // On time, the period is the resolution.
        #expect(DrillMeasurement.spacing(of: [t(0.15), t(1.15), t(2.15)], period: .seconds(1), name: "canary").0 == .seconds(1))
        #expect(DrillMeasurement.spacing(of: [], period: .seconds(1), name: "canary").1 == "canary period")
    }

    @Test func rpoWhenNoAcknowledgedWriteSurvived() throws {
        let m = Self.measure(.completedFourPhase(readHighest: 0))
        let rpo = try #require(m.rpo)
        #expect(rpo.lostWrites == 4)
        // The whole window since the canary started (0.1s) is lost, and maybe more: a lower bound only.
        #expect(rpo.span == nil)
        #expect(rpo.atLeast == secs(3.1))
        #expect(rpo.unknownBecause == "no acknowledged write survived: at least the whole canary window (3.100s) was lost")
        // Not met on a lower bound below the target; missed once the lower bound is past it.
        #expect(m.rpoObjective?.verdict == .unmeasured)
        let strict = Self.measure(.completedFourPhase(readHighest: 0, scenario: Drill.fourPhase(objectives: .init(rpo: .seconds(3)))))
        #expect(strict.rpoObjective?.verdict == .missed)
    }

    @Test func noAcknowledgedWriteMeansRPONotMeasuredNeverMet() throws {
        var run = ScriptedRun.completedFourPhase(readHighest: 5, acknowledged: false)
        let m = Self.measure(run)
        let rpo = try #require(m.rpo)
        #expect(rpo.acknowledgedWrites == 0)
        #expect(rpo.span == nil)
        #expect(rpo.unknownBecause?.hasPrefix("no canary write was acknowledged") == true)
        #expect(m.rpoObjective?.verdict == .unmeasured)
        #expect(m.objectivesMet == false)
        run = .completedFourPhase(readHighest: 0, acknowledged: false)
        #expect(Self.measure(run).rpo?.span == nil)
    }

    @Test func aSurvivingSequenceNumberNeverWrittenIsAnError() throws {
        let m = Self.measure(.completedFourPhase(readHighest: 9_223_372_036_854_775_807))
        let rpo = try #require(m.rpo)
        #expect(rpo.span == nil)
        #expect(rpo.unknownBecause?.contains("above the highest sequence number ever written (5)") == true)
        #expect(m.rpoObjective?.verdict == .unmeasured)
    }

    @Test func anObjectiveIsJudgedOnTheBounds() {
        let span = DrillMeasurement.Span(value: secs(1.1), lower: secs(0.9), upper: secs(2.2), resolution: .milliseconds(100),
                                         resolutionSource: "probe period")
        #expect(DrillMeasurement.Objective(target: .seconds(3), span: span).verdict == .met)
        #expect(DrillMeasurement.Objective(target: secs(2.2), span: span).verdict == .met)
        // The value is within 2s, the upper bound is not: undetermined, never met.
        #expect(DrillMeasurement.Objective(target: .seconds(2), span: span).verdict == .undetermined)
        #expect(DrillMeasurement.Objective(target: secs(0.9), span: span).verdict == .undetermined)
        #expect(DrillMeasurement.Objective(target: secs(0.8), span: span).verdict == .missed)
        #expect(DrillMeasurement.Objective(target: .seconds(2), span: nil).verdict == .unmeasured)
    }

    @Test func straddledObjectivesAreUndetermined() {
        // RTO 10.8s between 8.8 and 11s against 10s.
        let m = Self.measure(.completedFourPhase(scenario: Drill.fourPhase(objectives: .init(rto: .seconds(10)))))
        #expect(m.rtoObjective?.verdict == .undetermined)
        #expect(m.rtoObjective?.met == nil)
        #expect(m.objectivesVerdict == .undetermined)
        #expect(m.objectivesMet == false)
    }

    @Test(arguments: [(Int?.none, DriverReport.Verdict.failed), (nil, .passed), (3, .error)])
    func rpoIsUnknownWhenTheReadFailed(highest: Int?, verdict: DriverReport.Verdict) throws {
        let m = Self.measure(.completedFourPhase(readHighest: highest, read: verdict))
        let rpo = try #require(m.rpo)
        #expect(rpo.span == nil)
        // A read that passed but named no sequence number says so; one that failed, that it failed.
        #expect(rpo.unknownBecause?.hasPrefix(verdict == .passed ? "the canary read's output holds no sequence number" : "the canary read failed: ") == true,
                "\(rpo.unknownBecause ?? "")")
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
        // RTO between 8.8 and 11s; RPO between 1.1 and 2.05s: both lower bounds past their targets.
        let scenario = Drill.fourPhase(objectives: .init(rto: .seconds(8), rpo: .seconds(1)))
        let m = Self.measure(.completedFourPhase(scenario: scenario))
        #expect(m.objectivesVerdict == .missed)
        #expect(m.rtoObjective?.met == false)
        #expect(m.rpoObjective?.met == false)
        #expect(m.objectivesMet == false)
    }

    @Test func objectiveMetExactlyAtTheTarget() {
        // The upper bound (11s) is the target.
        let scenario = Drill.fourPhase(objectives: .init(rto: .seconds(11)))
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

/// The executor records a run's headline in its `run_ended`, measured just before the end is
/// applied, and `history` reads it from there: the end itself must change no figure.
@Suite("RunHeadline")
struct RunHeadlineTests {
    static let runs: [(String, ScriptedRun)] = [
        ("completed", .completedFourPhase()),
        ("completed, objectives", .completedFourPhase(scenario: Drill.fourPhase(objectives: .init(rto: .seconds(10), rpo: .seconds(1))))),
        ("no write acknowledged", .completedFourPhase(acknowledged: false)),
        ("the canary read failed", .completedFourPhase(read: .failed)),
    ]

    @Test(arguments: runs.indices)
    func theEndChangesNoFigure(_ index: Int) throws {
        let (name, run) = Self.runs[index]
        let end = try #require(run.records.last)
        guard case .runEnded = end.event else { Issue.record("\(name): the run does not end with run_ended"); return }
        let before = try #require(run.records.dropLast().last).machine
        #expect(DrillMeasurement(scenario: run.scenario, state: before.state) == DrillMeasurement(scenario: run.scenario, state: end.machine.state),
                "\(name)")
    }

    @Test func itHoldsTheFiguresBoundsAndVerdictsAndRoundTrips() throws {
        let scenario = Drill.fourPhase(objectives: .init(rto: .seconds(5), rpo: .seconds(1)))
        let run = ScriptedRun.completedFourPhase(scenario: scenario)
        let measurement = DrillMeasurement(scenario: scenario, state: run.state)
        let headline = RunHeadline(scenario: "four-phase", status: .completed, measurement: measurement)
        #expect(headline.rto == measurement.rto && headline.rpo == measurement.rpo?.span && headline.timeToDetect == measurement.timeToDetect)
        #expect(headline.objectivesVerdict == measurement.objectivesVerdict && headline.objectivesMet == measurement.objectivesMet)
        #expect(headline.rtoObjective?.verdict == .missed)
        let data = try JSONEncoder().encode(headline)
        #expect(try JSONDecoder().decode(RunHeadline.self, from: data) == headline)
        // Flat: nanoseconds as plain numbers, not {"nanoseconds": N} objects.
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"ns\":10800000000") && !text.contains("nanoseconds"), "\(text)")
    }

    @Test func eachDifferingValueIsNamedWithBothValues() throws {
        let scenario = Drill.fourPhase(objectives: .init(rto: .seconds(10)))
        let replayed = RunHeadline(scenario: "four-phase", status: .completed,
                                   measurement: DrillMeasurement(scenario: scenario, state: ScriptedRun.completedFourPhase(scenario: scenario).state))
        var forged = replayed
        forged.rto?.value = .seconds(2)
        forged.rtoObjective = .init(target: .seconds(10), verdict: .met)
        forged.scenario = "other"
        let said = forged.differences(from: replayed)
        #expect(said.count == 3, "\(said)")
        #expect(said[0] == "scenario 'other' recorded, 'four-phase' by replay", "\(said)")
        #expect(said[1].hasPrefix("RTO 2.000s [8.800s, 11.000s]") && said[1].contains("recorded, 10.800s [8.800s, 11.000s]"), "\(said)")
        #expect(said[2] == "the RTO objective 10s met recorded, 10s undetermined by replay", "\(said)")
        #expect(replayed.differences(from: replayed).isEmpty)
    }
}
