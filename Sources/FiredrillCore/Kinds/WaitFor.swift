import Yams

/// `wait_for: {PROBE, expect, every, consecutive}`: polls a probe until it gives the expected
/// result `consecutive` times in a row. The engine polls it; the probe's kind performs each poll.
public struct WaitFor: ActionSpec {
    public var probe: Probe
    public var expect: ProbeExpectation
    public var every: DrillDuration
    /// The probe must give the expected result this many times in a row.
    public var consecutive: Int
    public init(probe: Probe, expect: ProbeExpectation = .pass, every: DrillDuration = .seconds(1), consecutive: Int = 1) {
        self.probe = probe
        self.expect = expect
        self.every = every
        self.consecutive = consecutive
    }

    public static let kind = ActionKind(
        key: "wait_for", value: "mapping", isProbe: false, injects: .never,
        example: "{http: {url: \"http://127.0.0.1:8080/health\"}, every: 1s, consecutive: 3}",
        summary: "Polls a probe until it gives the expected result, see below.")
    public static var keys: [String] { ActionKind.probes.map(\.key) + ["output", "expect", "every", "consecutive"] }
    static var types: [String: SchemaJSON.Object] {
        SchemaJSON.probeKindRefs.merging([
            "expect": SchemaJSON.oneWord(["pass", "fail"]), "every": SchemaJSON.ref("duration"), "consecutive": SchemaJSON.integer(minimum: 1),
            "output": SchemaJSON.ref("output"),
        ]) { $1 }
    }
    public static var schema: SchemaJSON.Object {
        ["allOf": [SchemaJSON.object(keys, types)], "oneOf": SchemaJSON.exactlyOne(ActionKind.probes.map(\.key))]
    }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("wait_for", keys, types)] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard let fields = reader.fields(node, of: "wait_for", allowed: keys) else { return nil }
        let probe = reader.heldProbe(fields, of: "wait_for", role: "it polls exactly one probe")
        let expect = reader.choice(fields.value("expect"), ["pass", "fail"]).flatMap(ProbeExpectation.init(rawValue:)) ?? .pass
        let every = reader.positiveDuration(fields.value("every"), key: "every") ?? .seconds(1)
        var consecutive = 1
        if let node = fields.value("consecutive"), let value = reader.int(node) {
            reader.error(ScenarioValidator.Rules.consecutive(value), at: node)
            consecutive = value
        }
        return probe.map { .waitFor(WaitFor(probe: $0, expect: expect, every: every, consecutive: consecutive)) }
    }

    public var templates: [Template] { probe.templates }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.positive(every, key: "every"))
        check.error(ScenarioValidator.Rules.consecutive(consecutive))
        check.error(ScenarioValidator.Rules.heldProbeKind(probe.kind, in: "wait_for"))
        probe.spec.check(&check)
    }

    /// Each poll performs the probe.
    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        try scope.resolve(probe: probe)
    }
}

public enum ProbeExpectation: String, Hashable, Sendable, Codable {
    case pass
    case fail
}

extension ScenarioValidator.Rules {
    public static func consecutive(_ consecutive: Int) -> String? {
        consecutive >= 1 ? nil : "consecutive must be 1 or more, got \(consecutive)"
    }
}

extension Action {
    public static func waitFor(_ waitFor: WaitFor) -> Action { Action(waitFor) }
}
