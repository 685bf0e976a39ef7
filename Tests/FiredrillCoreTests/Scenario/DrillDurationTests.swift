import FiredrillCore
import Testing

@Suite("DrillDuration")
struct DrillDurationTests {
    static let valid: [(String, DrillDuration)] = [
        ("250ms", .milliseconds(250)),
        ("30s", .seconds(30)),
        ("5m", .minutes(5)),
        ("4h", .hours(4)),
        ("7d", .hours(7 * 24)),
        ("1h30m", .minutes(90)),
        ("1d2h3m4s5ms", DrillDuration(nanoseconds: 93_784_005_000_000)),
        ("1m500ms", .milliseconds(60_500)),
        ("0s", .zero),
        ("0ms", .zero),
        ("  45s\t", .seconds(45)),
        ("007s", .seconds(7)),
        // The largest whole days that fit, then one hour short of overflowing.
        ("106751d", .hours(106_751 * 24)),
        ("106751d23h", .hours(106_751 * 24 + 23)),
    ]

    @Test(arguments: valid)
    func parsesValidForms(_ text: String, _ expected: DrillDuration) {
        #expect(DrillDuration(parsing: text) == expected)
    }

    @Test(arguments: [
        "", "   ", "30", "s", "ms30", "30x", "30S", "5M", "1.5s", "-5s", "+5s", "5 s", "1h 30m", "1h30",
        // Units go from large to small, each at most once.
        "30m1h", "1h1h", "500ms1s",
        // Too many digits, and products or sums past Int64.
        "1000000000000ms", "106752d", "106751d24h",
        // Non-ASCII digits and unknown letters.
        "٣s", "5µs",
    ])
    func rejectsInvalidForms(_ text: String) {
        #expect(DrillDuration(parsing: text) == nil)
    }

    static let spellings: [(DrillDuration, String)] = [
        (.zero, "0s"),
        (.milliseconds(250), "250ms"),
        (.seconds(30), "30s"),
        (.minutes(90), "1h30m"),
        (.milliseconds(1_500), "1s500ms"),
        (.seconds(90_061), "1d1h1m1s"),
        (DrillDuration(nanoseconds: 1), "1ns"),
        (DrillDuration(nanoseconds: 1_000_000_001), "1s1ns"),
    ]

    @Test(arguments: spellings)
    func descriptionIsTheShortestExactSpelling(_ duration: DrillDuration, _ expected: String) {
        #expect(duration.description == expected)
    }

    @Test(arguments: ["250ms", "30s", "1h30m", "7d", "1d1h1m1s1ms", "0s"])
    func descriptionParsesBack(_ text: String) throws {
        let duration = try #require(DrillDuration(parsing: text))
        #expect(DrillDuration(parsing: duration.description) == duration)
        #expect(duration.description == text)
    }

    @Test func negativeDurationsHaveADescription() {
        // Differences of instants can be negative (a mark before another); they must still print.
        let negative = t(1) - t(2.5)
        #expect(negative == DrillDuration(nanoseconds: -1_500_000_000))
        #expect(negative.secondsText == "-1.500s")
        do {
            #expect(negative.description == "-1s500ms")
        }
    }

    @Test func arithmeticAndOrder() {
        #expect(DrillDuration.seconds(1) + .milliseconds(500) == .milliseconds(1_500))
        #expect(DrillDuration.seconds(2) * 3 == .seconds(6))
        #expect(DrillDuration.milliseconds(999) < .seconds(1))
        #expect(DrillDuration.milliseconds(1_250).seconds == 1.25)
        #expect(DrillDuration.milliseconds(1_250).secondsText == "1.250s")
    }
}
