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
        // Floor division without subtracting first: `ns - 999_999_999` overflows near Int64.min.
        var seconds = ns / 1_000_000_000
        if ns % 1_000_000_000 < 0 { seconds -= 1 }
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

extension WallTime {
    /// `2026-12-02T10:00:00Z`, `2026-12-02T11:00:00.123456789+01:00` (a space for the `T` and a
    /// lowercase `z` are read too): Unix nanoseconds and the step its fraction gives (1 s with
    /// none). nil for anything else, or out of the range nanoseconds in an Int64 hold.
    public static func parseRFC3339(_ text: String) -> (ns: Int64, resolutionNs: Int64)? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in start..<(start + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int64(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D, let day = digits(8, 2),
              [0x54, 0x74, 0x20].contains(b[10]), let hour = digits(11, 2), b[13] == 0x3A, let minute = digits(14, 2), b[16] == 0x3A,
              let second = digits(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var fraction: Int64 = 0
        var resolution: Int64 = 1_000_000_000
        if i < b.count, b[i] == 0x2E {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            let count = i - start
            guard count > 0 else { return nil }
            // Digits past nanoseconds are dropped; what is kept sets the resolution.
            let kept = min(count, 9)
            fraction = digits(start, kept)!
            for _ in kept..<9 { fraction *= 10 }
            resolution = 1
            for _ in kept..<9 { resolution *= 10 }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D, let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = digits(i + 4, 2), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // A leap second is read as the second after it.
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        guard let ns = nanoseconds(seconds: seconds, nanoseconds: fraction) else { return nil }
        return (ns, resolution)
    }

    /// `1764669600`, `1764669600.25`: Unix seconds, resolution as the digits give.
    public static func parseUnixSeconds(_ text: String) -> (ns: Int64, resolutionNs: Int64)? {
        let parts = text.trimmingSpaces.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }), whole.count <= 12,
              let seconds = Int64(whole) else { return nil }
        var fraction: Int64 = 0
        var resolution: Int64 = 1_000_000_000
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard !digits.isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
            fraction = value
            resolution = 1
            for _ in digits.count..<9 { fraction *= 10; resolution *= 10 }
        }
        return nanoseconds(seconds: seconds, nanoseconds: fraction).map { ($0, resolution) }
    }

    /// RFC 3339 in UTC, with as many fraction digits as `resolutionNs` leaves.
    public static func rfc3339(_ ns: Int64, resolutionNs: Int64 = 1_000_000_000) -> String {
        let (date, time) = parts(ns)
        var digits = 0
        var step = max(resolutionNs, 1)
        while step < 1_000_000_000, digits < 9 { step *= 10; digits += 1 }
        guard digits > 0 else { return "\(date)T\(time)Z" }
        let within = ((ns % 1_000_000_000) + 1_000_000_000) % 1_000_000_000
        var fraction = String(within)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(date)T\(time).\(fraction.prefix(digits))Z"
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
