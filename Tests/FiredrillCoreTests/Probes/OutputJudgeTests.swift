import FiredrillCore
import Testing

@Suite("OutputJudge: output checks on a driver's report")
struct OutputJudgeTests {
    static func report(_ stdout: String, verdict: DriverReport.Verdict = .passed, total: Int? = nil) -> DriverReport {
        let kept = stdout.utf8.count
        return DriverReport(verdict: verdict, summary: verdict == .passed ? "exit 0" : "exit 1", exitStatus: verdict == .passed ? 0 : 1,
                            stdout: CapturedOutput(text: stdout, keptBytes: kept, totalBytes: total ?? kept))
    }

    static func judge(_ stdout: String, _ checks: ResolvedOutputCheck..., verdict: DriverReport.Verdict = .passed, onFailure: Bool? = nil,
                      total: Int? = nil, keep: Int = 64 * 1024) -> DriverReport {
        OutputJudge.judge(report(stdout, verdict: verdict, total: total), output: ResolvedOutput(checks: checks, onFailure: onFailure), keep: keep, listedWallNs: nil)
    }

    static let pods = #"{"items":[{"name":"a","status":{"phase":"Running"},"ready":3},{"name":"b","status":{"phase":"Running"},"ready":"2"}]}"#

    @Test func everyCheckHoldsOrTheStepFailsSayingWhatWasFound() {
        let held = Self.judge(Self.pods, .init(contains: "Running"), .init(matches: "\"name\":\"[ab]\""),
                              .init(json: "$.items[*]", expect: "count == 2"), .init(json: "$.items[*].ready", expect: ">= 2"),
                              .init(json: "$.items[*].status.phase", expect: "== Running"), .init(json: "$.items[?@.name == 'b']"))
        #expect(held.verdict == .passed)
        #expect(held.summary == "exit 0")
        #expect(held.checks?.allSatisfy(\.passed) == true)
        #expect(held.checks?.count == 6)

        let failed = Self.judge(Self.pods, .init(json: "$.items[*].ready", expect: "> 2"), .init(json: "$.items[*]", expect: "count == 3"))
        #expect(failed.verdict == .failed)
        #expect(failed.summary == "exit 0, but the output: expected $.items[*].ready > 2, found 2 values: 3, \"2\" (and 1 more check failed)")
        #expect(failed.checks?.map(\.found) == ["2 values: 3, \"2\"", "count 2"])

        let text = Self.judge(Self.pods, .init(json: "$.items[0].status.phase", expect: "!= 'Running'"))
        #expect(text.summary == "exit 0, but the output: expected $.items[0].status.phase != 'Running', found \"Running\"")
        let nothing = Self.judge(Self.pods, .init(json: "$.missing", expect: "== 1"))
        #expect(nothing.checks?.first?.found == "nothing selected")
        let absent = Self.judge("ready\n", .init(contains: "Completed"))
        #expect(absent.summary == #"exit 0, but the output: expected contains "Completed", found not in the output (6 bytes): "ready\n""#)
        let noLine = Self.judge("one\ntwo\n", .init(matches: "^wo$"))
        #expect(noLine.verdict == .failed)
        #expect(Self.judge("one\ntwo\n", .init(matches: "^two$")).verdict == .passed)
    }

    @Test func outputThatIsNotJSONFailsWithWhereParsingStopped() {
        let judged = Self.judge("{\"rows\": 3,\n \"phase\": Completed}", .init(json: "$.rows", expect: "== 3"))
        #expect(judged.verdict == .failed)
        #expect(judged.checks?.first?.found.hasPrefix("output not JSON at line 2, column 11:") == true, "\(judged.checks ?? [])")
        // Cut by the read limit: said, so the fix (filter the output) is plain.
        let cut = Self.judge("{\"rows\": [1, 2", .init(json: "$.rows"), total: 10_000_000)
        #expect(cut.checks?.first?.found.contains("(the output was cut at 14 bytes of 9.5 MiB)") == true, "\(cut.checks ?? [])")
    }

    @Test func aFailedActionIsNotJudgedUnlessTheStepExpectsTheFailure() {
        let failed = Self.judge("ok", .init(contains: "ok"), verdict: .failed)
        #expect(failed.verdict == .failed)
        #expect(failed.checks == nil)
        // Expected to fail: the refusal's output must say what it should, else it is an error (not the failure expected).
        let refused = Self.judge("403 Forbidden", .init(contains: "403"), verdict: .failed, onFailure: true)
        #expect(refused.verdict == .failed)
        #expect(refused.checks?.first?.passed == true)
        let broken = Self.judge("connection refused", .init(contains: "403"), verdict: .failed, onFailure: true)
        #expect(broken.verdict == .error)
        #expect(broken.summary.hasPrefix("exit 1, and the output of that failure: expected contains \"403\""))
        // An action expected to fail that succeeded is a pass, whatever its output: its checks describe
        // the refusal, and not holding them must not make the attacker's success look like one.
        let succeeded = Self.judge("ATTACK SUCCEEDED: 3 of 3 snapshots deleted", .init(contains: "attack refused"), verdict: .passed, onFailure: true)
        #expect(succeeded.verdict == .passed)
        #expect(succeeded.summary == "exit 0")
        #expect(succeeded.checks == nil)
    }

    @Test func theRecordKeepsNoMoreThanItsShare() {
        let long = String(repeating: "x", count: 10_000) + "needle"
        let judged = Self.judge(long, .init(contains: "needle"), keep: 4096)
        #expect(judged.verdict == .passed)
        #expect(judged.stdout?.keptBytes == 4096)
        #expect(judged.stdout?.totalBytes == 10_006)
        #expect(judged.stdout?.truncated == true)
    }

