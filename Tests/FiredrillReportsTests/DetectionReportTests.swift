import FiredrillCore
import Testing
@testable import FiredrillReports

/// Which alert found the outage, in the report's words, and what the priorities say of the alerts seen.
@Suite struct DetectionReportTests {
    static let wall0: Int64 = 1_796_205_600 * 1_000_000_000

    static func report(alerts: [AlertSeen], causes: String) -> DrillReport {
        let probe = Action(AlertProbe(alertmanager: "http://127.0.0.1:9093", matchers: [Silence.Matcher(name: "alertname", value: "SampleServiceDown")]))
        let scenario = Scenario(name: "alerts", objectives: .init(detect: .seconds(10)), phases: [Phase(name: "p", steps: [
            Step(name: "kill", action: .run(argv: ["kill"]), mark: "disaster"),
            Step(name: "the alert fires", action: probe, mark: "detected"),
        ])], alerting: Alerting(causes: causes))
        var machine = DrillMachine(scenario: scenario)
        _ = machine.apply(.runStarted(RunStarted(scenario: "alerts", scenarioSHA256: "", firedrillVersion: "t", vars: [:], runner: RunnerIdentity(pid: 1, host: "h"))), at: .start)
        _ = machine.apply(.attemptStarted(AttemptStarted(ref: .phase(0, 0), attempt: 1, action: .run(argv: ["kill"]))), at: .start)
        _ = machine.apply(.attemptFinished(AttemptFinished(ref: .phase(0, 0), attempt: 1, report: DriverReport(verdict: .passed, summary: "exit 0"),
                                                           startedAt: .start, endedAt: DrillInstant(nanoseconds: 100_000_000))), at: DrillInstant(nanoseconds: 100_000_000))
        let seen = DrillInstant(nanoseconds: 5_000_000_000)
        _ = machine.apply(.attemptStarted(AttemptStarted(ref: .phase(0, 1), attempt: 1, action: .run(argv: ["x"]))), at: seen)
        let report = DriverReport(verdict: .passed, summary: "seen", alerts: AlertObservation(alerts: alerts, observedWallNs: wall0 + 5_100_000_000))
        _ = machine.apply(.attemptFinished(AttemptFinished(ref: .phase(0, 1), attempt: 1, report: report, startedAt: seen,
                                                           endedAt: DrillInstant(nanoseconds: 5_100_000_000))), at: DrillInstant(nanoseconds: 5_100_000_000))
        let retrospective = RetrospectiveInput(runID: "r", scenario: scenario, scenarioSHA256: "", startedWallNs: wall0, endedWallNs: nil,
                                               state: machine.state, measurement: DrillMeasurement(scenario: scenario, state: machine.state))
        return DrillReport(ReportInput(retrospective: retrospective, vars: [:], chainBreak: nil, firedrillVersion: "t", asOf: "2026-12-02"),
                           status: machine.state.status)
    }

    static func alert(_ name: String, severity: String, startsAt: Int64, state: String = "suppressed") -> AlertSeen {
        AlertSeen(labels: ["alertname": name, "severity": severity], startsAt: WallTime.rfc3339(startsAt, resolutionNs: 1_000_000), state: state,
                  silencedBy: state == "suppressed" ? ["s-1"] : [], receivers: [severity == "critical" ? "oncall-p1" : "oncall-p2"])
    }

    @Test func theReportSaysWhichAlertFiredWhoItWouldHavePagedAndWhatHeldItBack() throws {
        let report = Self.report(alerts: [Self.alert("SampleServiceDown", severity: "critical", startsAt: Self.wall0 + 4_300_000_000)], causes: "P1")
        let sentence = try #require(report.timeToDetect)
        #expect(sentence.hasPrefix("SampleServiceDown (severity critical, P1) fired 4.200s after the disaster"), "\(sentence)")
        #expect(sentence.hasSuffix("suppressed by silence s-1, would have paged oncall-p1"), "\(sentence)")
        let row = try #require(report.objectives.first { $0.name == "Time to detect" })
        #expect(row.result == "met")
        #expect(report.alertsSeen.map(\.priority) == ["P1"])
        #expect(!report.findings.contains { $0.contains("above the") || $0.contains("below the") })
    }

    @Test func priorityAboveOrBelowWhatTheDrillShouldCauseIsAFinding() {
        let above = Self.report(alerts: [Self.alert("SampleServiceDown", severity: "critical", startsAt: Self.wall0 + 4_300_000_000, state: "active")],
                                causes: "P2")
        #expect(above.findings.contains { $0.hasPrefix("SampleServiceDown fired as P1, above the P2 this drill should cause") })
        #expect(above.timeToDetect?.hasSuffix("paging oncall-p1") == true, "\(above.timeToDetect ?? "")")
        let below = Self.report(alerts: [Self.alert("SampleServiceSlow", severity: "warning", startsAt: Self.wall0 + 4_300_000_000)], causes: "P1")
        #expect(below.findings.contains { $0.hasPrefix("The highest alert that fired was P2, below the P1 this drill should cause") })
        #expect(below.alertsSeen.map(\.priority) == ["P2"])
    }
}

/// A project's priorities, recorded at the run's start, rank the alerts of a scenario that writes none.
@Suite struct ProjectPrioritiesTests {
    @Test func aProjectFileIsReadAndAppliesWhereTheScenarioIsSilent() throws {
        let rules = try Alerting.projectPriorities(yaml: "P1: {team: payments, severity: page}\nP3: [{severity: info}, {severity: none}]\n", file: "p.yaml")
        #expect(rules == [PriorityRule(priority: "P1", labels: ["team": "payments", "severity": "page"]),
                          PriorityRule(priority: "P3", labels: ["severity": "info"]), PriorityRule(priority: "P3", labels: ["severity": "none"])])
        #expect(throws: Alerting.PriorityFileError(message: "p.yaml: unknown priority 'P4'; give P1, P2 or P3")) {
            try Alerting.projectPriorities(yaml: "P4: {severity: x}", file: "p.yaml")
        }
        #expect(throws: Alerting.PriorityFileError.self) { try Alerting.projectPriorities(yaml: "[1, 2]", file: "p.yaml") }
        let started = RunStarted(scenario: "s", scenarioSHA256: "", firedrillVersion: "t", vars: [:], runner: RunnerIdentity(pid: 1, host: "h"), priorities: rules)
        let silent = Scenario(name: "s", phases: [])
        #expect(Alerting.effective(silent, started: started).priority(of: ["team": "payments", "severity": "page"]) == "P1")
        #expect(Alerting.effective(silent, started: nil).priority(of: ["severity": "critical"]) == "P1")
        let own = Scenario(name: "s", phases: [], alerting: Alerting(priorities: [PriorityRule(priority: "P2", labels: ["team": "payments"])], prioritiesWritten: true))
        #expect(Alerting.effective(own, started: started).priority(of: ["team": "payments", "severity": "page"]) == "P2")
    }
}
