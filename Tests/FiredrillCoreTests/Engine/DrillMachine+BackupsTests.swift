import FiredrillCore
import Testing

/// `expect: fail`, the inventory a `backups` step reads, and restores verified: fed as events,
/// judged on actions and state, no processes.
@Suite("DrillMachine: backups, restores and expected failures")
struct DrillMachineBackupsTests {
    /// 2026-12-02T10:00:00Z.
    static let wall0: Int64 = 1_796_205_600 * 1_000_000_000
    static let hour: Int64 = 3_600_000_000_000

    static var list: Step {
        Step(name: "list the backups", action: .backups(BackupsStep(source: .run(argv: ["pgbackrest", "info", "--output=json"]), format: .pgbackrest)))
    }

    /// list → kill (disaster) → restore oldest → check rows (verifies it) → restore newest → health (recovered).
    static func scenario(objectives: Objectives = .init(retention: .hours(40), forgetAfter: .hours(60))) -> Scenario {
        Scenario(name: "window", objectives: objectives, phases: [
            Phase(name: "lose it", steps: [list, Drill.cmd("kill", mark: "disaster")]),
            Phase(name: "restore", steps: [
                Step(name: "restore the oldest", action: .run(argv: ["restore", "oldest"]), restores: "oldest", verifiedBy: "rows are back"),
                Drill.cmd("rows are back"),
                Step(name: "restore the newest", action: .run(argv: ["restore", "newest"]), restores: "newest"),
                Step(name: "healthy", action: .run(argv: ["health"]), mark: "recovered"),
            ]),
        ])
    }

    /// Points 48 h, 24 h and 1 h before the listing, which ends at wall0 (at t = 1.1 s).
    static var inventory: BackupInventory {
        BackupInventory(format: "pgbackrest", points: [
            RestorePoint(id: "full-1", wallNs: wall0 - 48 * hour, resolutionNs: 1_000_000_000, sizeBytes: 100),
            RestorePoint(id: "full-2", wallNs: wall0 - 24 * hour, resolutionNs: 1_000_000_000),
            RestorePoint(id: "full-3", wallNs: wall0 - hour, resolutionNs: 1_000_000_000),
        ], listedWallNs: wall0)
    }

    static func listed(_ run: inout ScriptedRun, _ inventory: BackupInventory? = inventory) {
        let ref = StepRef.phase(0, 0)
        run.begin(ref, at: t(1))
        let report = DriverReport(verdict: inventory == nil ? .failed : .passed, summary: "exit 0", inventory: inventory)
        run.feed(.attemptFinished(AttemptFinished(ref: ref, attempt: 1, report: report, startedAt: t(1), endedAt: t(1.1))), at: t(1.1))
    }

    @Test func aVerifiedRestoreOfTheOldestMeasuresRetentionAtTheDisaster() {
        var run = ScriptedRun(Self.scenario())
        run.start()
        Self.listed(&run)
        #expect(run.state.inventories.count == 1)
        #expect(run.state.latestInventory?.inventory.oldest?.id == "full-1")
        run.begin(.phase(0, 1), at: t(2))
        run.end(.phase(0, 1), at: t(2.2))  // disaster between 2.0 and 2.2
        run.perform(.phase(1, 0))
        #expect(run.state.restores.map(\.point?.id) == ["full-1"])
        #expect(run.state.restores[0].verifiedAt == nil)
        run.perform(.phase(1, 1))
        #expect(run.state.restores[0].verifiedBy == "rows are back")
        run.perform(.phase(1, 2))
        run.perform(.phase(1, 3))
        #expect(run.state.restores.map(\.verifiedBy) == ["rows are back", "healthy"])

        let m = DrillMeasurement(scenario: Self.scenario(), state: run.state)
        let span = try! #require(m.retention?.span)
        // The disaster's instant is 2.2 s on, 1.1 s after the listing: full-1 was 48 h and 1.1 s old then.
        #expect(span.value.nanoseconds == 48 * Self.hour + 1_100_000_000)
        #expect(span.lower.nanoseconds == 48 * Self.hour + 900_000_000 - 1_000_000_000)
        #expect(span.upper.nanoseconds == 48 * Self.hour + 1_100_000_000)
        #expect(span.resolution == .seconds(1))
        #expect(m.retention?.restored?.id == "full-1")
        #expect(m.retentionObjective?.verdict == .met)
        #expect(m.retention?.oldest?.id == "full-1" && m.retention?.newest?.id == "full-3")
        #expect(m.retention?.pastForgetAfter == [])
        #expect(m.forgetAfterObjective?.verdict == .met)
        let headline = RunHeadline(scenario: "window", status: .completed, measurement: m)
        #expect(headline.retention == span)
        #expect(headline.pastForgetAfter == 0)
        #expect(headline.windowOldestNs == Self.wall0 - 48 * Self.hour)
    }

