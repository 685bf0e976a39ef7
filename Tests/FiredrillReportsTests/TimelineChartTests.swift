import FiredrillCore
import Testing
@testable import FiredrillReports

@Suite struct TimelineChartTests {
    @Test func numbersAreFormattedTheSameEverywhere() {
        #expect(f(0) == "0")
        #expect(f(12.34) == "12.3")
        #expect(f(12.36) == "12.4")
        #expect(f(-3.05) == "-3.1" || f(-3.05) == "-3")
        #expect(f(960) == "960")
    }

    @Test func axisTicksAreRoundAndFew() {
        #expect(TimelineChart.tickStep(0.4) == 0.05)
        #expect(TimelineChart.tickStep(7) == 1)
        #expect(TimelineChart.tickStep(75) == 10)
        #expect(TimelineChart.tickStep(4 * 3600) == 1800)
        #expect(TimelineChart.seconds(0) == "0s")
        #expect(TimelineChart.seconds(0.25) == "0.25s")
        #expect(TimelineChart.seconds(45) == "45s")
        #expect(TimelineChart.seconds(120) == "2m")
        #expect(TimelineChart.seconds(5400) == "1h30m")
    }

    @Test func labelsAreEscapedForXML() {
        #expect(TimelineChart.xml("a < b & \"c\" > d") == "a &lt; b &amp; &quot;c&quot; &gt; d")
        #expect(TimelineChart.clip(String(repeating: "x", count: 50)).count == 42)
    }

    @Test func markdownCellsSurviveAnyValue() {
        let escape = ReportRenderer.MarkdownContentType().escapeText
        #expect(escape("a|b\nc") == "a\\|b c")
    }
}
