import FiredrillCore
import Testing

/// Time to detect through the alerting chain: an `alert` probe's `detected` mark, measured from
/// the alert's own startsAt and bounded by when the probe saw it; guards that hold while no such
/// alert fires; the alerts seen kept once each.
@Suite("DrillMachine: detection by alert")
struct DrillMachineAlertTests {
    static let am = "http://127.0.0.1:9093"
    static let wall0: Int64 = 1_796_205_600 * 1_000_000_000  // the wall clock at t = 0
    static var down: Probe {
        Action(AlertProbe(alertmanager: Template(am), matchers: [Silence.Matcher(name: "alertname", value: "SampleServiceDown")]))
    }

    static func scenario(detect: DrillDuration = .seconds(10)) -> Scenario {
        Scenario(name: "alerts", objectives: .init(detect: detect), phases: [Phase(name: "p", steps: [
            Drill.cmd("kill", mark: "disaster"),
            Step(name: "the alert fires", action: .waitFor(WaitFor(probe: down, every: .milliseconds(500))), timeout: .minutes(1), mark: "detected"),
        ])], alerting: Alerting(causes: "P1"))
    }

    static func alert(startsAt: Int64, state: String = "suppressed") -> AlertSeen {
        AlertSeen(labels: ["alertname": "SampleServiceDown", "severity": "critical"], startsAt: WallTime.rfc3339(startsAt, resolutionNs: 1_000_000),
                  state: state, silencedBy: ["silence-1"], receivers: ["oncall-p1"], fingerprint: "f1")
    }

    /// Kill at 1.0–1.1 s; polls every 0.5 s from 1.1 s, each 10 ms; the alert shows from the poll at `seenAt`.
    static func run(startsAt: Int64, seenAt: Double, scenario: Scenario = scenario()) -> ScriptedRun {
        var run = ScriptedRun(scenario)
        run.start()
        run.begin(.phase(0, 0), at: t(1))
        run.end(.phase(0, 0), at: t(1.1))
        run.begin(.phase(0, 1), at: t(1.1))
        var at = 1.1
        while at < 10 {
            let seen = at >= seenAt
            let observation = AlertObservation(alerts: seen ? [alert(startsAt: startsAt)] : [], observedWallNs: wall0 + Int64((at + 0.01) * 1e9))
            let report = DriverReport(verdict: seen ? .passed : .failed, summary: seen ? "SampleServiceDown suppressed" : "no matching alert", alerts: observation)
            let before = run.state.attempts.last?.verdict
            run.sample(.phase(0, 1), passed: seen, from: t(at), taking: .milliseconds(10), report: report)
            if before == nil, run.state.mark("detected") != nil { break }
            at += 0.5
        }
        return run
    }

    @Test func timeToDetectIsTheAlertsStartBoundedByWhenTheProbeSawIt() throws {
        // Fired 3.4 s into the run (Prometheus's clock agrees), seen by the poll at 4.1 s.
        let run = Self.run(startsAt: Self.wall0 + 3_400_000_000, seenAt: 4.1)
        let m = DrillMeasurement(scenario: Self.scenario(), state: run.state)
        let span = try #require(m.timeToDetect)
        func near(_ d: DrillDuration, _ ms: Int64) -> Bool { abs(d.nanoseconds - ms * 1_000_000) < 1_000 }
        #expect(near(span.value, 2300), "\(span.value)")   // 3.4 − 1.1 (the kill's end: the disaster mark's instant)
        #expect(near(span.lower, 2299), "\(span.lower)")   // 3.4 − 0.001 (startsAt's resolution) − 1.1 (the mark's latest)
        #expect(near(span.upper, 3110), "\(span.upper)")   // seen by 4.11 − 1.0 (the mark's earliest)
        #expect(span.resolutionSource == "alert probe period")
        #expect(m.detection?.alert.name == "SampleServiceDown")
        #expect(m.detection?.clockNote == nil)
        #expect(m.detectObjective?.verdict == .met)
        let headline = RunHeadline(scenario: "alerts", status: .completed, measurement: m)
        #expect(headline.detectedBy == "SampleServiceDown")
        #expect(headline.detectObjective?.verdict == .met)
        #expect(run.state.alertsSeen.count == 1)
        #expect(DrillMachine.replay(Self.scenario(), events: run.log).state.alertsSeen == run.state.alertsSeen)
    }

