/// `output: {contains: TEXT}`, `{matches: REGEX}` or `{json: PATH, expect: "OP N" | "== TEXT" |
/// "count OP N"}`: what a `run`, `shell` or `http` probe's output (standard output, or the
/// response body) must hold for it to pass, beyond its exit status or HTTP status.
public struct OutputCheck: Hashable, Sendable {
    public enum Test: Hashable, Sendable {
        case contains(Template)
        /// A POSIX extended regular expression, as `grep -E` reads it, `^` and `$` at each line.
        case matches(String)
        /// `expect` is nil for "the path selects something".
        case json(path: String, expect: Template?)
    }

    public var test: Test
    public var location: SourceLocation

    public init(_ test: Test, at location: SourceLocation = .synthesized()) {
        self.test = test
        self.location = location
    }

    public var templates: [Template] {
        switch test {
        case .contains(let text): [text]
        case .matches: []
        case .json(_, let expect): expect.map { [$0] } ?? []
        }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedOutputCheck {
        switch test {
        case .contains(let text): .init(contains: try scope.resolve(text))
        case .matches(let pattern): .init(matches: pattern)
        case .json(let path, let expect): .init(json: path, expect: try scope.resolveOptional(expect))
        }
    }

    /// The kinds whose output can be checked.
    public static let kinds = ["run", "shell", "http", "ssh", "kubectl"]
}

/// An output check with every `${...}` substituted, as the record holds it; judged by
/// `OutputJudge` on what the driver captured.
public struct ResolvedOutputCheck: Hashable, Sendable, Codable, CustomStringConvertible {
    public var contains: String?
    public var matches: String?
    public var json: String?
    public var expect: String?

    public init(contains: String? = nil, matches: String? = nil, json: String? = nil, expect: String? = nil) {
        self.contains = contains
        self.matches = matches
        self.json = json
        self.expect = expect
    }

    public var description: String {
        if let contains { return "contains \(JSONValue.quoted(contains))" }
        if let matches { return "matches /\(matches)/" }
        if let json { return expect.map { "\(json) \($0)" } ?? "\(json) exists" }
        return "nothing"
    }
}

/// What a run, shell or http action's output is read for: checks that must hold, and the
/// backup inventory a `backups` step reads from it. Kept in the resolved action, so the record
/// says what was asked of the output.
public struct ResolvedOutput: Hashable, Sendable, Codable {
    public var checks: [ResolvedOutputCheck]
    public var inventory: InventoryFormat?
    /// For a step that expects to fail: its checks are judged on the failure's output (the
    /// refusal must say what it should), and a check that does not hold makes it an error.
    public var onFailure: Bool?
    public init(checks: [ResolvedOutputCheck] = [], inventory: InventoryFormat? = nil, onFailure: Bool? = nil) {
        self.checks = checks
        self.inventory = inventory
        self.onFailure = onFailure
    }

    /// nil when nothing is asked, so records of actions without checks keep their form.
    public static func of(_ checks: [ResolvedOutputCheck], inventory: InventoryFormat? = nil) -> ResolvedOutput? {
        checks.isEmpty && inventory == nil ? nil : ResolvedOutput(checks: checks, inventory: inventory)
    }

    /// Judged output is read up to this much; the record keeps no more than its usual share of it.
    public static let readLimit = 4 * 1024 * 1024
}

/// The resolved forms whose output can be checked (`run`, `shell`, `http`).
public protocol OutputReading: ResolvedSpec {
    var output: ResolvedOutput? { get }
}

extension ResolvedAction {
    /// What is asked of this action's output, if anything.
    public var output: ResolvedOutput? { (spec as? any OutputReading)?.output }

    /// This action with what is asked of its output changed; as it is for a kind without output.
    public func changingOutput(_ change: (inout ResolvedOutput) -> Void) -> ResolvedAction {
        func changed(_ output: ResolvedOutput?) -> ResolvedOutput {
            var output = output ?? ResolvedOutput()
            change(&output)
            return output
        }
        switch spec {
        case var run as ResolvedRun:
            run.output = changed(run.output)
            return ResolvedAction(run)
        case var shell as ResolvedShell:
            shell.output = changed(shell.output)
            return ResolvedAction(shell)
        case var http as ResolvedHTTP:
            http.output = changed(http.output)
            return ResolvedAction(http)
        default:
            return self
        }
    }
}

/// `expect` of a JSON check: `> 0`, `count == 2`, `== running`, `!= 'Failed'`.
public enum JSONExpectation: Hashable, Sendable, CustomStringConvertible {
    /// Every selected value is a number (or a string holding one) satisfying it; none selected fails.
    case value(PromExpectation.Comparison, Double)
    /// The number of selected values.
    case count(PromExpectation.Comparison, Double)
    /// Every selected value, as text (a string's characters, a number as written, true, false,
    /// null), is (or, `!=`, is not) this text; none selected fails.
    case text(equal: Bool, String)

    /// nil when `text` is none of these forms.
    public init?(parsing text: String) {
        let trimmed = String(text.trimmingSpaces)
        if let parsed = PromExpectation(parsing: trimmed) {
            self = parsed.subject == .count ? .count(parsed.comparison, parsed.number) : .value(parsed.comparison, parsed.number)
            return
        }
        for op in ["==", "!="] where trimmed.hasPrefix(op) {
            var rest = String(String(trimmed.dropFirst(2)).trimmingSpaces)
            if rest.count >= 2, let first = rest.first, first == rest.last, first == "'" || first == "\"" {
                rest = String(rest.dropFirst().dropLast())
            }
            guard !rest.isEmpty else { return nil }
            self = .text(equal: op == "==", rest)
            return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .value(let op, let n): PromExpectation(subject: .value, comparison: op, number: n).description
        case .count(let op, let n): PromExpectation(subject: .count, comparison: op, number: n).description
        case .text(let equal, let text): "\(equal ? "==" : "!=") \(text)"
        }
    }

    public static let grammar = "a comparison like '> 0', 'count == 2' or '== running'"
}

extension ScenarioValidator.Rules {
    /// A JSON check's `expect`, or nil when it reads; a template is checked once resolved.
    public static func jsonExpectation(_ text: String) -> String? {
        if text.contains("${") { return nil }
        return JSONExpectation(parsing: text) == nil ? "expected \(JSONExpectation.grammar), got '\(text)'" : nil
    }

    public static func outputKind(_ kind: String) -> String {
        "output checks the output of \(OutputCheck.kinds.joined(separator: ", ")); '\(kind)' has none to check"
    }
}

extension ResolvedOutput {
    /// `; output: $.phase == Completed`, `; reads a restic inventory`: after an action's summary.
    var summarySuffix: String {
        var parts: [String] = []
        if let inventory { parts.append("read as a \(inventory.name) inventory") }
        if !checks.isEmpty { parts.append("output " + checks.map(\.description).joined(separator: ", ")) }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: "; ")
    }
}

extension ScenarioValidator.Rules {
    /// `expect: fail` on a step whose kind cannot fail by itself, or has its own `expect`.
    public static func expectFail(kind: String, mark: String?) -> String? {
        switch kind {
        case "wait_for": "a wait_for's expect goes inside it: wait_for: {..., expect: fail}"
        case "manual", "sleep", "backups": "expect: fail has no meaning for a \(kind) step"
        default: nil
        }
    }

    public static func restoresPlacement(section: String) -> String {
        "restores belongs on a phase step (the restore the drill measures), not in \(section)"
    }
}
