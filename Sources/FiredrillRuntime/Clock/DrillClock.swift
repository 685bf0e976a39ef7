import FiredrillCore
import Foundation

/// Both clocks read at once: monotonic for durations, wall for people.
public struct ClockReading: Hashable, Sendable {
    public var monoNs: Int64
    public var wallNs: Int64
    public init(monoNs: Int64, wallNs: Int64) {
        self.monoNs = monoNs
        self.wallNs = wallNs
    }
}

/// Time as the executor sees it; the state machine never reads it.
public protocol DrillClock: Sendable {
    func now() -> ClockReading
    /// Suspends (never blocks a thread) until the monotonic clock reaches `monoNs`. Throws on cancellation.
    func sleep(untilMono monoNs: Int64) async throws
    /// Identifies the boot the monotonic clock counts from; a different boot means mono readings don't compare.
    var bootID: String { get }
}

/// CLOCK_MONOTONIC is system-wide on Linux, so readings compare across processes (a resumed
/// run, the sample service's own log); CLOCK_REALTIME for the wall.
public struct SystemClock: DrillClock {
    public init() {}

    /// A clock Firedrill cannot record: nanoseconds since 1970 in an Int64 end in 2262.
    public struct OutOfRange: Error, CustomStringConvertible {
        public var seconds: Int64
        public var description: String {
            "the system clock reads \(seconds) s since 1970, outside what Firedrill records "
                + "(nanoseconds in 64 bits: up to \(WallTime.latest)); set the clock right and try again"
        }
    }

    /// Refuses a wall clock past 2262 before anything is recorded (the commands call it first).
    public static func check() throws(OutOfRange) {
        var mono = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &wall)
        _ = try reading(monotonic: mono, wall: wall)
    }

    /// Both readings in nanoseconds, or the error for one an Int64 cannot hold.
    public static func reading(monotonic mono: timespec, wall: timespec) throws(OutOfRange) -> ClockReading {
        guard let monoNs = WallTime.nanoseconds(seconds: Int64(mono.tv_sec), nanoseconds: Int64(mono.tv_nsec)) else {
            throw OutOfRange(seconds: Int64(mono.tv_sec))
        }
        guard let wallNs = WallTime.nanoseconds(seconds: Int64(wall.tv_sec), nanoseconds: Int64(wall.tv_nsec)) else {
            throw OutOfRange(seconds: Int64(wall.tv_sec))
        }
        return ClockReading(monoNs: monoNs, wallNs: wallNs)
    }

    public func now() -> ClockReading {
        var mono = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &wall)
        if let reading = try? Self.reading(monotonic: mono, wall: wall) { return reading }
        // `check()` refused such a clock at the start; one set past 2262 during a run saturates
        // rather than crash the orchestrator with injections in flight.
        return ClockReading(monoNs: WallTime.nanoseconds(seconds: Int64(mono.tv_sec), nanoseconds: Int64(mono.tv_nsec)) ?? .max,
                            wallNs: WallTime.nanoseconds(seconds: Int64(wall.tv_sec), nanoseconds: Int64(wall.tv_nsec)) ?? .max)
    }

    public func sleep(untilMono monoNs: Int64) async throws {
        let remaining = monoNs - now().monoNs
        if remaining > 0 { try await Task.sleep(nanoseconds: UInt64(remaining)) }
        try Task.checkCancellation()
    }

    public var bootID: String {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown-boot"
    }

    /// Monotonic resolution as the kernel reports it, for "every figure carries its resolution".
    public static var monotonicResolutionNs: Int64 {
        var res = timespec()
        clock_getres(CLOCK_MONOTONIC, &res)
        return Int64(res.tv_sec) * 1_000_000_000 + Int64(res.tv_nsec)
    }
}

/// Maps clock readings onto a run's timeline (ns since the run started): by the monotonic
/// clock within one boot, by the wall clock across a reboot, since the outage went on.
public struct RunTimeline: Hashable, Sendable {
    public var startMonoNs: Int64
    public var startWallNs: Int64
    public var startBootID: String
    public var bootID: String

    public init(startMonoNs: Int64, startWallNs: Int64, startBootID: String, bootID: String) {
        self.startMonoNs = startMonoNs
        self.startWallNs = startWallNs
        self.startBootID = startBootID
        self.bootID = bootID
    }

    public func instant(_ reading: ClockReading) -> DrillInstant {
        DrillInstant(nanoseconds: bootID == startBootID ? reading.monoNs - startMonoNs : reading.wallNs - startWallNs)
    }

    /// The monotonic reading at which the timeline reaches `instant`, in this process's boot.
    public func mono(at instant: DrillInstant, now reading: ClockReading) -> Int64 {
        reading.monoNs + (instant.nanoseconds - self.instant(reading).nanoseconds)
    }
}
