import Yams

/// `backups: {run: [...] | shell: "..." | http: {...}, format: pgbackrest | restic | velero |
/// {items, id, time, size}}`: lists the restore points a system says it holds. The source
/// performs as its own kind; its output is read as the inventory, each point recorded, and the
/// step fails when it cannot be read or lists none.
public struct BackupsStep: ActionSpec {
    public var source: Probe
    public var format: InventoryFormat
    public init(source: Probe, format: InventoryFormat) {
        self.source = source
        self.format = format
    }

    public static let sources = ["run", "shell", "http", "ssh", "kubectl"]

    public static let kind = ActionKind(
        key: "backups", value: "mapping", isProbe: false, injects: .never,
        example: "{run: [pgbackrest, --stanza=main, info, --output=json], format: pgbackrest}",
        summary: "Lists the restore points a system holds, from a command's or a request's JSON, see [Backups](#backups).")
    public static var keys: [String] { sources + ["format", "output"] }
    static let mappingKeys = ["items", "id", "time", "size"]
    static var mappingTypes: [String: SchemaJSON.Object] {
        Dictionary(uniqueKeysWithValues: mappingKeys.map { ($0, SchemaJSON.string("A JSONPath.")) })
    }
    static var types: [String: SchemaJSON.Object] {
        var types = Dictionary(uniqueKeysWithValues: sources.map { ($0, SchemaJSON.kindRef($0)) })
        types["format"] = ["oneOf": [SchemaJSON.oneWord(InventoryFormat.builtIn), SchemaJSON.object(mappingKeys, mappingTypes, required: ["items", "id", "time"])]]
        types["output"] = SchemaJSON.ref("output")
        return types
    }
    public static var schema: SchemaJSON.Object {
        ["allOf": [SchemaJSON.object(keys, types, required: ["format"])], "oneOf": SchemaJSON.exactlyOne(sources)]
    }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] {
        [("backups", keys, types), ("backups.format", mappingKeys, mappingTypes)]
    }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard let fields = reader.fields(entry.value, of: "backups", allowed: keys) else { return nil }
        let held = fields.entries.filter { sources.contains($0.key) }
        guard let first = held.first else {
            if fields.suggested.isDisjoint(with: sources) {
                reader.error("backups needs where to read the inventory: one of \(sources.joined(separator: ", "))", at: fields.node)
            }
            return nil
        }
        for extra in held.dropFirst() {
            reader.error("backups has both '\(first.key)' and '\(extra.key)'; it reads one inventory", at: extra.keyNode)
        }
        let source = reader.attachOutput(fields, to: reader.action(first))
        guard let formatNode = reader.required(fields, "format") else { return nil }
        guard let format = readFormat(formatNode, &reader) else { return nil }
        return source.map { .backups(BackupsStep(source: $0, format: format)) }
    }

    static func readFormat(_ node: Node, _ reader: inout ScenarioReader) -> InventoryFormat? {
        if case .scalar(let scalar) = node {
            if let format = InventoryFormat(named: scalar.string) { return format }
            let hint = ScenarioValidator.suggestion(for: scalar.string, among: InventoryFormat.builtIn).map { "; did you mean '\($0)'?" } ?? ""
            reader.error("unknown backups format '\(scalar.string)': give one of \(InventoryFormat.builtIn.joined(separator: ", ")) or a mapping {items, id, time}\(hint)", at: node)
            return nil
        }
        guard let fields = reader.fields(node, of: "backups.format", allowed: mappingKeys,
                                         expected: "a format: \(InventoryFormat.builtIn.joined(separator: ", ")) or a mapping {items, id, time, size}")
        else { return nil }
        var paths: [String: String] = [:]
        for key in mappingKeys {
            let node = key == "size" ? fields.value(key) : reader.required(fields, key)
            guard let node, let path = reader.string(node) else { continue }
            if let problem = reader.jsonPathProblem(path, at: node) { reader.findings.append(problem) } else { paths[key] = path }
        }
        guard let items = paths["items"], let id = paths["id"], let time = paths["time"] else { return nil }
        return .mapping(items: items, id: id, time: time, size: paths["size"])
    }

    public var templates: [Template] { source.templates }

    public func check(_ check: inout ActionCheck) {
        if !Self.sources.contains(source.kind) {
            check.error("backups reads its inventory from one of \(Self.sources.joined(separator: ", ")), not '\(source.kind)'")
        }
        source.spec.check(&check)
        if case .mapping(let items, let id, let time, let size) = format {
            for path in [items, id, time] + [size].compactMap({ $0 }) {
                do { _ = try JSONPath(parsing: path) } catch { check.error(ScenarioValidator.Rules.jsonPath(error)) }
            }
        }
    }

    /// The source as its kind performs it, its output read as this inventory.
    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        guard let action = try source.spec.resolved(in: scope) else { return nil }
        return action.changingOutput { $0.inventory = format }
    }
}

extension Action {
    public static func backups(_ backups: BackupsStep) -> Action { Action(backups) }
}
