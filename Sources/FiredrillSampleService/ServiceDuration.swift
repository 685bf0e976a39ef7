import ArgumentParser
import Foundation

/// A positive duration given on the command line as a number and a unit: `10ms`, `2s`, `1.5m`.
public struct ServiceDuration: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    public let duration: Duration
    /// The text it was parsed from, passed on unchanged when `start` launches `serve`.
    public let description: String

    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    public init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = String(text.dropFirst(number.count))
        guard let value = Double(number), value > 0,
              let scale = Self.units.first(where: { $0.suffix == unit })?.nanoseconds
        else { return nil }
        let total = (value * scale).rounded()
        guard total >= 1, total < Double(Int64.max) else { return nil }
        duration = .nanoseconds(Int64(total))
        description = text
    }
}
