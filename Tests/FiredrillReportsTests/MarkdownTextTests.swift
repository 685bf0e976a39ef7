import FiredrillReports
import Testing

/// Values made inert in Markdown, and fences no value can close.
@Suite struct MarkdownTextTests {
    @Test func markupInAValueIsEscaped() {
        #expect(MarkdownText.escaped("[click](javascript:alert(1))") == "\\[click\\](javascript:alert(1))")
        #expect(MarkdownText.escaped("![i](x) <img src=x onerror=a()> &amp;") == "!\\[i\\](x) \\<img src=x onerror=a()\\> \\&amp;")
        #expect(MarkdownText.escaped("a | b\nc\r\nd\re") == "a \\| b c d e")
        #expect(MarkdownText.escaped("*em* _em_ `code` ~~del~~ \\") == "\\*em\\* \\_em\\_ \\`code\\` \\~\\~del\\~\\~ \\\\")
        #expect(MarkdownText.escaped("snake_case_name") == "snake_case_name")
        #expect(MarkdownText.escaped("cron 0 6 * * MON, */5 _ x") == "cron 0 6 * * MON, \\*/5 _ x")
        #expect(MarkdownText.escaped("* item") == "\\* item")
        #expect(MarkdownText.escaped("a *") == "a \\*")
        #expect(MarkdownText.escaped("esc \u{1B}[31m nul \u{0}") == "esc \\\\x1b\\[31m nul \\\\x00")
    }

    @Test func whatBeginsABlockIsEscapedOnlyWhereItWould() {
        #expect(MarkdownText.escaped("# heading") == "\\# heading")
        #expect(MarkdownText.escaped("  ## heading") == "  \\## heading")
        #expect(MarkdownText.escaped("issue #3") == "issue #3")
        #expect(MarkdownText.escaped("- item") == "\\- item")
        #expect(MarkdownText.escaped("---") == "\\---")
        #expect(MarkdownText.escaped("+1.5s") == "+1.5s")
        #expect(MarkdownText.escaped("1. first") == "1\\. first")
        #expect(MarkdownText.escaped("2) second") == "2\\) second")
        #expect(MarkdownText.escaped("1.5s") == "1.5s")
        #expect(MarkdownText.escaped("sre-team") == "sre-team")
    }

    @Test func aFenceIsLongerThanAnyRunOfBackticks() {
        #expect(MarkdownText.fence(for: "no backticks") == "```")
        #expect(MarkdownText.fence(for: "``") == "```")
        #expect(MarkdownText.fence(for: "a\n```\nb") == "````")
        #expect(MarkdownText.fence(for: "x ````` y ``") == "``````")
    }
}
