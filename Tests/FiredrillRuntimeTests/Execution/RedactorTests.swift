import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

@Suite struct RedactorTests {
    static let finished = DrillEvent.attemptFinished(AttemptFinished(
        ref: .phase(0, 1), attempt: 2,
        report: DriverReport(verdict: .failed, summary: "HTTP 401 for https://api/x?token=hunter2-token",
                             stdout: CapturedOutput(text: "token=hunter2-token\nbye hunter2-to", keptBytes: 34, totalBytes: 9_000_000_000)),
        startedAt: DrillInstant(nanoseconds: 9_007_199_254_740_993), endedAt: DrillInstant(nanoseconds: 9_007_199_254_740_995)))

    @Test func masksEveryStringAndKeepsEverythingElseExactly() throws {
        let masked = try #require(Redactor(secrets: ["hunter2-token"]).redact(Self.finished))
        guard case .attemptFinished(let finished) = masked else { Issue.record("changed kind"); return }
        #expect(finished.report.summary == "HTTP 401 for https://api/x?token=***")
        // Output cut inside the secret is masked too.
        #expect(finished.report.stdout?.text == "token=***\nbye ***")
        // Numbers beyond a Double's exact range survive the round trip.
        #expect(finished.startedAt.nanoseconds == 9_007_199_254_740_993)
        #expect(finished.report.stdout?.totalBytes == 9_000_000_000)
        #expect(finished.ref == .phase(0, 1) && finished.attempt == 2 && finished.report.verdict == .failed)
    }

    @Test func anEventMaskingWouldBreakIsNotRecordedAtAll() {
        // A secret equal to a fixed value of the format ("failed") cannot be masked without breaking the event.
        #expect(Redactor(secrets: ["failed"]).redact(Self.finished) == nil)
    }

    /// What Firedrill's HTTP client makes of a secret: percent-encoded in a URL, base64 in basic auth.
    @Test func masksTheFormsTheHTTPClientDerives() {
        let secret = "p<a>ss w\"rd/&ü"
        let redactor = Redactor(secrets: [secret])
        let query = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
        let path = secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
        let password = secret.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed)!
        let strict = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        for form in [query, path, password, strict, query.lowercased(), path.lowercased()] {
            #expect(form != secret)
            #expect(redactor.redact("GET /x?token=\(form) HTTP/1.1") == "GET /x?token=*** HTTP/1.1", "\(form)")
        }
        for user in ["", "a", "ab", "abc", "drill-bot"] {
            let basic = Data("\(user):\(secret)".utf8).base64EncodedString()
            #expect(redactor.redact("authorization: Basic \(basic)\r\n") == "authorization: Basic ***\r\n", "\(user)")
            // Glued to what came before it, as in a URL-encoded echo ("Basic%20…").
            #expect(!redactor.redact("Basic%20\(basic)").contains(basic), "\(user)")
        }
        let unrelated = Data("drill-bot:something-else".utf8).base64EncodedString()
        #expect(redactor.redact("Basic \(unrelated)") == "Basic \(unrelated)")
    }
}
