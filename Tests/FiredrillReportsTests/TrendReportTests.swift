import FiredrillCore
import Testing
@testable import FiredrillReports

@Suite struct TrendReportTests {
    static func ns(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        // Days since the epoch (Howard Hinnant's days_from_civil), at 10:00 UTC.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (Int64(era * 146_097 + doe - 719_468) * 86_400 + 36_000) * 1_000_000_000
    }

    func drill(_ id: String, _ at: Int64, _ status: RunStatus, rto: Double?, rpo: Double?) -> TrendInput {
        TrendInput(runID: id, status: status, startedWallNs: at, rtoSeconds: rto, rpoSeconds: rpo,
                   rtoObjective: .minutes(5), rpoObjective: .seconds(30))
    }

    /// A value within the objective whose bounds are not is no pass: the verdict from the bounds wins.
    @Test func aDrillWhoseObjectiveIsUndeterminedDoesNotPassItsQuarter() {
        var straddled = drill("r1", Self.ns(2026, 2, 10), .completed, rto: 120, rpo: 5)
        straddled.rtoVerdict = .undetermined
        straddled.rpoVerdict = .met
        var missed = drill("r2", Self.ns(2026, 5, 10), .completed, rto: 120, rpo: 5)
        missed.rtoVerdict = .missed
        let trend = TrendReport([(name: "db", title: "db", rto: .minutes(5), rpo: .seconds(30), drills: [straddled, missed], actions: [])],
                                asOf: "2026-12-31")
        let scenario = trend.scenarios[0]
        #expect(scenario.drills.map(\.result) == ["undetermined", "missed"])
        #expect(scenario.drills[0].rtoMet == nil)
        #expect(scenario.quarters.map(\.result) == ["fail", "fail"])
    }

    @Test func quartersPassOnlyWithADrillWithinEveryObjective() {
        let trend = TrendReport([(name: "db", title: "Lose the database", rto: .minutes(5), rpo: .seconds(30), drills: [
            drill("r3", Self.ns(2026, 8, 3), .completed, rto: 400, rpo: 10),     // Q3: RTO missed
            drill("r1", Self.ns(2026, 2, 10), .completed, rto: 120, rpo: 5),     // Q1: met
            drill("r4", Self.ns(2026, 11, 2), .failed, rto: nil, rpo: nil),      // Q4: failed
            drill("r5", Self.ns(2026, 12, 1), .completed, rto: 200, rpo: 12),    // Q4: met
        ], actions: [])], asOf: "2026-12-31")
        let scenario = trend.scenarios[0]
        #expect(scenario.drills.map(\.runID) == ["r1", "r3", "r4", "r5"], "oldest first")
        #expect(scenario.drills.map(\.result) == ["met", "missed", "failed", "met"])
        #expect(scenario.drills[1].rtoMet == false && scenario.drills[1].rpoMet == true)
        #expect(scenario.quarters.map { "\($0.quarter) \($0.drills) \($0.met) \($0.result)" }
                == ["2026-Q1 1 1 pass", "2026-Q2 0 0 fail", "2026-Q3 1 0 fail", "2026-Q4 2 1 pass"])
        // One point per measured drill, coloured by the objective; the failed one is marked unmeasured.
        #expect(scenario.rtoChartSVG.components(separatedBy: "<circle class=\"point\"").count - 1 == 3)
        #expect(scenario.rtoChartSVG.contains("fill=\"#c0392b\"><title>2026-08-03: 400s</title>"))
        #expect(scenario.rtoChartSVG.contains("fill=\"#3c9a5f\"><title>2026-02-10: 2m</title>"))
        #expect(scenario.rtoChartSVG.contains("objective 5m"))
        #expect(scenario.rtoChartSVG.contains("<title>not measured</title>"))
    }
}