    @Test func retentionIsJudgedOnItsLowerBound() {
        // 48 h old at best: a 49 h objective is missed, 48 h (within the 1 s resolution) undetermined.
        for (target, verdict) in [(DrillDuration.hours(49), DrillMeasurement.Verdict.missed), (.hours(48) + .milliseconds(500), .undetermined),
                                  (.hours(47), .met)] {
            let scenario = Self.scenario(objectives: .init(retention: target))
            var run = ScriptedRun(scenario)
            run.start()
            Self.listed(&run)
            run.begin(.phase(0, 1), at: t(2))
            run.end(.phase(0, 1), at: t(2.2))
            for step in 0..<4 { run.perform(.phase(1, step)) }
            #expect(DrillMeasurement(scenario: scenario, state: run.state).retentionObjective?.verdict == verdict, "\(target)")
        }
    }

    @Test func aRestoreNotVerifiedProvesNothing() {
        let scenario = Self.scenario()
        var run = ScriptedRun(scenario)
        run.start()
        Self.listed(&run)
        run.perform(.phase(0, 1))
        run.perform(.phase(1, 0))
        run.perform(.phase(1, 1), .failed)  // the rows are not back: the drill rolls back
        let m = DrillMeasurement(scenario: scenario, state: run.state)
        #expect(m.retention?.span == nil)
        #expect(m.retention?.unknownBecause == "the restore of full-1 (step 'restore the oldest') was not verified")
        #expect(m.retentionObjective?.verdict == .unmeasured)
    }

    @Test func pointsHeldPastForgetAfterMissIt() {
        let scenario = Self.scenario(objectives: .init(forgetAfter: .hours(30)))
        var run = ScriptedRun(scenario)
        run.start()
        Self.listed(&run)
        let m = DrillMeasurement(scenario: scenario, state: run.state)
        #expect(m.retention?.pastForgetAfter?.map(\.id) == ["full-1"])
        #expect(m.forgetAfterObjective?.verdict == .missed)
        #expect(m.retention?.oldestHeld?.id == "full-1")
        // Within the listing's 0.1 s and the 1 s resolution of the times: undetermined.
        let edge = Self.scenario(objectives: .init(forgetAfter: DrillDuration(nanoseconds: 48 * Self.hour - 500_000_000)))
        #expect(DrillMeasurement(scenario: edge, state: run.state).forgetAfterObjective?.verdict == .undetermined)
        #expect(RunHeadline(scenario: "window", status: .completed, measurement: m).pastForgetAfter == 1)
    }

    @Test func aRestoreWithNoInventoryIsADeviationNotAFigure() {
        let scenario = Scenario(name: "blind", objectives: .init(retention: .hours(1)), phases: [Phase(name: "p", steps: [
            Drill.cmd("kill", mark: "disaster"),
            Step(name: "restore", action: .run(argv: ["restore"]), mark: "recovered", restores: "oldest"),
        ])])
        var run = ScriptedRun(scenario)
        run.start()
        run.perform(.phase(0, 0))
        run.perform(.phase(0, 1))
        #expect(run.state.restores.first?.point == nil)
        #expect(run.state.deviations.map(\.message) == ["step 'restore' restores oldest, but no inventory was read before it, so what it restored is not known"])
        #expect(DrillMeasurement(scenario: scenario, state: run.state).retentionObjective?.verdict == .unmeasured)
    }

