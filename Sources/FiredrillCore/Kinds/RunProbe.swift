import Yams

/// `run: [program, arg, ...]`: a program with its arguments, no shell. Passes on exit 0.
public struct RunProbe: OutputCheckable {
    public var argv: [Template]
    public var output: [OutputCheck]
    public init(argv: [Template], output: [OutputCheck] = []) {
        self.argv = argv
        self.output = output
    }

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

    public var templates: [Template] { argv + output.flatMap(\.templates) }

    public func check(_ check: inout ActionCheck) {
        if argv.isEmpty { check.error(ScenarioValidator.Rules.emptyArgv) }
        checkOutput(&check)
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        var words: [String] = []
        for word in argv { words.append(try scope.resolve(word)) }
        return .init(ResolvedRun(argv: words, output: .of(try resolvedChecks(in: scope))))
    }
}

/// A program and its arguments, as the process driver starts it.
public struct ResolvedRun: OutputReading {
    public var argv: [String]
    public var output: ResolvedOutput?
    public init(argv: [String], output: ResolvedOutput? = nil) {
        self.argv = argv
        self.output = output
    }

    public static let key = "run"
    public static let performer = "process"
    public var summary: String { "run " + argv.map(ResolvedAction.quoted).joined(separator: " ") + (output?.summarySuffix ?? "") }
    /// A listing read as an inventory changes nothing: safe to run again.
    public var isInjecting: Bool { output?.inventory == nil }
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
