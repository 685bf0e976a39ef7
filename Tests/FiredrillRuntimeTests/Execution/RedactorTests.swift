import FiredrillCore
import FiredrillRuntime
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
}
