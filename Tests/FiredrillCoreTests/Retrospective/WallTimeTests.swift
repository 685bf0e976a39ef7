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

@Suite("WallTime: RFC 3339 and Unix seconds read")
struct WallTimeParsingTests {
    @Test func rfc3339WithFractionsAndOffsets() {
        #expect(WallTime.parseRFC3339("2026-12-02T10:00:00Z")! == (1_796_205_600_000_000_000, 1_000_000_000))
        #expect(WallTime.parseRFC3339("2026-12-02T11:30:00.25+01:30")! == (1_796_205_600_250_000_000, 10_000_000))
        #expect(WallTime.parseRFC3339("2026-12-02 10:00:00.123456789123z")! == (1_796_205_600_123_456_789, 1))
        #expect(WallTime.parseRFC3339("1969-12-31T23:59:59Z")! == (-1_000_000_000, 1_000_000_000))
        #expect(WallTime.parseRFC3339("2024-02-29T00:00:00Z") != nil)
        for bad in ["2025-02-29T00:00:00Z", "2026-12-02T10:00:00", "2026-12-02T24:00:00Z", "2026-12-02T10:00:00.Z", "2026-13-01T00:00:00Z",
                    "2026-12-02T10:00:00+0100", "2026-12-02T10:00:00Zjunk", "9999999-12-02T10:00:00Z", ""] {
            #expect(WallTime.parseRFC3339(bad) == nil, "\(bad)")
        }
        #expect(WallTime.rfc3339(1_796_205_600_250_000_000, resolutionNs: 10_000_000) == "2026-12-02T10:00:00.25Z")
        #expect(WallTime.rfc3339(1_796_205_600_250_000_000) == "2026-12-02T10:00:00Z")
    }

    @Test func unixSeconds() {
        #expect(WallTime.parseUnixSeconds("1796205600")! == (1_796_205_600_000_000_000, 1_000_000_000))
        #expect(WallTime.parseUnixSeconds("1796205600.5")! == (1_796_205_600_500_000_000, 100_000_000))
        for bad in ["", "-1", "1e9", "12.", ".5", "99999999999999"] { #expect(WallTime.parseUnixSeconds(bad) == nil, "\(bad)") }
    }
}