    @Test func anExpectedFailurePassesOnARefusalAndFailsOnSuccess() {
        let attacker = Step(name: "the attacker forgets every snapshot", action: .run(argv: ["restic", "forget"]), expect: .fail)
        let scenario = Scenario(name: "attack", phases: [Phase(name: "attack", steps: [attacker, Drill.cmd("after")])])

        var refused = ScriptedRun(scenario)
        refused.start()
        #expect(refused.perform(.phase(0, 0), .failed, summary: "exit 1") == [.startAttempt(.phase(0, 1), attempt: 1, at: refused.now)])
        #expect(refused.state.attempts[0].verdict == .passed)
        #expect(refused.state.attempts[0].summary == "failed as expected: exit 1")

        var succeeded = ScriptedRun(scenario)
        succeeded.start()
        succeeded.perform(.phase(0, 0), .passed, summary: "exit 0")
        #expect(succeeded.state.attempts[0].verdict == .failed)
        #expect(succeeded.state.failureReason == "step 'the attacker forgets every snapshot' failed: expected to fail, but it passed: exit 0")
        #expect(succeeded.state.outcome == .failed)

        // A timeout is not the refusal expected.
        var timedOut = ScriptedRun(scenario)
        timedOut.start()
        timedOut.perform(.phase(0, 0), .timedOut)
        #expect(timedOut.state.attempts[0].verdict == .timedOut)
        #expect(timedOut.state.outcome == .failed)
        // Replay gives the same verdicts.
        #expect(DrillMachine.replay(scenario, events: succeeded.log) == succeeded.machine)
    }
}

@Suite("DrillMachine: what expect: fail and restores do not count")
struct DrillMachineBackupsHostileTests {
    @Test func anAttemptThatNeverReachedTheSystemIsNoRefusal() {
        let http = Step(name: "delete through the API", action: .http(HTTPProbe(method: "DELETE", url: "http://127.0.0.1:1/x")), expect: .fail)
        let tool = Step(name: "forget with a missing tool", action: .run(argv: ["no-such-restic"]), expect: .fail)
        let scenario = Scenario(name: "attack", phases: [Phase(name: "attack", steps: [http, tool])])
        var run = ScriptedRun(scenario)
        run.start()
        let ref = StepRef.phase(0, 0)
        run.begin(ref)
        run.feed(.attemptFinished(AttemptFinished(ref: ref, attempt: 1, report: DriverReport(verdict: .failed, summary: "connection refused"),
                                                  startedAt: run.now, endedAt: run.now + .milliseconds(5))), at: run.now + .milliseconds(5))
        #expect(run.state.attempts[0].verdict == .error)
        #expect(run.state.attempts[0].summary == "failed, but not as a refusal (no HTTP answer): connection refused")
        #expect(run.state.outcome == .failed)

        var second = ScriptedRun(Scenario(name: "attack", phases: [Phase(name: "attack", steps: [tool])]))
        second.start()
        second.begin(.phase(0, 0))
        second.feed(.attemptFinished(AttemptFinished(ref: .phase(0, 0), attempt: 1,
                                                     report: DriverReport(verdict: .failed, summary: "exit 127", exitStatus: 127),
                                                     startedAt: second.now, endedAt: second.now + .milliseconds(5))), at: second.now + .milliseconds(5))
        #expect(second.state.attempts[0].verdict == .error)
    }

