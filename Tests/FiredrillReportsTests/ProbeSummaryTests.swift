import FiredrillCore
import Testing
@testable import FiredrillReports

/// The report's probe table and timeline from a replay that keeps no samples: exact
/// percentiles however many samples there are, and a chart that draws none of them.
@Suite struct ProbeSummaryTests {
    static let ref = StepRef.phase(0, 0)
    static let scenario = Scenario(name: "probes", phases: [Phase(name: "wait", steps: [
        Step(name: "database up", action: .waitFor(WaitFor(probe: .tcp(TCPProbe(address: "db:5432")), every: .milliseconds(1))), mark: "recovered"),
    ])])

    /// A run whose one `wait_for` takes `latencies` (in this order, all failing but the last),
    /// its last sample starting at 9 s however many there are.
    static func report(latencies: [Int64]) -> DrillReport {
        var machine = DrillMachine(scenario: scenario, keepsSamples: false)
        _ = machine.apply(.runStarted(RunStarted(scenario: "probes", scenarioSHA256: "", firedrillVersion: "t", vars: [:],
                                                 runner: RunnerIdentity(pid: 1, host: "h"))), at: .start)
        _ = machine.apply(.attemptStarted(AttemptStarted(ref: ref, attempt: 1, action: .tcp(host: "db", port: 5432, timeout: nil))), at: .start)
        for (index, latency) in latencies.enumerated() {
            let start = DrillInstant(nanoseconds: Int64(index) * 9_000_000_000 / Int64(latencies.count - 1))
            let passed = index == latencies.count - 1
            let report = DriverReport(verdict: passed ? .passed : .failed, summary: passed ? "connected" : "refused")
            _ = machine.apply(.probeSampled(ProbeSampled(ref: ref, attempt: 1, sample: index + 1, report: report, startedAt: start,
                                                         endedAt: start + DrillDuration(nanoseconds: latency))),
                              at: DrillInstant(nanoseconds: 10_000_000_000))
        }
        let retrospective = RetrospectiveInput(runID: "r", scenario: scenario, scenarioSHA256: "", startedWallNs: 0, endedWallNs: nil,
                                               state: machine.state, measurement: DrillMeasurement(scenario: scenario, state: machine.state))
        return DrillReport(ReportInput(retrospective: retrospective, vars: [:], chainBreak: nil, firedrillVersion: "t", asOf: "2026-12-01"),
                           status: machine.state.status)
    }

    @Test func percentilesAreExactAtAnyCount() {
        // 1 ms to 20 s in 1 ms steps, shuffled: the nearest-rank percentiles are known exactly.
        var random = SystemRandomNumberGenerator()
        let latencies = (1...20_000).map { Int64($0) * 1_000_000 }.shuffled(using: &random)
        let probes = Self.report(latencies: latencies).probes
        #expect(probes == [DrillReport.ProbeSummary(step: "database up", samples: 20_000, failures: 19_999, p50: "10.000s", p90: "18.000s",
                                                    p99: "19.800s", max: "20.000s")])
        let few = Self.report(latencies: [3_000_000, 1_000_000, 2_000_000]).probes
        #expect(few.map { [$0.p50, $0.p90, $0.p99, $0.max] } == [["0.002s", "0.003s", "0.003s", "0.003s"]])
    }

    @Test func theChartIsTheSameForTenSamplesAsForTwentyThousand() {
        let few = Self.report(latencies: Array(repeating: 1_000_000, count: 10))
        let many = Self.report(latencies: Array(repeating: 1_000_000, count: 20_000))
        #expect(few.timelineSVG == many.timelineSVG)
        #expect(many.attempts.map(\.probeCount) == [20_000])
    }
}
