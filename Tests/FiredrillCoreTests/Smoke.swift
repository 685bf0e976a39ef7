import FiredrillCore
import Testing

/// Wall-clock formatting is hand-written to keep rendering pure: check it against known dates.
@Test func wallTimeFormatsKnownInstants() {
    #expect(WallTime.iso8601(0) == "1970-01-01T00:00:00Z")
    #expect(WallTime.iso8601(951_782_400_000_000_000) == "2000-02-29T00:00:00Z")
    #expect(WallTime.human(1_795_000_000_123_000_000) == "2026-11-18 11:06:40 UTC")
    #expect(WallTime.iso8601(-1_000_000_000) == "1969-12-31T23:59:59Z")
}