    @Test func anInventoryIsReadAndRecorded() {
        let json = #"[{"id":"s1","time":"2026-12-02T10:00:00Z"},{"id":"s2","time":1796209200}]"#
        let output = ResolvedOutput(inventory: .mapping(items: "$[*]", id: "$.id", time: "$.time", size: nil))
        let judged = OutputJudge.judge(Self.report(json), output: output, keep: 4096, listedWallNs: 42)
        #expect(judged.verdict == .passed)
        #expect(judged.inventory?.points.map(\.id) == ["s1", "s2"])
        #expect(judged.inventory?.listedWallNs == 42)
        #expect(judged.summary == "exit 0; 2 restore points, oldest s1 (2026-12-02T10:00:00Z), newest s2 (2026-12-02T11:00:00Z)")
        let empty = OutputJudge.judge(Self.report("[]"), output: output, keep: 4096, listedWallNs: 42)
        #expect(empty.verdict == .failed)
        #expect(empty.summary == "exit 0, but the output: the mapping inventory lists no restore points")
        let html = OutputJudge.judge(Self.report("<html>"), output: output, keep: 4096, listedWallNs: 42)
        #expect(html.summary == "exit 0, but the output: the mapping inventory is not JSON at line 1, column 1: unexpected character '<'")
    }

    @Test func expectationsParse() {
        #expect(JSONExpectation(parsing: "> 0") == .value(.greater, 0))
        #expect(JSONExpectation(parsing: "count >= 2") == .count(.greaterOrEqual, 2))
        #expect(JSONExpectation(parsing: "== Completed") == .text(equal: true, "Completed"))
        #expect(JSONExpectation(parsing: "!= \"a b\"") == .text(equal: false, "a b"))
        #expect(JSONExpectation(parsing: "== 3") == .value(.equal, 3))
        #expect(JSONExpectation(parsing: "~ x") == nil)
        #expect(JSONExpectation(parsing: "==") == nil)
    }
}

@Suite("PosixRegex: grep -E, without back-references")
struct PosixRegexTests {
    @Test func matchesAtLinesAndRefusesBackReferences() throws {
        #expect(try PosixRegex("^ready [0-9]+$").matches("starting\nready 42\n"))
        #expect(try !PosixRegex("^ready$").matches("not ready"))
        #expect(throws: PosixRegex.CompileError.self) { try PosixRegex("(a)\\1") }
        #expect(ScenarioValidator.Rules.regex("(a)\\1")?.contains("back-reference") == true)
        #expect(ScenarioValidator.Rules.regex("[a-") != nil)
        #expect(ScenarioValidator.Rules.regex("[\\1]") == nil)
    }

    /// A pattern that takes a backtracking matcher exponential time on this text finishes here.
    @Test(.timeLimit(.minutes(1))) func aHostileTextDoesNotMakeMatchingExplode() throws {
        let text = String(repeating: "a", count: 20_000) + "!"
        #expect(try !PosixRegex("^(a+)+$").matches(text))
        #expect(try !PosixRegex("(a|aa)*b").matches(text))
    }
}

@Suite("OutputJudge: what hostile or odd output cannot do")
struct OutputJudgeHostileTests {
    @Test func jsonIsReadFromTheBytesWrittenAndARefusalFromEitherStream() {
        let crlf = OutputJudgeTests.judge("{\"a\": 1}\r\n", .init(json: "$.a", expect: "== 1"))
        #expect(crlf.verdict == .passed, "\(crlf.summary)")
        var refused = OutputJudgeTests.report("", verdict: .failed)
        refused.stderr = CapturedOutput(text: "An error occurred (AccessDenied) when calling the DeleteObject operation", keptBytes: 70, totalBytes: 70)
        let judged = OutputJudge.judge(refused, output: ResolvedOutput(checks: [.init(matches: "AccessDenied")], onFailure: true), keep: 4096, listedWallNs: nil)
        #expect(judged.verdict == .failed)
        #expect(judged.checks?.first?.passed == true)
        // Expected to fail, and it passed: the checks meant for a refusal do not make it one.
        let succeeded = OutputJudge.judge(OutputJudgeTests.report("removed 3 snapshots"), output: ResolvedOutput(checks: [.init(contains: "append-only")], onFailure: true),
                                          keep: 4096, listedWallNs: nil)
        #expect(succeeded.verdict == .passed)
    }

    @Test(.timeLimit(.minutes(1))) func anUnanchoredPatternOverALongLineStaysLinear() throws {
        // The C library's matcher took 21 s on 100 KB of this; a Thompson NFA reads it once.
        let text = String(repeating: "1234567890", count: 40_000)
        #expect(try !PosixRegex("[0-9]+ rows").matches(text))
        #expect(try PosixRegex("[0-9]+ rows").matches(text + " rows"))
        #expect(try PosixRegex("^a(b|c){2,3}d$").matches("x\nabcbd\ny"))
        #expect(try !PosixRegex("^a(b|c){2,3}d$").matches("abd"))
        #expect(try PosixRegex("[[:digit:]]{3}-[^-]+").matches("tel 555-x"))
        #expect(try !PosixRegex("a.b").matches("a\nb"))
        #expect(try PosixRegex("(a*)*b").matches(String(repeating: "a", count: 10_000) + "b"))
        #expect(try PosixRegex("x|").matches("anything"))
        #expect(throws: PosixRegex.CompileError.self) { try PosixRegex("a{300}") }
        #expect(throws: PosixRegex.CompileError.self) { try PosixRegex("(a") }
        #expect(throws: PosixRegex.CompileError.self) { try PosixRegex("a)") }
        #expect(throws: PosixRegex.CompileError.self) { try PosixRegex("*a") }
    }
}
