@testable import FiredrillCommands
import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// The pieces of `firedrill serve` that need no server: the exposition text, escaping, forms,
/// and the slowing down of failed logins (on instants given, not the clock).
@Suite struct ServePartsTests {
    @Test func labelValuesAndHelpAreEscapedAsTheFormatWants() {
        #expect(DrillMetrics.escapeLabel(#"a\b"c"# + "\nd") == #"a\\b\"c\nd"#)
        #expect(DrillMetrics.escapeHelp("x\\y\nz") == #"x\\y\nz"#)
        #expect(DrillMetrics.number(3) == "3")
        #expect(DrillMetrics.number(0.25) == "0.25")
        #expect(DrillMetrics.number(1_796_187_759.704907) == "1796187759.704907")
    }

    @Test func htmlEscapesMarkupQuotesAndControlCharacters() {
        #expect(HTML.escape(#"<script>alert("x") & 'y'</script>"#) == "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;")
        #expect(HTML.escape("a\u{1B}[31mb") == "a\\x1b[31mb")
        #expect(HTML.url("a b/c?d") == "a%20b%2Fc%3Fd")
    }

    @Test func formsDecodePlusesAndPercentsAndKeepTheFirstOfARepeatedField() {
        let form = DrillServer.parseForm("note=all+good%21&csrf=abc&csrf=evil&empty=&bare")
        #expect(form["note"] == "all good!")
        #expect(form["csrf"] == "abc")
        #expect(form["empty"] == "" && form["bare"] == "")
        #expect(DrillServer.parseForm("")["x"] == nil)
    }

    @Test func failedLoginsFromAnAddressWaitLongerEachTimeAndOthersDoNot() async {
        let sessions = ServeSessions()
        let start = ContinuousClock.now
        for _ in 0..<ServeSessions.freeFailures {
            #expect(await sessions.wait(for: "10.0.0.1", now: start) == nil)
            await sessions.failed(from: "10.0.0.1", now: start)
        }
        #expect(await sessions.wait(for: "10.0.0.1", now: start) == .seconds(1))
        #expect(await sessions.wait(for: "10.0.0.1", now: start + .seconds(1)) == nil)
        await sessions.failed(from: "10.0.0.1", now: start + .seconds(1))
        #expect(await sessions.wait(for: "10.0.0.1", now: start + .seconds(1)) == .seconds(2))
        for n in 0..<20 { await sessions.failed(from: "10.0.0.1", now: start + .seconds(2 + n)) }
        #expect(await sessions.wait(for: "10.0.0.1", now: start + .seconds(21)) == ServeSessions.longestWait, "capped")
        #expect(await sessions.wait(for: "10.0.0.2", now: start + .seconds(21)) == nil, "another address is not slowed")
        #expect(await sessions.wait(for: "10.0.0.1", now: start + .seconds(21) + ServeSessions.memory + .seconds(1)) == nil, "forgotten")
        await sessions.failed(from: "10.0.0.3", now: start)
        await sessions.succeeded(from: "10.0.0.3")
        #expect(await sessions.wait(for: "10.0.0.3", now: start) == nil)
    }

    @Test func sessionsExpireAndCloseAndTheirSecretsAreRandom() async {
        let sessions = ServeSessions()
        let now = ContinuousClock.now
        let one = await sessions.open(tokenHash: "h", now: now)
        let two = await sessions.open(tokenHash: "h", now: now)
        #expect(one.id != two.id && one.csrf != two.csrf && one.id.count == 64)
        #expect(await sessions.session(one.id, now: now)?.tokenHash == "h")
        #expect(await sessions.session(one.id, now: now + ServeSessions.lifetime) == nil)
        await sessions.close(two.id)
        #expect(await sessions.session(two.id, now: now) == nil)
        let other = await sessions.open(tokenHash: "other", now: now)
        var opened: [ServeSessions.Session] = []
        for _ in 0..<(ServeSessions.perToken + 5) { opened.append(await sessions.open(tokenHash: "busy", now: now)) }
        for (index, session) in opened.enumerated() {
            let kept = await sessions.session(session.id, now: now) != nil
            #expect(kept == (index >= 5), "a token keeps its newest \(ServeSessions.perToken) sessions: session \(index)")
        }
        #expect(await sessions.session(other.id, now: now) != nil, "another token's sessions are not touched")
        #expect(constantTimeEqual("abc", "abc") && !constantTimeEqual("abc", "abd") && !constantTimeEqual("abc", "ab"))
    }
}
