#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two clocks every truth-log line carries.
///
/// CLOCK_MONOTONIC is system-wide, so readings from the service, the drill engine and the tests
/// on the same machine can be compared directly; CLOCK_REALTIME only names backups.
enum SystemClock {
    static func monotonicNs() -> UInt64 { read(CLOCK_MONOTONIC) }

    static func realtimeNs() -> UInt64 { read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
