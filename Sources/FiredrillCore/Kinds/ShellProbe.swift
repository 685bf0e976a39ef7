import Yams

/// `shell: "command line"`, run by `/bin/sh -c`. Passes on exit 0.
public struct ShellProbe: OutputCheckable {
    public var script: Template
    public var output: [OutputCheck]
    public init(_ script: Template, output: [OutputCheck] = []) {
        self.script = script
        self.output = output
    }

    public static let kind = ActionKind(
        key: "shell", value: "string", isProbe: true, injects: .always, example: "\"systemctl restart app && sleep 1\"",
        summary: "Runs a command line with `/bin/sh -c`. Passes on exit 0.")
    public static var schema: SchemaJSON.Object { SchemaJSON.ref("template") }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedShell.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard !ScenarioReader.isNull(entry.value) else { return reader.missingValue(entry, "a shell command line") }
        return reader.template(entry.value).map(Action.shell)
    }

    public var templates: [Template] { [script] + output.flatMap(\.templates) }

    public func check(_ check: inout ActionCheck) { checkOutput(&check) }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        .init(ResolvedShell(script: try scope.resolve(script), output: .of(try resolvedChecks(in: scope))))
    }
}

/// A command line for `/bin/sh -c`.
public struct ResolvedShell: OutputReading {
    public var script: String
    public var output: ResolvedOutput?
    public init(script: String, output: ResolvedOutput? = nil) {
        self.script = script
        self.output = output
    }

    public static let key = "shell"
    public static let performer = "process"
    public var summary: String { "shell " + ResolvedAction.quoted(script) + (output?.summarySuffix ?? "") }
    public var isInjecting: Bool { output?.inventory == nil }
}

extension Action {
    public static func shell(_ script: Template) -> Action { Action(ShellProbe(script)) }
}

extension ResolvedAction {
    public static func shell(script: String) -> ResolvedAction { ResolvedAction(ResolvedShell(script: script)) }
}
