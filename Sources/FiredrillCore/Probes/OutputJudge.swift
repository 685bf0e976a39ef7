/// One output check's result: what was asked, whether it held, and what was found.
public struct OutputCheckOutcome: Hashable, Sendable, Codable {
    public var check: String
    public var passed: Bool
    /// What the output held where the check looked: "count 0", "\"Failed\"", "not JSON at line 1, column 3: …".
    public var found: String
    public init(check: String, passed: Bool, found: String) {
        self.check = check
        self.passed = passed
        self.found = found
    }
}

/// Judges an action's output against what is asked of it (`ResolvedOutput`), on the driver's
/// report: the checks, and the inventory a `backups` step reads. Pure: the executor calls it on
/// every report of an action that asks, in its one place for driver calls.
public enum OutputJudge {
    /// `report` with its verdict and summary as the output gives them, the checks' outcomes
    /// and the inventory added, and its output cut to `keep` bytes for the record.
    /// A report that did not pass is left as it is (cut): its exit status already failed it;
    /// unless the step expects a failure (`onFailure`), whose output is then judged.
    public static func judge(_ report: DriverReport, output: ResolvedOutput, keep: Int, listedWallNs: Int64?) -> DriverReport {
        var judged = report
        judged.stdout = report.stdout.map { cut($0, to: keep) }
        judged.stderr = report.stderr.map { cut($0, to: keep) }
        let onFailure = output.onFailure == true && report.verdict == .failed
        // Expected to fail, and it passed: that pass is the verdict ("expected to fail, but it
        // passed"). Checks meant for the refusal's output must not turn it into a failure, which
        // `expect: fail` would count as the refusal expected.
        if output.onFailure == true, report.passed { return judged }
        guard report.passed || onFailure else { return judged }
        let text = report.stdout?.text ?? ""
        let cutNote = report.stdout.flatMap { $0.truncated ? " (the output was cut at \(ByteSize.describe($0.keptBytes)) of \(ByteSize.describe($0.totalBytes)))" : nil } ?? ""
        var failures: [String] = []
        if !output.checks.isEmpty {
            let outcomes = output.checks.map { judge($0, text: text, cutNote: cutNote) }
            judged.checks = outcomes
            failures += outcomes.filter { !$0.passed }.map { "expected \($0.check), found \($0.found)" }
        }
        if let format = output.inventory {
            do {
                var inventory = try format.read(text)
                inventory.listedWallNs = listedWallNs
                judged.inventory = inventory
                if failures.isEmpty { judged.summary = "\(report.summary); \(inventory.summary)" }
            } catch {
                failures.insert(error.message + cutNote, at: 0)
            }
        }
        if let first = failures.first, onFailure {
            // Refused, but not as it should have been: neither a pass nor the failure expected.
            judged.verdict = .error
            let more = failures.count > 1 ? " (and \(failures.count - 1) more check\(failures.count == 2 ? "" : "s") failed)" : ""
            judged.summary = "\(report.summary), and the output of that failure: \(first)\(more)"
        } else if let first = failures.first {
            judged.verdict = .failed
            let more = failures.count > 1 ? " (and \(failures.count - 1) more check\(failures.count == 2 ? "" : "s") failed)" : ""
            judged.summary = "\(report.summary), but the output: \(first)\(more)"
        }
        return judged
    }

    static func judge(_ check: ResolvedOutputCheck, text: String, cutNote: String) -> OutputCheckOutcome {
        let described = check.description
        if let needle = check.contains {
            let found = text.contains(needle)
            return .init(check: described, passed: found, found: found ? "it" : "not in \(excerpt(text))\(cutNote)")
        }
        if let pattern = check.matches {
            do {
                let regex = try PosixRegex(pattern)
                let found = regex.matches(text)
                return .init(check: described, passed: found, found: found ? "a match" : "no match in \(excerpt(text))\(cutNote)")
            } catch {
                return .init(check: described, passed: false, found: "an expression that does not compile: \(error.message)")
            }
        }
        guard let pathText = check.json else { return .init(check: described, passed: false, found: "no check") }
        let path: JSONPath
        do { path = try JSONPath(parsing: pathText) } catch { return .init(check: described, passed: false, found: error.description) }
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { return .init(check: described, passed: false, found: "output \(error.description)\(cutNote)") }
        let nodes = path.select(root)
        guard let expectText = check.expect else {
            return .init(check: described, passed: !nodes.isEmpty, found: nodes.isEmpty ? "nothing selected" : values(nodes))
        }
        guard let expectation = JSONExpectation(parsing: expectText) else {
            return .init(check: described, passed: false, found: "an expectation that is not \(JSONExpectation.grammar)")
        }
        switch expectation {
        case .count(let op, let n):
            return .init(check: described, passed: op.holds(Double(nodes.count), n), found: "count \(nodes.count)")
        case .value(let op, let n):
            guard !nodes.isEmpty else { return .init(check: described, passed: false, found: "nothing selected") }
            let held = nodes.allSatisfy { node in node.number.map { op.holds($0, n) } ?? false }
            return .init(check: described, passed: held, found: values(nodes))
        case .text(let equal, let expected):
            guard !nodes.isEmpty else { return .init(check: described, passed: false, found: "nothing selected") }
            let held = nodes.allSatisfy { ($0.text == expected) == equal }
            return .init(check: described, passed: held, found: values(nodes))
        }
    }

    /// The values selected, short: `3`, `"Failed"`, `3 values: 1, 2, "x"`.
    static func values(_ nodes: [JSONValue]) -> String {
        let shown = nodes.prefix(5).map { $0.summary(limit: 60) }.joined(separator: ", ")
        return nodes.count == 1 ? shown : "\(nodes.count) values: \(shown)\(nodes.count > 5 ? ", …" : "")"
    }

    /// The output's start, quoted, for a check that found nothing.
    static func excerpt(_ text: String) -> String {
        if text.isEmpty { return "an empty output" }
        let flat = text.count > 120 ? String(text.prefix(120)) + "…" : text
        return "the output (\(ByteSize.describe(text.utf8.count))): \(JSONValue.quoted(flat))"
    }

    /// The capture cut to its first `limit` bytes, as if the driver had kept only those.
    public static func cut(_ output: CapturedOutput, to limit: Int) -> CapturedOutput {
        guard output.keptBytes > limit else { return output }
        let bytes = ControlCharacters.bytes(of: output.text).prefix(limit)
        return CapturedOutput(text: ControlCharacters.escaping(bytes), keptBytes: bytes.count, totalBytes: output.totalBytes)
    }
}
