import FiredrillCore
import Testing
@testable import FiredrillReports

/// The recovery window in the report, the retrospective and the trend: retention and forget_after
/// in the objectives table with bounds and resolution, each restore point listed as evidence,
/// the output checks with what they found, and the findings.
@Suite struct RecoveryWindowReportTests {
    static let wall0: Int64 = 1_796_205_600 * 1_000_000_000  // 2026-12-02T10:00:00Z
    static let day: Int64 = 86_400 * 1_000_000_000

    static let scenario = Scenario(name: "window", objectives: .init(retention: .hours(24 * 7), forgetAfter: .hours(24 * 30)), phases: [
        Phase(name: "p", steps: [
            Step(name: "list", action: .backups(BackupsStep(source: .run(argv: ["restic", "snapshots", "--json"]), format: .restic))),
            Step(name: "lose", action: .run(argv: ["rm"]), mark: "disaster"),
            Step(name: "restore the oldest", action: .run(argv: ["restic", "restore"]), restores: "oldest", verifiedBy: "rows"),
            Step(name: "rows", action: Action(RunProbe(argv: ["check"], output: [OutputCheck(.json(path: "$.rows", expect: "== 3"))])), mark: "recovered"),
        ]),
    ])

    static func report() -> (DrillReport, DrillRetrospective) {
        var machine = DrillMachine(scenario: scenario)
        var now = DrillInstant.start
        func feed(_ event: DrillEvent) { _ = machine.apply(event, at: now) }
        feed(.runStarted(RunStarted(scenario: "window", scenarioSHA256: "", firedrillVersion: "t", vars: [:], runner: RunnerIdentity(pid: 1, host: "h"))))
        let inventory = BackupInventory(format: "restic", points: [
            RestorePoint(id: "old", wallNs: wall0 - 40 * day, resolutionNs: 1, sizeBytes: 2048),
            RestorePoint(id: "week", wallNs: wall0 - 8 * day, resolutionNs: 1),
            RestorePoint(id: "new", wallNs: wall0 - day, resolutionNs: 1),
        ], listedWallNs: wall0)
        let reports: [DriverReport] = [
            DriverReport(verdict: .passed, summary: "exit 0; 3 restore points", inventory: inventory),
            DriverReport(verdict: .passed, summary: "exit 0"),
            DriverReport(verdict: .passed, summary: "exit 0"),
            DriverReport(verdict: .passed, summary: "exit 0", checks: [OutputCheckOutcome(check: "$.rows == 3", passed: true, found: "3")]),
        ]
        for (index, report) in reports.enumerated() {
            let ref = StepRef.phase(0, index)
            let start = now
            feed(.attemptStarted(AttemptStarted(ref: ref, attempt: 1, action: .run(argv: ["x"]))))
            now = now + .milliseconds(100)
            feed(.attemptFinished(AttemptFinished(ref: ref, attempt: 1, report: report, startedAt: start, endedAt: now)))
        }
        let retrospective = RetrospectiveInput(runID: "r", scenario: scenario, scenarioSHA256: "", startedWallNs: wall0, endedWallNs: wall0 + 1,
                                               state: machine.state, measurement: DrillMeasurement(scenario: scenario, state: machine.state))
        let input = ReportInput(retrospective: retrospective, vars: [:], chainBreak: nil, firedrillVersion: "t", asOf: "2026-12-02")
        return (DrillReport(input, status: machine.state.status), DrillRetrospective(input, status: machine.state.status))
    }

