import Yams

/// `manual: "instructions"`: shows them and waits for an operator to confirm, at the console or
/// with `firedrill confirm`. It performs nothing itself; the engine waits on the operator.
public struct ManualStep: ActionSpec {
    public var instructions: Template
    public init(instructions: Template) { self.instructions = instructions }

    public static let kind = ActionKind(
        key: "manual", value: "string", isProbe: false, injects: .never, example: "\"Promote the replica (runbooks/failover.md, step 3)\"",
        summary: "Shows these instructions and waits for an operator to confirm, at the console or with `firedrill confirm`.")
    public static var schema: SchemaJSON.Object { SchemaJSON.ref("template") }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard !ScenarioReader.isNull(entry.value) else { return reader.missingValue(entry, "instructions for the operator") }
        return reader.template(entry.value).map { Action.manual(instructions: $0) }
    }

    public var templates: [Template] { [instructions] }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? { nil }
}

extension Action {
    public static func manual(instructions: Template) -> Action { Action(ManualStep(instructions: instructions)) }
}
