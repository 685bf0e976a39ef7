/// A point on a run's own timeline: nanoseconds since the run started. The executor
/// derives it from the monotonic clock (the wall clock only across a reboot), so the
/// machine never reads a clock itself.
public struct DrillInstant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static let start = DrillInstant(nanoseconds: 0)

    public static func < (lhs: DrillInstant, rhs: DrillInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    public static func + (lhs: DrillInstant, rhs: DrillDuration) -> DrillInstant { .init(nanoseconds: lhs.nanoseconds + rhs.nanoseconds) }
    public static func - (lhs: DrillInstant, rhs: DrillInstant) -> DrillDuration { .init(nanoseconds: lhs.nanoseconds - rhs.nanoseconds) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// `+12.345s`, as offsets are shown in timelines.
    public var description: String { "+" + Self.format(seconds: seconds) + "s" }

    static func format(seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let sign = millis < 0 ? "-" : ""
        let m = abs(millis)
        let frac = String(m % 1000)
        return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}

extension DrillDuration {
    /// `1.250s`: fixed millisecond precision for tables and reports.
    public var secondsText: String { DrillInstant.format(seconds: seconds) + "s" }

    /// `7.250s` under an hour; past it `7d3h20m5s (619205.250s)`, ages of backups being days.
    public var ageText: String {
        guard abs(nanoseconds) >= 3_600_000_000_000 else { return secondsText }
        return "\(DrillDuration(nanoseconds: nanoseconds / 1_000_000_000 * 1_000_000_000).description) (\(secondsText))"
    }
}