    @Test func theWindowIsInTheObjectivesAndTheEvidence() throws {
        let (report, retro) = Self.report()
        let retention = try #require(report.objectives.first { $0.name == "Retention" })
        #expect(retention.target == "at least 7d")
        #expect(retention.result == "met")
        #expect(retention.measured.hasPrefix("40d (") && retention.measured.hasSuffix("(old)"), "\(retention.measured)")
        #expect(retention.resolution == "100ms (step duration)")
        let forget = try #require(report.objectives.first { $0.name == "Forget after" })
        #expect(forget.result == "missed")
        #expect(forget.measured.hasSuffix("(old); 1 past it"), "\(forget.measured)")
        #expect(report.findings.contains { $0.hasPrefix("Restore point old (") && $0.contains("older than forget_after (30d)") })
        #expect(report.recoveryWindow?.contains("the oldest restored and verified is old") == true)
        #expect(report.inventories.count == 1)
        #expect(report.inventories[0].points.map(\.restored) == ["by 'restore the oldest', verified by 'rows'", "", ""])
        #expect(report.inventories[0].points[0].size == "2 KiB")
        #expect(report.checks == [DrillReport.Check(step: "rows", attempt: 1, check: "$.rows == 3", result: "held", found: "3")])
        #expect(retro.wentWell.contains { $0.hasPrefix("Restored old, 40d") })
        #expect(retro.toImprove.contains { $0.hasPrefix("1 restore point is held past forget_after (30d)") })

        let markdown = try ReportRenderer.render(report, as: .md)
        #expect(markdown.contains("| Retention | at least 7d |"))
        #expect(markdown.contains("| `old` | 2026-10-23T10:00:00.000000000Z | 2 KiB | by 'restore the oldest', verified by 'rows' |"), "\(markdown)")
    }

    @Test func theTrendDrawsRetentionAgainstItsFloor() {
        var met = TrendInput(runID: "a", status: .completed, startedWallNs: Self.wall0, rtoSeconds: nil, rpoSeconds: nil, rtoObjective: nil, rpoObjective: nil)
        met.retentionSeconds = 8 * 86_400
        met.retentionObjective = .hours(24 * 7)
        met.retentionVerdict = .met
        var missed = met
        missed.runID = "b"
        missed.startedWallNs += Self.day
        missed.retentionSeconds = 3 * 86_400
        missed.retentionVerdict = .missed
        let trend = TrendReport([(name: "window", title: "w", rto: nil, rpo: nil, drills: [met, missed], actions: [])], asOf: "2026-12-03",
                                retention: ["window": .hours(24 * 7)])
        let scenario = trend.scenarios[0]
        #expect(scenario.retentionObjective == "at least 7d")
        #expect(scenario.drills.map(\.result) == ["met", "missed"])
        #expect(scenario.drills.map(\.retentionMet) == [true, false])
        #expect(scenario.drills.map(\.retention) == ["691200.000s", "259200.000s"])
        #expect(scenario.retentionChartSVG?.contains("Retention") == true)
    }
}

/// Time to detect in the trend: drawn against its objective, the alert that set the mark named.
@Suite struct DetectTrendTests {
    @Test func theTrendDrawsTimeToDetectAndNamesTheAlert() {
        var met = TrendInput(runID: "a", status: .completed, startedWallNs: 1_796_205_600_000_000_000, rtoSeconds: nil, rpoSeconds: nil,
                             rtoObjective: nil, rpoObjective: nil)
        met.detectSeconds = 3
        met.detectObjective = .seconds(10)
        met.detectVerdict = .met
        met.detectedBy = "SampleServiceDown"
        var missed = met
        missed.runID = "b"
        missed.startedWallNs += 86_400_000_000_000
        missed.detectSeconds = 16
        missed.detectVerdict = .missed
        let trend = TrendReport([(name: "alerts", title: "a", rto: nil, rpo: nil, drills: [met, missed], actions: [])], asOf: "2026-12-03",
                                detect: ["alerts": .seconds(10)])
        let scenario = trend.scenarios[0]
        #expect(scenario.detectObjective == "10s")
        #expect(scenario.drills.map(\.detectMet) == [true, false])
        #expect(scenario.drills.map(\.result) == ["met", "missed"])
        #expect(scenario.drills[0].detect == "3.000s (SampleServiceDown)")
        #expect(scenario.detectChartSVG?.contains("Time to detect") == true)
    }
}
