import Yams

/// The kinds whose output a scenario can check (`run`, `shell`, `http`; `ssh` and `kubectl`
/// read as `run`): the checks are held next to the kind's own value.
public protocol OutputCheckable: ActionSpec {
    var output: [OutputCheck] { get set }
}

extension OutputCheckable {
    func resolvedChecks(in scope: VariableScope) throws(UnresolvedReference) -> [ResolvedOutputCheck] {
        var checks: [ResolvedOutputCheck] = []
        for check in output { checks.append(try check.resolved(in: scope)) }
        return checks
    }

    func checkOutput(_ check: inout ActionCheck) {
        for outputCheck in output {
            switch outputCheck.test {
            case .contains(let text):
                if text.raw.isEmpty { check.error("output.contains is empty", at: outputCheck.location) }
            case .matches(let pattern):
                check.error(ScenarioValidator.Rules.regex(pattern), at: outputCheck.location)
            case .json(let path, let expect):
                do { _ = try JSONPath(parsing: path) } catch { check.error(ScenarioValidator.Rules.jsonPath(error), at: outputCheck.location) }
                if let expect { check.error(ScenarioValidator.Rules.jsonExpectation(expect.raw), at: expect.location) }
            }
        }
    }
}

extension Action {
    /// This action with `checks` on its output; nil when its kind has no output to check.
    public func withOutput(_ checks: [OutputCheck]) -> Action? {
        guard var spec = spec as? any OutputCheckable else { return nil }
        spec.output += checks
        return Action(spec)
    }

    public var outputChecks: [OutputCheck] { (spec as? any OutputCheckable)?.output ?? [] }
}

extension ScenarioReader {
    public static let outputKeys = ["contains", "matches", "json", "expect"]

    /// `output:` next to a probe's key in `fields`, put on `action`; reported at the key when
    /// the kind has no output, and at each check's part that does not read.
    public mutating func attachOutput(_ fields: Fields, to action: Action?) -> Action? {
        guard let entry = fields["output"], let action else { return action }
        let checks = outputChecks(entry.value)
        guard let checked = action.withOutput(checks) else {
            error(ScenarioValidator.Rules.outputKind(action.kind), at: entry.keyNode)
            return action
        }
        return checked
    }

    /// One check (a mapping) or several (a list of mappings), all of which must hold.
    public mutating func outputChecks(_ node: Node) -> [OutputCheck] {
        if case .sequence(let sequence) = node {
            if sequence.isEmpty { error("output is an empty list; give a check like {contains: ready}", at: node) }
            return sequence.compactMap { outputCheck($0) }
        }
        return outputCheck(node).map { [$0] } ?? []
    }

    mutating func outputCheck(_ node: Node) -> OutputCheck? {
        guard let fields = fields(node, of: "output", allowed: Self.outputKeys,
                                  expected: "an output check: {contains: TEXT}, {matches: REGEX} or {json: PATH, expect: COMPARISON}")
        else { return nil }
        let tests = fields.entries.filter { ["contains", "matches", "json"].contains($0.key) }
        guard let first = tests.first else {
            error("output needs one of contains, matches or json", at: node)
            return nil
        }
        for extra in tests.dropFirst() {
            error("output has both '\(first.key)' and '\(extra.key)'; give each check its own entry in a list", at: extra.keyNode)
        }
        let at = location(of: node)
        if let expect = fields["expect"], first.key != "json" {
            error("output.expect goes with json, not \(first.key)", at: expect.keyNode)
        }
        switch first.key {
        case "contains":
            guard let text = template(first.value) else { return nil }
            if text.raw.isEmpty { error("output.contains is empty", at: first.value) }
            return OutputCheck(.contains(text), at: at)
        case "matches":
            guard let pattern = string(first.value) else { return nil }
            error(ScenarioValidator.Rules.regex(pattern), at: first.value)
            return OutputCheck(.matches(pattern), at: location(of: first.value))
        default:
            guard let path = string(first.value) else { return nil }
            if let problem = jsonPathProblem(path, at: first.value) { findings.append(problem) }
            var expect: Template?
            if let node = fields.value("expect"), let text = template(node) {
                error(ScenarioValidator.Rules.jsonExpectation(text.raw), at: node)
                expect = text
            }
            return OutputCheck(.json(path: path, expect: expect), at: location(of: first.value))
        }
    }

    /// A JSONPath that does not parse, placed at its column in the file when the scalar is on one line.
    public func jsonPathProblem(_ path: String, at node: Node) -> Finding? {
        do {
            _ = try JSONPath(parsing: path)
            return nil
        } catch {
            var place = location(of: node)
            if case .scalar(let scalar) = node, !path.contains("\n") {
                place.column += (scalar.style == .plain ? 0 : 1) + error.column - 1
            }
            return .error(ScenarioValidator.Rules.jsonPath(error), at: place)
        }
    }
}

extension ScenarioValidator.Rules {
    public static func jsonPath(_ error: JSONPath.ParseError) -> String {
        "not a JSONPath this reads: \(error.message) (see JSONPath in the scenario format)"
    }
}