    @Test func aStartAfterTheProbeSawItIsAClockDisagreementNotAFigure() throws {
        let run = Self.run(startsAt: Self.wall0 + 60_000_000_000, seenAt: 2.1)
        let m = DrillMeasurement(scenario: Self.scenario(detect: .seconds(1)), state: run.state)
        #expect(m.detection?.clockNote?.contains("clock") == true)
        let span = try #require(m.timeToDetect)
        #expect(span.upper <= .milliseconds(1120))
        #expect(m.detectObjective?.verdict == .missed || m.detectObjective?.verdict == .undetermined)
    }

    @Test func aGuardExpectingFailHoldsOnANoAndTripsOnAnAlertOrAnError() {
        let guardProbe = Action(AlertProbe(alertmanager: Template(Self.am), matchers: [Silence.Matcher(name: "severity", value: "critical")]))
        let scenario = Scenario(name: "g", phases: [Phase(name: "p", steps: [Step(name: "wait", action: .sleep(.seconds(60)))])],
                                guards: [Guard(name: "no P1", probe: guardProbe, every: .seconds(1), tripAfter: 2, expect: .fail)])
        var run = ScriptedRun(scenario)
        run.start()
        run.begin(.phase(0, 0))
        run.guardSample(0, verdict: .failed, alerts: true)    // Alertmanager's list, without one: holds
        run.guardSample(0, verdict: .passed, alerts: true)    // one fires: 1 of 2
        #expect(run.state.guardTrip == nil)
        run.guardSample(0, verdict: .error)                   // Alertmanager down: nothing seen, 2 of 2
        #expect(run.state.guardTrip?.name == "no P1")
    }
}

@Suite("DrillMachine: a stale alert measures nothing")
struct DrillMachineStaleAlertTests {
    @Test func anAlertFiringBeforeTheDisasterIsNoDetection() {
        // Firing since a minute before the run: seen by the first poll, but not caused by the drill.
        let run = DrillMachineAlertTests.run(startsAt: DrillMachineAlertTests.wall0 - 60_000_000_000, seenAt: 1.1)
        let m = DrillMeasurement(scenario: DrillMachineAlertTests.scenario(), state: run.state)
        #expect(m.timeToDetect == nil)
        #expect(m.detectUnknownBecause?.hasPrefix("the alert the probe saw, SampleServiceDown, was firing before the disaster") == true)
        #expect(m.detectObjective?.verdict == .unmeasured)
    }
}

@Suite("DrillMachine: an alert probe that cannot see")
struct DrillMachineBlindAlertTests {
    @Test func aWaitForNoAlertDoesNotTakeAnErrorAsTheNoAwaitedAndRE2IsRefused() {
        let probe = Action(AlertProbe(alertmanager: "http://127.0.0.1:1", matchers: [Silence.Matcher(name: "alertname", value: "Watchdog")]))
        let scenario = Scenario(name: "heartbeat", phases: [Phase(name: "p", steps: [
            Step(name: "the heartbeat is gone", action: .waitFor(WaitFor(probe: probe, expect: .fail, every: .milliseconds(100))), timeout: .seconds(5)),
        ])])
        var run = ScriptedRun(scenario)
        run.start()
        run.begin(.phase(0, 0))
        let down = DriverReport(verdict: .error, summary: "Alertmanager: connection refused")
        run.sample(.phase(0, 0), passed: false, report: down)
        run.sample(.phase(0, 0), passed: false, report: down)
        #expect(run.state.attempts[0].verdict == nil, "still waiting: an error is no answer")
        run.sample(.phase(0, 0), passed: false, report: DriverReport(verdict: .failed, summary: "no matching alert firing", alerts: AlertObservation(alerts: [])))
        #expect(run.state.attempts[0].verdict == .passed)
        #expect(ScenarioValidator.Rules.matcher(Silence.Matcher(name: "instance", value: "node\\d+", isRegex: true))?.contains("RE2") == true)
        #expect(ScenarioValidator.Rules.matcher(Silence.Matcher(name: "instance", value: "node[0-9]+\\.example", isRegex: true)) == nil)
    }
}
