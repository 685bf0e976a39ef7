import Yams

/// Turns a composed YAML tree into the model, collecting findings instead of stopping at
/// the first one. Wherever a value is unusable it leaves a placeholder and carries on,
/// so that the rest of the file is still checked. The scenario's parts are read by the
/// loader; each action kind reads its own value (`Kinds/`).
public struct ScenarioReader {
    public let file: String
    public var findings: [Finding] = []
    /// Where `runbook:` is written, so that a missing runbook is reported there.
    public var runbookLocation: SourceLocation?

    /// Places libyaml's marks as the loader counts lines.
    var positions: TextPositions?

    public init(file: String, positions: TextPositions? = nil) {
        self.file = file
        self.positions = positions
    }

    public func location(of node: Node) -> SourceLocation {
        let mark = node.mark
        if let positions, let mark { return positions.location(file: file, line: mark.line, column: mark.column) }
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public mutating func error(_ message: String?, at node: Node) {
        if let message { findings.append(.error(message, at: location(of: node))) }
    }

    /// A key written with no value: said at the key, since there is no value to point at.
    public mutating func missingValue<T>(_ entry: Fields.Entry, _ expected: String) -> T? {
        error("expected \(expected), got nothing", at: entry.keyNode)
        return nil
    }

    /// A mapping's entries with their key nodes, after expanding `<<` merge keys.
    public struct Fields {
        public struct Entry {
            public var key: String
            public var keyNode: Node
            public var value: Node
        }

        public var node: Node
        public var what: String
        public var entries: [Entry]
        /// Keys suggested for misspelt ones: a missing key among them is not reported twice.
        public var suggested: Set<String> = []

        public subscript(key: String) -> Entry? { entries.first { $0.key == key } }

        /// The value of `key`, or nil when it is absent or null.
        public func value(_ key: String) -> Node? {
            guard let entry = self[key], !ScenarioReader.isNull(entry.value) else { return nil }
            return entry.value
        }
    }

    /// Reads a mapping, reporting keys outside `allowed` (nil allows any key).
    public mutating func fields(_ node: Node, of what: String, allowed: [String]?, expected: String? = nil) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error("expected \(expected ?? "a mapping for \(what)"), got \(Self.describe(node))", at: node)
            return nil
        }
        var explicit: [Fields.Entry] = []
        var merged: [Fields.Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error("expected a key name, got \(Self.describe(key))", at: key)
                continue
            }
            if scalar.string == "<<", scalar.style == .plain {
                merged += mergeEntries(value)
            } else {
                explicit.append(.init(key: scalar.string, keyNode: key, value: value))
            }
        }
        // Keys written in the mapping win over merged ones; among merged ones the first wins.
        var entries = explicit
        var keys = Set(explicit.map(\.key))
        for entry in merged where keys.insert(entry.key).inserted { entries.append(entry) }
        var fields = Fields(node: node, what: what, entries: entries)
        if let allowed {
            for entry in entries where !allowed.contains(entry.key) {
                if let suggestion = ScenarioValidator.suggestion(for: entry.key, among: allowed) {
                    fields.suggested.insert(suggestion)
                    error("unknown key '\(entry.key)' in \(what); did you mean '\(suggestion)'?", at: entry.keyNode)
                } else {
                    error("unknown key '\(entry.key)' in \(what); valid keys are \(allowed.joined(separator: ", "))", at: entry.keyNode)
                }
            }
        }
        return fields
    }

    /// `<<: *defaults` or `<<: [*a, *b]`, as YAML's merge key defines.
    public mutating func mergeEntries(_ node: Node) -> [Fields.Entry] {
        switch node {
        case .mapping:
            return fields(node, of: "'<<'", allowed: nil)?.entries ?? []
        case .sequence(let sequence):
            return sequence.flatMap { item -> [Fields.Entry] in
                guard case .mapping = item else {
                    error("'<<' merges a mapping or a list of mappings, got \(Self.describe(item))", at: item)
                    return []
                }
                return fields(item, of: "'<<'", allowed: nil)?.entries ?? []
            }
        default:
            error("'<<' merges a mapping or a list of mappings, got \(Self.describe(node))", at: node)
            return []
        }
    }

    /// The value of a required key; reports it missing (also when null) against the mapping or the key.
    public mutating func required(_ fields: Fields, _ key: String) -> Node? {
        if let value = fields.value(key) { return value }
        if !fields.suggested.contains(key) {
            error(ScenarioValidator.Rules.missingKey(key, in: fields.what), at: fields[key]?.keyNode ?? fields.node)
        }
        return nil
    }

    // MARK: Scalars

    public static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How a wrong value is shown in a message.
    public static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            let text = scalar.string.count > 60 ? scalar.string.prefix(57) + "..." : Substring(scalar.string)
            return "'\(text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    public mutating func string(_ node: Node?) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error("expected a string, got \(Self.describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    public mutating func template(_ node: Node?) -> Template? {
        guard let node, let text = string(node) else { return nil }
        return Template(text, at: location(of: node))
    }

    public mutating func int(_ node: Node?) -> Int? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            error("expected an integer, got \(Self.describe(node))", at: node)
            return nil
        }
        return value
    }

    public mutating func bool(_ node: Node?) -> Bool? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error("expected true or false, got \(Self.describe(node))", at: node)
        return nil
    }

    public mutating func duration(_ node: Node?) -> DrillDuration? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node, let duration = DrillDuration(parsing: scalar.string) { return duration }
        var message = "expected a duration like 30s, 5m, 4h, got \(Self.describe(node))"
        if case .scalar(let scalar) = node, !scalar.string.isEmpty, scalar.string.allSatisfy(\.isNumber) {
            message += " (add a unit: \(scalar.string)s)"
        }
        error(message, at: node)
        return nil
    }

    /// A duration that must be more than zero (`timeout`, `every`).
    public mutating func positiveDuration(_ node: Node?, key: String) -> DrillDuration? {
        guard let node, let duration = duration(node) else { return nil }
        error(ScenarioValidator.Rules.positive(duration, key: key), at: node)
        return duration
    }

    /// A size in bytes (`max_body`), from 1 byte to `ByteSize.largestMaxBody`.
    public mutating func size(_ node: Node?, key: String) -> Int? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, let bytes = ByteSize.parse(scalar.string) else {
            error("expected a size like 1MiB, 512KiB or 10MB, got \(Self.describe(node))", at: node)
            return nil
        }
        error(ScenarioValidator.Rules.maxBody(bytes, key: key), at: node)
        return bytes
    }

    /// One of `choices`, as written.
    public mutating func choice(_ node: Node?, _ choices: [String]) -> String? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node, choices.contains(scalar.string) { return scalar.string }
        guard let last = choices.last else { return nil }
        let expected = choices.count == 1 ? last : choices.dropLast().joined(separator: ", ") + " or " + last
        error("expected \(expected), got \(Self.describe(node))", at: node)
        return nil
    }

    public mutating func stringList(_ node: Node?) -> [Template]? {
        guard let node else { return nil }
        guard case .sequence(let sequence) = node else {
            error("expected a list of strings, got \(Self.describe(node))", at: node)
            return nil
        }
        return sequence.compactMap { template($0) }
    }
}
