import Yams

/// `run: [program, arg, ...]`: a program with its arguments, no shell. Passes on exit 0.
public struct RunProbe: ActionSpec {
    public var argv: [Template]
    public init(argv: [Template]) { self.argv = argv }

    public static let kind = ActionKind(
        key: "run", value: "list of strings", isProbe: true, injects: .always, example: "[systemctl, start, app]",
        summary: "Runs a program with these arguments, no shell: `run: [\"systemctl\", \"start\", \"app\"]`. Passes on exit 0.")
    public static var schema: SchemaJSON.Object { SchemaJSON.list(SchemaJSON.ref("template"), atLeastOne: true) }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedRun.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard !ScenarioReader.isNull(node) else { return reader.missingValue(entry, "a list of strings") }
        if case .scalar(let scalar) = node {
            reader.error("expected a list of strings, got '\(scalar.string)' (use shell: for a command line)", at: node)
            return nil
        }
        guard let argv = reader.stringList(node) else { return nil }
        if argv.isEmpty { reader.error(ScenarioValidator.Rules.emptyArgv, at: node) }
        return .run(argv: argv)
    }

    public var templates: [Template] { argv }

    public func check(_ check: inout ActionCheck) {
        if argv.isEmpty { check.error(ScenarioValidator.Rules.emptyArgv) }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        var words: [String] = []
        for word in argv { words.append(try scope.resolve(word)) }
        return .run(argv: words)
    }
}

/// A program and its arguments, as the process driver starts it.
public struct ResolvedRun: ResolvedSpec {
    public var argv: [String]
    public init(argv: [String]) { self.argv = argv }

    public static let key = "run"
    public static let performer = "process"
    public var summary: String { "run " + argv.map(ResolvedAction.quoted).joined(separator: " ") }
}

extension ScenarioValidator.Rules {
    public static let emptyArgv = "run needs at least the program to run, like [\"systemctl\", \"start\", \"app\"]"
}

extension Action {
    public static func run(argv: [Template]) -> Action { Action(RunProbe(argv: argv)) }
}

extension ResolvedAction {
    public static func run(argv: [String]) -> ResolvedAction { ResolvedAction(ResolvedRun(argv: argv)) }
}
