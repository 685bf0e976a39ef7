import Yams

/// `shell: "command line"`, run by `/bin/sh -c`. Passes on exit 0.
public struct ShellProbe: ActionSpec {
    public var script: Template
    public init(_ script: Template) { self.script = script }

    public static let kind = ActionKind(
        key: "shell", value: "string", isProbe: true, injects: .always, example: "\"systemctl restart app && sleep 1\"",
        summary: "Runs a command line with `/bin/sh -c`. Passes on exit 0.")
    public static var schema: SchemaJSON.Object { SchemaJSON.ref("template") }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedShell.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard !ScenarioReader.isNull(entry.value) else { return reader.missingValue(entry, "a shell command line") }
        return reader.template(entry.value).map(Action.shell)
    }

    public var templates: [Template] { [script] }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        .shell(script: try scope.resolve(script))
    }
}

/// A command line for `/bin/sh -c`.
public struct ResolvedShell: ResolvedSpec {
    public var script: String
    public init(script: String) { self.script = script }

    public static let key = "shell"
    public static let performer = "process"
    public var summary: String { "shell " + ResolvedAction.quoted(script) }
}

extension Action {
    public static func shell(_ script: Template) -> Action { Action(ShellProbe(script)) }
}

extension ResolvedAction {
    public static func shell(script: String) -> ResolvedAction { ResolvedAction(ResolvedShell(script: script)) }
}
