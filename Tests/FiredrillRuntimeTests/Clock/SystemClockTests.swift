import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// Clock readings Firedrill cannot hold in Int64 nanoseconds are refused, not trapped on.
@Suite struct SystemClockTests {
    @Test func aWallClockPast2262IsAnErrorNotACrash() throws {
        let mono = timespec(tv_sec: 1_000, tv_nsec: 5)
        let fine = try SystemClock.reading(monotonic: mono, wall: timespec(tv_sec: 1_795_000_000, tv_nsec: 7))
        #expect(fine == ClockReading(monoNs: 1_000_000_000_005, wallNs: 1_795_000_000_000_000_007))
        // 2300-01-01: the multiplication overflowed and the process died of SIGILL.
        let error = #expect(throws: SystemClock.OutOfRange.self) {
            try SystemClock.reading(monotonic: mono, wall: timespec(tv_sec: 10_413_792_000, tv_nsec: 0))
        }
        #expect(error?.description.contains("up to 2262-04-11 23:47:16 UTC") == true, "\(String(describing: error))")
        // The last second that fits, and the first that does not.
        #expect(throws: Never.self) { try SystemClock.reading(monotonic: mono, wall: timespec(tv_sec: 9_223_372_035, tv_nsec: 999_999_999)) }
        #expect(throws: SystemClock.OutOfRange.self) { try SystemClock.reading(monotonic: mono, wall: timespec(tv_sec: 9_223_372_036, tv_nsec: 854_775_808)) }
        // This machine's clock is fine.
        #expect(throws: Never.self) { try SystemClock.check() }
    }
}
