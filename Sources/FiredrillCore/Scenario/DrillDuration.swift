/// A length of time as scenario authors write it: `250ms`, `30s`, `5m`, `4h`, `7d`,
/// or a combination such as `1h30m`. Held in nanoseconds.
public struct DrillDuration: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func milliseconds(_ value: Int64) -> DrillDuration { .init(nanoseconds: value * 1_000_000) }
    /// Up to the next whole millisecond: a resolution is never claimed finer than it was.
    public var wholeMillisecondsUp: DrillDuration {
        let ms: Int64 = 1_000_000
        return .init(nanoseconds: nanoseconds <= 0 ? 0 : ((nanoseconds + ms - 1) / ms) * ms)
    }
    public static func seconds(_ value: Int64) -> DrillDuration { .init(nanoseconds: value * 1_000_000_000) }
    public static func minutes(_ value: Int64) -> DrillDuration { .seconds(value * 60) }
    public static func hours(_ value: Int64) -> DrillDuration { .seconds(value * 3600) }
    public static let zero = DrillDuration(nanoseconds: 0)

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: DrillDuration, rhs: DrillDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    public static func + (lhs: DrillDuration, rhs: DrillDuration) -> DrillDuration {
        .init(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }
    public static func * (lhs: DrillDuration, rhs: Int64) -> DrillDuration { .init(nanoseconds: lhs.nanoseconds * rhs) }

    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// Parses `250ms`, `30s`, `5m`, `4h`, `7d` and sums such as `1h30m`; nil when malformed.
    public init?(parsing text: String) {
        let chars = Array(text.trimmingSpaces)
        guard !chars.isEmpty else { return nil }
        var total: Int64 = 0
        var index = 0
        var lastUnitRank = Int.max
        while index < chars.count {
            var digits = ""
            while index < chars.count, chars[index].isASCII, chars[index].isNumber {
                digits.append(chars[index]); index += 1
            }
            var unit = ""
            while index < chars.count, chars[index].isLetter {
                unit.append(chars[index]); index += 1
            }
            guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits),
                  let rank = Self.units.firstIndex(where: { $0.suffix == unit }),
                  // Units go from large to small, each at most once: `1h30m`, not `30m1h`.
                  rank < lastUnitRank
            else { return nil }
            lastUnitRank = rank
            let (product, overflow) = value.multipliedReportingOverflow(by: Self.units[rank].nanoseconds)
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow2 else { return nil }
            total = sum
        }
        self.nanoseconds = total
    }

    /// The shortest exact spelling: `1h30m`, `250ms`, `0s`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        if nanoseconds == .min { return "\(nanoseconds)ns" }
        if nanoseconds < 0 { return "-" + DrillDuration(nanoseconds: -nanoseconds).description }
        var rest = nanoseconds
        var parts = ""
        for (suffix, size) in Self.units.reversed() where rest >= size {
            parts += "\(rest / size)\(suffix)"
            rest %= size
        }
        if rest > 0 { parts += "\(rest)ns" }
        return parts
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return s
    }
}
