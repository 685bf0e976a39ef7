import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

@Suite struct ScheduleCalendarTests {
    static func ns(_ iso: String) -> Int64 {
        Int64((ISO8601DateFormatter().date(from: iso)!.timeIntervalSince1970 * 1e9).rounded())
    }
    static func iso(_ ns: Int64?) -> String? { ns.map { WallTime.iso8601($0) } }

    func calendar(_ rule: DrillSchedule.Rule, _ zone: String = "UTC") -> ScheduleCalendar {
        ScheduleCalendar(DrillSchedule(rule: rule, timeZone: zone))
    }

    @Test func namedRulesPlanTheFirstDayOfTheirPeriod() {
        #expect(Self.iso(calendar(.quarterly).next(after: Self.ns("2026-11-21T10:00:00Z"))) == "2027-01-01T09:00:00Z")
        #expect(Self.iso(calendar(.monthly).next(after: Self.ns("2026-11-21T10:00:00Z"))) == "2026-12-01T09:00:00Z")
        #expect(Self.iso(calendar(.yearly).next(after: Self.ns("2027-01-01T09:00:00Z"))) == "2028-01-01T09:00:00Z", "strictly after")
        // 09:00 in Stockholm is 08:00 UTC in winter, 07:00 in summer.
        let stockholm = calendar(.quarterly, "Europe/Stockholm")
        #expect(stockholm.occurrences(after: Self.ns("2026-11-21T00:00:00Z"), count: 3).map { WallTime.iso8601($0) }
                == ["2027-01-01T08:00:00Z", "2027-04-01T07:00:00Z", "2027-07-01T07:00:00Z"])
        #expect(stockholm.local(Self.ns("2027-04-01T07:00:00Z")) == "2027-04-01 09:00 Europe/Stockholm")
    }

    @Test func cronWithBothDayFieldsAndADaylightSavingGap() throws {
        let either = calendar(.cron(try CronExpression.parse("30 2 1 * SUN").get()), "Europe/Stockholm")
        // 2027-03-28 is a Sunday, and 02:30 does not exist there that night: it moves on by the gap, to 03:30 local.
        let after = Self.ns("2027-03-20T00:00:00Z")
        #expect(Self.iso(either.next(after: after)) == "2027-03-21T01:30:00Z")
        #expect(Self.iso(either.next(after: Self.ns("2027-03-22T00:00:00Z"))) == "2027-03-28T01:30:00Z")
        #expect(Self.iso(either.next(after: Self.ns("2027-03-29T00:00:00Z"))) == "2027-04-01T00:30:00Z")
        let never = calendar(.cron(try CronExpression.parse("0 9 31 2 *").get()))
        #expect(never.next(after: Self.ns("2026-11-21T00:00:00Z")) == nil)
    }

    @Test func eachPeriodNeedsOneDrill() {
        let quarterly = calendar(.quarterly)
        let last = Self.ns("2026-11-21T10:00:00Z")
        let inQ1 = quarterly.due(lastDrillWallNs: last, nowWallNs: Self.ns("2027-03-31T23:00:00Z"))
        #expect(Self.iso(inQ1.windowOpens) == "2027-01-01T09:00:00Z")
        #expect(Self.iso(inQ1.deadline) == "2027-04-01T09:00:00Z")
        #expect(!inQ1.overdue)
        #expect(quarterly.due(lastDrillWallNs: last, nowWallNs: Self.ns("2027-04-01T09:00:00Z")).overdue)
        let never = quarterly.due(lastDrillWallNs: nil, nowWallNs: last)
        #expect(never.neverDrilled && never.overdue)
        #expect(Self.iso(never.windowOpens) == "2027-01-01T09:00:00Z")
    }
}
