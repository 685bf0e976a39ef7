import Yams

/// `kill: {pid | pidfile, signal, process_group}`: sends a signal to a process, or its group.
public struct KillSpec: ActionSpec {
    public enum Target: Hashable, Sendable {
        case pid(Template)
        case pidfile(Template)
    }
    public var target: Target
    /// Signal name without `SIG`: KILL, TERM, INT, HUP, QUIT, USR1, USR2, STOP, CONT.
    public var signal: String
    /// Signal the target's whole process group (default), or the process alone.
    public var processGroup: Bool
    public init(target: Target, signal: String = "TERM", processGroup: Bool = true) {
        self.target = target
        self.signal = signal
        self.processGroup = processGroup
    }

    public static let kind = ActionKind(
        key: "kill", value: "mapping", isProbe: false, injects: .always, example: "{pidfile: /run/app.pid, signal: KILL}",
        summary: "Sends a signal to a process, see below.")
    public static let keys = ["pid", "pidfile", "signal", "process_group"]
    static var types: [String: SchemaJSON.Object] {
        let signals = ScenarioValidator.Rules.signals
        return [
            "pid": ["type": ["integer", "string"]], "pidfile": SchemaJSON.ref("template"),
            "signal": SchemaJSON.described(["type": "string"], "One of \(signals.joined(separator: " ")), any case, with or without SIG."),
            "process_group": SchemaJSON.boolean,
        ]
    }
    public static var schema: SchemaJSON.Object {
        ["allOf": [SchemaJSON.object(keys, types)], "oneOf": SchemaJSON.exactlyOne(["pid", "pidfile"])]
    }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("kill", keys, types)] }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedKill.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard let fields = reader.fields(node, of: "kill", allowed: keys) else { return nil }
        let targets = fields.entries.filter { $0.key == "pid" || $0.key == "pidfile" }
        var target: Target?
        if let first = targets.first {
            for extra in targets.dropFirst() {
                reader.error("kill has both 'pid' and 'pidfile'; give exactly one", at: extra.keyNode)
            }
            if ScenarioReader.isNull(first.value) {
                reader.error("expected \(first.key == "pid" ? "a process id" : "a path"), got nothing", at: first.keyNode)
            } else if first.key == "pid" {
                if let pid = reader.template(first.value) {
                    reader.error(ScenarioValidator.Rules.pid(pid), at: first.value)
                    target = .pid(pid)
                }
            } else {
                target = reader.template(first.value).map(Target.pidfile)
            }
        } else if !fields.suggested.contains("pid"), !fields.suggested.contains("pidfile") {
            reader.error("kill needs 'pid' or 'pidfile'", at: node)
        }
        var signal = "TERM"
        if let node = fields.value("signal"), let value = reader.string(node) {
            // An unknown name is kept as written, so that the message quotes what the author wrote.
            let normalized = ScenarioValidator.Rules.normalizedSignal(value)
            signal = ScenarioValidator.Rules.signal(normalized) == nil ? normalized : value
            reader.error(ScenarioValidator.Rules.signal(signal), at: node)
        }
        let processGroup = reader.bool(fields.value("process_group")) ?? true
        return target.map { .kill(KillSpec(target: $0, signal: signal, processGroup: processGroup)) }
    }

    public var templates: [Template] {
        switch target {
        case .pid(let template), .pidfile(let template): [template]
        }
    }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.signal(signal))
        if case .pid(let pid) = target { check.error(ScenarioValidator.Rules.pid(pid), at: pid.location) }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        let resolvedTarget: ResolvedKill.Target
        switch target {
        case .pid(let template):
            let text = try scope.resolve(template)
            guard let pid = Int32(text.trimmingSpaces) else {
                throw UnresolvedReference(name: "pid '\(text)' is not a process id", location: template.location, unterminated: false)
            }
            resolvedTarget = .pid(pid)
        case .pidfile(let template): resolvedTarget = .pidfile(try scope.resolve(template))
        }
        return .kill(resolvedTarget, signal: signal, processGroup: processGroup)
    }
}

/// A signal and the process it goes to, as the kill driver sends it.
public struct ResolvedKill: ResolvedSpec {
    public enum Target: Hashable, Sendable, Codable {
        case pid(Int32)
        case pidfile(String)
    }
    public var target: Target
    public var signal: String
    public var processGroup: Bool
    public init(target: Target, signal: String, processGroup: Bool) {
        self.target = target
        self.signal = signal
        self.processGroup = processGroup
    }

    /// The target is the enum's unnamed first value in records written before kinds were modules.
    enum CodingKeys: String, CodingKey {
        case target = "_0", signal, processGroup
    }

    public static let key = "kill"
    public static let performer = "kill"
    public var summary: String {
        let group = processGroup ? "process group of " : ""
        return switch target {
        case .pid(let pid): "kill -\(signal) \(group)pid \(pid)"
        case .pidfile(let path): "kill -\(signal) \(group)pid in \(path)"
        }
    }
}

extension ScenarioValidator.Rules {
    public static let signals = ["KILL", "TERM", "INT", "HUP", "QUIT", "USR1", "USR2", "STOP", "CONT"]

    /// `sigkill`, `SIGKILL` and `kill` all become `KILL`.
    public static func normalizedSignal(_ raw: String) -> String {
        let upper = raw.trimmingSpaces.uppercased()
        return upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
    }

    /// On a normalized signal name (`KILL`, not `SIGKILL`).
    public static func signal(_ signal: String) -> String? {
        signals.contains(signal) ? nil : "unknown signal '\(signal)'; expected one of \(signals.joined(separator: ", "))"
    }

    /// A literal pid must name one process: 0 and negative numbers would signal groups or everything.
    public static func pid(_ pid: Template) -> String? {
        guard isLiteral(pid) else { return nil }
        if let value = Int32(pid.raw.trimmingSpaces), value > 0 { return nil }
        return "pid must be a positive process id, got '\(pid.raw)'"
    }
}

extension Action {
    public static func kill(_ kill: KillSpec) -> Action { Action(kill) }
}

extension ResolvedAction {
    public typealias KillTarget = ResolvedKill.Target
    public static func kill(_ target: ResolvedKill.Target, signal: String, processGroup: Bool) -> ResolvedAction {
        ResolvedAction(ResolvedKill(target: target, signal: signal, processGroup: processGroup))
    }
}
