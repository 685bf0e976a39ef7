import FiredrillCore

/// When a driver's call must be over, on the run's `DrillClock`: the executor passes its own
/// clock in, so a test on `ManualClock` moves a step's deadline by hand like everything else.
public struct Deadline: Sendable {
    public let clock: any DrillClock
    /// The monotonic reading it falls at; nil: no deadline.
    public let monoNs: Int64?

    public init(clock: any DrillClock, monoNs: Int64?) {
        self.clock = clock
        self.monoNs = monoNs
    }

    /// No deadline, on the system clock.
    public static let none = Deadline(clock: SystemClock(), monoNs: nil)

    public static func after(_ duration: Duration, on clock: any DrillClock = SystemClock()) -> Deadline {
        Deadline(clock: clock, monoNs: clock.now().monoNs.saturatingAdd(duration.nanosecondsClamped))
    }

    /// What is left of it, never negative; nil when there is none.
    public var remaining: Duration? { monoNs.map { .nanoseconds(max(0, $0.saturatingSubtract(clock.now().monoNs))) } }

    public var hasPassed: Bool { monoNs.map { $0 <= clock.now().monoNs } ?? false }

    /// The same instant for drivers whose timers are the system's own (sockets, processes).
    public var continuous: ContinuousClock.Instant? { remaining.map { ContinuousClock.now + $0 } }

    /// Sleeps `duration` on the clock, or until the deadline if that comes first; whether the
    /// deadline cut it short. Throws on cancellation.
    public func sleep(for duration: Duration) async throws -> Bool {
        let end = clock.now().monoNs.saturatingAdd(duration.nanosecondsClamped)
        // Cut off when the deadline comes first or at the same instant, as `hasPassed` reads it.
        let cutOff = monoNs.map { $0 <= end } ?? false
        try await clock.sleep(untilMono: cutOff ? monoNs! : end)
        return cutOff
    }
}

extension Int64 {
    /// Sums and differences of clock readings and durations saturate: a `sleep: 2562047h` waits
    /// until the end of time instead of crashing the orchestrator.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : sum
    }

    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}

extension Duration {
    /// Whole nanoseconds, saturating instead of trapping on a duration past Int64's range.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowed ? (seconds < 0 ? .min : .max) : sum
    }
}
