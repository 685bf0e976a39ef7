import Yams

/// `sleep: 30s`: waits.
public struct SleepStep: ActionSpec {
    public var duration: DrillDuration
    public init(_ duration: DrillDuration) { self.duration = duration }

    public static let kind = ActionKind(key: "sleep", value: "duration", isProbe: false, injects: .never, example: "30s", summary: "Waits.")
    public static var schema: SchemaJSON.Object { SchemaJSON.ref("duration") }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedSleep.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard !ScenarioReader.isNull(entry.value) else { return reader.missingValue(entry, "a duration like 30s, 5m, 4h") }
        return reader.duration(entry.value).map(Action.sleep)
    }

    public var templates: [Template] { [] }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? { .sleep(duration) }
}

/// A wait, as the sleep driver waits it.
public struct ResolvedSleep: ResolvedSpec {
    public var duration: DrillDuration
    public init(_ duration: DrillDuration) { self.duration = duration }

    public static let key = "sleep"
    public static let performer = "sleep"
    public static let isWrapped = true
    public var summary: String { "sleep \(duration)" }

    public init(from decoder: any Decoder) throws { duration = try decoder.singleValueContainer().decode(DrillDuration.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(duration)
    }
}

extension Action {
    public static func sleep(_ duration: DrillDuration) -> Action { Action(SleepStep(duration)) }
}

extension ResolvedAction {
    public static func sleep(_ duration: DrillDuration) -> ResolvedAction { ResolvedAction(ResolvedSleep(duration)) }
}
