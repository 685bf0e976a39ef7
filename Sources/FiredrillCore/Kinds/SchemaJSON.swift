/// Pieces of JSON Schema (2020-12) as plain dictionaries, for each kind to state its value's
/// schema and for `ScenarioSchema` to assemble the scenario's.
public enum SchemaJSON {
    public typealias Object = [String: Any]

    public static func ref(_ name: String) -> Object { ["$ref": "#/$defs/\(name)"] }
    public static func list(_ item: Object, atLeastOne: Bool = false) -> Object {
        atLeastOne ? ["type": "array", "items": item, "minItems": 1] : ["type": "array", "items": item]
    }
    public static func string(_ description: String? = nil) -> Object { described(["type": "string"], description) }
    public static func oneWord(_ words: [String]) -> Object { ["enum": words] }
    public static var boolean: Object { ["type": "boolean"] }
    public static func integer(minimum: Int? = nil, maximum: Int? = nil) -> Object {
        var schema: Object = ["type": "integer"]
        schema["minimum"] = minimum
        schema["maximum"] = maximum
        return schema
    }
    public static func described(_ schema: Object, _ description: String?) -> Object {
        var schema = schema
        schema["description"] = description
        return schema
    }

    /// A mapping holding exactly `keys` (the loader's list for that place), typed by `types`.
    public static func object(_ keys: [String], _ types: [String: Object], required: [String] = [], description: String? = nil) -> Object {
        var properties: Object = [:]
        for key in keys { properties[key] = types[key] ?? [:] }
        var schema: Object = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { schema["required"] = required }
        return described(schema, description)
    }

    /// Exactly one of `keys` present.
    public static func exactlyOne(_ keys: [String]) -> [Object] { keys.map { ["required": [$0]] } }

    /// Where a kind's value is defined: `#/$defs/kind_KEY`.
    public static func kindRef(_ key: String) -> Object { ref("kind_" + key) }
    /// Where a probe is held (wait_for, a guard): one of the probe kinds, each its own definition.
    public static var probeKindRefs: [String: Object] {
        Dictionary(uniqueKeysWithValues: ActionKind.probes.map { ($0.key, kindRef($0.key)) })
    }
}
