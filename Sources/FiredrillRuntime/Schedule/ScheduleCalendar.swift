import FiredrillCore
import Foundation

/// A schedule's planned instants in its own time zone, and what they make due.
public struct ScheduleCalendar: Sendable {
    public let schedule: DrillSchedule
    let calendar: Calendar

    public init(_ schedule: DrillSchedule) {
        self.schedule = schedule
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: schedule.timeZone) ?? TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }

    /// The first planned instant strictly after `wallNs`, looking up to five years ahead
    /// (a cron expression can name a day that never comes, like 31 February).
    public func next(after wallNs: Int64) -> Int64? {
        let cron = schedule.cron
        let after = Date(timeIntervalSince1970: Double(wallNs) / 1e9)
        let firstDay = calendar.startOfDay(for: after)
        for offset in 0..<(366 * 5) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: firstDay) else { return nil }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
                  cron.matches(month: month, day: dayOfMonth, weekday: weekday - 1) else { continue }
            for hour in cron.hours {
                for minute in cron.minutes {
                    let wanted = DateComponents(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute)
                    // A local time skipped by a daylight-saving change moves on by the gap (02:30 becomes 03:30).
                    guard let instant = calendar.date(from: wanted) else { continue }
                    // Past 2262 there is no instant to give.
                    guard let ns = WallTime.nanoseconds(since1970: instant.timeIntervalSince1970) else { return nil }
                    if ns > wallNs { return ns }
                }
            }
        }
        return nil
    }

    public func occurrences(after wallNs: Int64, count: Int) -> [Int64] {
        var out: [Int64] = []
        var cursor = wallNs
        while out.count < count, let next = next(after: cursor) {
            out.append(next)
            cursor = next
        }
        return out
    }

    /// Where a scenario stands: each period between two planned instants needs one completed
    /// drill. After the last one, the next period opens at the first planned instant and its
    /// drill is due by the one after; never drilled is overdue.
    public struct Due: Sendable, Hashable {
        public var windowOpens: Int64?
        public var deadline: Int64?
        public var overdue: Bool
        public var neverDrilled: Bool
    }

    public func due(lastDrillWallNs: Int64?, nowWallNs: Int64) -> Due {
        guard let last = lastDrillWallNs else {
            return Due(windowOpens: next(after: nowWallNs), deadline: nil, overdue: true, neverDrilled: true)
        }
        let opens = next(after: last)
        let deadline = opens.flatMap { next(after: $0) }
        return Due(windowOpens: opens, deadline: deadline, overdue: deadline.map { nowWallNs >= $0 } ?? false, neverDrilled: false)
    }

    /// `2027-04-01 09:00 Europe/Stockholm`: an instant as people in that zone read it.
    public func local(_ wallNs: Int64) -> String {
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(wallNs) / 1e9)) + " " + schedule.timeZone
    }
}
