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

    public func now() -> ClockReading {
        var mono = timespec()
        var wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &wall)
        return ClockReading(monoNs: Int64(mono.tv_sec) * 1_000_000_000 + Int64(mono.tv_nsec),
                            wallNs: Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec))
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
