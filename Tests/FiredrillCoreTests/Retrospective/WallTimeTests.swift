import FiredrillCore
import Testing

@Suite struct WallTimeTests {
    /// Wall-clock formatting is hand-written to keep rendering pure: check it against known dates.
    @Test func wallTimeFormatsKnownInstants() {
        #expect(WallTime.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(WallTime.iso8601(951_782_400_000_000_000) == "2000-02-29T00:00:00Z")
        #expect(WallTime.human(1_795_000_000_123_000_000) == "2026-11-18 11:06:40 UTC")
        #expect(WallTime.iso8601(-1_000_000_000) == "1969-12-31T23:59:59Z")
    }

    @Test func wallTimeConversionsReportOverflow() {
        #expect(WallTime.nanoseconds(seconds: 9_223_372_036, nanoseconds: 854_775_807) == .max)
        #expect(WallTime.nanoseconds(seconds: 9_223_372_036, nanoseconds: 854_775_808) == nil)
        #expect(WallTime.nanoseconds(seconds: 10_413_792_000, nanoseconds: 0) == nil)
        #expect(WallTime.nanoseconds(since1970: 1_795_000_000.5) == 1_795_000_000_500_000_000)
        #expect(WallTime.nanoseconds(since1970: 10_413_792_000) == nil)
        #expect(WallTime.nanoseconds(since1970: .infinity) == nil)
        #expect(WallTime.latest == "2262-04-11 23:47:16 UTC")
    }
}
