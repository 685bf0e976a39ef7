/// Wall-clock nanoseconds since the Unix epoch, formatted without Foundation so rendering
/// stays pure and byte-identical: always UTC, always the same format.
public enum WallTime {
    /// The last instant nanoseconds in an Int64 can hold: `2262-04-11 23:47:16 UTC`.
    public static let latest = human(Int64.max)

    /// Seconds and nanoseconds since the epoch (a `timespec`) as nanoseconds; nil past `latest`
    /// (or before 1677), where the multiplication would overflow.
    public static func nanoseconds(seconds: Int64, nanoseconds: Int64) -> Int64? {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, carry) = scaled.addingReportingOverflow(nanoseconds)
        return carry ? nil : sum
    }

    /// Seconds since the epoch (a `Date`'s) as nanoseconds; nil outside what an Int64 holds.
    public static func nanoseconds(since1970 seconds: Double) -> Int64? {
        let ns = (seconds * 1e9).rounded()
        // 2^63 is exactly representable; Int64(exactly:) of anything at or past it is nil.
        guard ns.isFinite, ns > -9.223372036854775e18, ns < 9.223372036854775e18 else { return nil }
        return Int64(ns)
    }

    /// `2026-11-21T04:35:12Z`
    public static func iso8601(_ ns: Int64) -> String {
        let (date, time) = parts(ns)
        return "\(date)T\(time)Z"
    }

    /// `2026-11-21 04:35:12 UTC`
    public static func human(_ ns: Int64) -> String {
        let (date, time) = parts(ns)
        return "\(date) \(time) UTC"
    }

    static func parts(_ ns: Int64) -> (String, String) {
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return ("\(year)-\(two(month))-\(two(day))",
                "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))")
    }
}