    /// "No P1 alert is firing" (`expect: fail`) and "the alert resolves" (a wait_for expecting
    /// fail) hold on Alertmanager's list without the alert, never on Alertmanager being down.
    @Test func anAlertmanagerThatGaveNoListIsNoAllClear() {
        let p1 = Probe(AlertProbe(alertmanager: Template("http://127.0.0.1:9093"), matchers: [.init(name: "severity", value: Template("critical"))]))
        let listed = DriverReport(verdict: .failed, summary: "no matching alert firing (0 alerts listed)", httpStatus: 200, alerts: AlertObservation(alerts: []))
        let down = DriverReport(verdict: .failed, summary: "Alertmanager: connection refused by 127.0.0.1:9093")
        for (report, verdict) in [(listed, DriverReport.Verdict.passed), (down, .error)] {
            let scenario = Scenario(name: "p1", steadyState: [Step(name: "no P1 alert is firing", action: p1, expect: .fail)],
                                    phases: [Phase(name: "p", steps: [Step(name: "s", action: .run(argv: ["true"]))])])
            var run = ScriptedRun(scenario)
            run.start()
            run.begin(.steadyBefore(0))
            run.feed(.attemptFinished(AttemptFinished(ref: .steadyBefore(0), attempt: 1, report: report, startedAt: run.now,
                                                      endedAt: run.now + .milliseconds(5))), at: run.now + .milliseconds(5))
            #expect(run.state.attempts[0].verdict == verdict, "\(report.summary)")
            if verdict == .error {
                #expect(run.state.attempts[0].summary == "failed, but not as a refusal (no list of alerts from Alertmanager): Alertmanager: connection refused by 127.0.0.1:9093")
            }
        }

        let resolves = Step(name: "the alert resolves", action: .waitFor(WaitFor(probe: p1, expect: .fail, every: .milliseconds(250))))
        var run = ScriptedRun(Scenario(name: "resolve", phases: [Phase(name: "p", steps: [resolves])]))
        run.start()
        let ref = StepRef.phase(0, 0)
        run.begin(ref)
        func sample(_ report: DriverReport) {
            var asked = 1
            for action in run.issued.reversed() { if case .sampleProbe(ref, _, let sample, _, _) = action { asked = sample; break } }
            run.feed(.probeSampled(ProbeSampled(ref: ref, attempt: 1, sample: asked, report: report, startedAt: run.now,
                                                endedAt: run.now + .milliseconds(5))), at: run.now + .milliseconds(5))
        }
        sample(down)
        #expect(run.state.attempts[0].endedAt == nil, "Alertmanager down is not the alert resolved")
        sample(listed)
        #expect(run.state.attempts[0].verdict == .passed)
        #expect(run.state.mark("recovered") == nil)
        #expect(DrillMachine.replay(run.scenario, events: run.log) == run.machine)
    }

    @Test func anAttackThatSucceededIsNotRetriedIntoARefusal() {
        let attacker = Step(name: "forget every snapshot", action: .run(argv: ["restic", "forget"]), retries: 2, expect: .fail)
        var run = ScriptedRun(Scenario(name: "attack", phases: [Phase(name: "attack", steps: [attacker])]))
        run.start()
        run.perform(.phase(0, 0), .passed, summary: "exit 0")
        #expect(run.state.attempts.count == 1)
        #expect(run.state.outcome == .failed)
    }

    @Test func aRestoreIsVerifiedOnlyByALaterStepAndNotOnceReplaced() {
        let list = DrillMachineBackupsTests.list
        let scenario = Scenario(name: "window", objectives: .init(retention: .hours(1)), phases: [Phase(name: "p", steps: [
            list, Drill.cmd("kill", mark: "disaster"),
            Step(name: "restore oldest", action: .run(argv: ["r"]), restores: "oldest"),
            Step(name: "restore newest", action: .run(argv: ["r"]), restores: "newest"),
            Step(name: "check", action: .run(argv: ["c"]), mark: "recovered"),
        ])])
        var run = ScriptedRun(scenario)
        run.start()
        DrillMachineBackupsTests.listed(&run)
        for step in 1..<5 { run.perform(.phase(0, step)) }
        #expect(run.state.restores.map(\.verifiedBy) == [nil, "check"])
        #expect(run.state.restores[0].note == "restore 'restore newest' replaced it before anything verified it")
        let m = DrillMeasurement(scenario: scenario, state: run.state)
        #expect(m.retention?.restored?.id == "full-3")

        // A restore step marked recovered does not verify itself.
        let selfish = Scenario(name: "selfish", objectives: .init(retention: .hours(1)), phases: [Phase(name: "p", steps: [
            list, Drill.cmd("kill", mark: "disaster"), Step(name: "restore", action: .run(argv: ["true"]), mark: "recovered", restores: "oldest"),
        ])])
        var own = ScriptedRun(selfish)
        own.start()
        DrillMachineBackupsTests.listed(&own)
        own.perform(.phase(0, 1))
        own.perform(.phase(0, 2))
        #expect(own.state.restores.first?.verifiedAt == nil)
        #expect(DrillMeasurement(scenario: selfish, state: own.state).retentionObjective?.verdict == .unmeasured)
    }
}
