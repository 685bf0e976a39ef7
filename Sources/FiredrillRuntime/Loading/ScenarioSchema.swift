import FiredrillCore
import Foundation
import Yams

/// The scenario format as a JSON Schema (2020-12), for editors: the YAML language server
/// completes and checks a file that carries `# yaml-language-server: $schema=...`. Built from
/// the loader's own key lists and `ActionKind.all`, so the two cannot drift apart; the loader
/// stays the judge (references, marks, durations' ranges and the rest are its checks alone).
public enum ScenarioSchema {
    public static let id = "https://firedrill.dev/schema/firedrill-scenario-v1.schema.json"
    typealias Keys = ScenarioLoader.Keys
    typealias JSON = [String: Any]

    /// The schema, as the file `schema/firedrill-scenario-v1.schema.json` holds it.
    public static var text: String {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func ref(_ name: String) -> JSON { ["$ref": "#/$defs/\(name)"] }
    static func list(_ item: JSON, atLeastOne: Bool = false) -> JSON {
        atLeastOne ? ["type": "array", "items": item, "minItems": 1] : ["type": "array", "items": item]
    }
    static func string(_ description: String? = nil) -> JSON { described(["type": "string"], description) }
    static func oneWord(_ words: [String]) -> JSON { ["enum": words] }
    static var boolean: JSON { ["type": "boolean"] }
    static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSON {
        var schema: JSON = ["type": "integer"]
        schema["minimum"] = minimum
        schema["maximum"] = maximum
        return schema
    }
    static func described(_ schema: JSON, _ description: String?) -> JSON {
        var schema = schema
        schema["description"] = description
        return schema
    }

    /// A mapping holding exactly `keys` (the loader's list for that place), typed by `types`.
    static func object(_ keys: [String], _ types: [String: JSON], required: [String] = [], description: String? = nil) -> JSON {
        var properties: JSON = [:]
        for key in keys { properties[key] = types[key] ?? [:] }
        var schema: JSON = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { schema["required"] = required }
        return described(schema, description)
    }

    /// Exactly one of `keys` present.
    static func exactlyOne(_ keys: [String]) -> [JSON] { keys.map { ["required": [$0]] } }

    /// Each place's loader keys beside the types the schema gives them: a key on one side only is a drift.
    static var places: [(name: String, keys: [String], types: [String: JSON])] {
        [
            ("scenario", Keys.scenario, scenarioTypes), ("objectives", Keys.objectives, objectivesTypes), ("canary", Keys.canary, canaryTypes),
            ("phase", Keys.phase, phaseTypes), ("step", Keys.step, stepTypes), ("http", Keys.http, httpTypes), ("tcp", Keys.tcp, tcpTypes),
            ("ssh", Keys.ssh, sshTypes), ("kubectl", Keys.kubectl, kubectlTypes), ("prometheus", Keys.prometheus, prometheusTypes),
            ("basic_auth", Keys.basicAuth, basicAuthTypes), ("kill", Keys.kill, killTypes), ("wait_for", Keys.waitFor, waitForTypes),
            ("guard", Keys.guardKeys, guardTypes), ("notifier", Keys.notifier, notifierTypes), ("silence", Keys.silence, silenceTypes),
            ("schedule", Keys.schedule, scheduleTypes), ("matcher", Keys.matcher, matcherTypes),
            ("notifier target", Keys.notifierTarget, notifierTargetTypes),
            ("probe", Keys.probeKinds, kindTypes.filter { Keys.probeKinds.contains($0.key) }),
        ]
    }

    /// Keys the loader reads that the schema does not type, or the other way round.
    public static var drift: [String] {
        places.flatMap { place in
            Set(place.keys).symmetricDifference(place.types.keys).sorted().map { "\(place.name).\($0)" }
        }
    }

    static var document: JSON {
        [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": id,
            "title": "Firedrill scenario, format 1",
            "description": "A disaster-recovery drill for firedrill (docs/scenario-format.md). `firedrill validate` has the last word.",
            "$defs": definitions,
        ].merging(object(Keys.scenario, scenarioTypes, required: ["firedrill", "name", "phases"])) { $1 }
    }

    static var definitions: JSON {
        var defs: JSON = [
            "duration": described(["type": "string", "pattern": "^ *([0-9]{1,12} *(ms|s|m|h|d))+ *$"], "Like 500ms, 30s, 5m, 1h30m, 2d."),
            "size": described(["type": ["string", "integer"], "pattern": "^ *[0-9]+(\\.[0-9]+)? *(B|b|bytes?|KiB|kiB|K|k|MiB|M|GiB|G|KB|kB|kb|MB|mb|GB|gb)? *$"],
                              "Like 512KiB, 10MiB or 10MB; from 1 byte to 1GiB."),
            "template": described(["type": ["string", "number", "boolean"]], "A value; `${...}` references are substituted at run time."),
            "words": list(ref("template")),
            "headers": described(["type": "object", "additionalProperties": ref("template")], "Header name to value."),
            "steps": list(ref("step")),
            "step": ["allOf": [object(Keys.step, stepTypes, required: ["name"])], "oneOf": exactlyOne(Keys.stepKinds)],
            "probe": ["allOf": [object(Keys.probeKinds, kindTypes)], "oneOf": exactlyOne(Keys.probeKinds)],
            "phase": object(Keys.phase, phaseTypes, required: ["name", "steps"]),
            "guard": ["allOf": [object(Keys.guardKeys, guardTypes, required: ["name"])], "oneOf": exactlyOne(Keys.probeKinds)],
            "notifier": ["allOf": [object(Keys.notifier, notifierTypes, required: ["name"])], "oneOf": exactlyOne(["slack", "webhook"])],
            "notifier_target": object(Keys.notifierTarget, notifierTargetTypes, required: ["url"]),
            "matcher": object(Keys.matcher, matcherTypes, required: ["name", "value"]),
        ]
        for kind in ActionKind.all {
            var schema = described(kindTypes[kind.key] ?? [:], kind.summary)
            if let example = try? Yams.load(yaml: kind.example) { schema["examples"] = [example] }
            defs["kind_" + kind.key] = schema  // what kindRef(kind.key) points at
        }
        return defs
    }

    // MARK: - Types at each place

    static var scenarioTypes: [String: JSON] {
        [
            "firedrill": described(["const": 1], "Format version."),
            "name": described(["type": "string", "pattern": "^[a-z0-9-]+$"], "Identifier: lowercase letters, digits and '-'."),
            "title": string("One line for people."), "description": string("What the drill does and why."),
            "owner": string("Team or person responsible."), "runbook": string("Path to the runbook, relative to this file."),
            "tags": list(["type": "string"]), "objectives": object(Keys.objectives, objectivesTypes),
            "vars": described(["type": "object", "additionalProperties": ["type": ["string", "number", "boolean", "null"]]],
                              "Variables for ${...}; a null one must be set with --var."),
            "setup": ref("steps"), "steady_state": ref("steps"),
            "canary": object(Keys.canary, canaryTypes, required: ["every", "write", "read"]),
            "phases": list(ref("phase"), atLeastOne: true), "rollback": ref("steps"), "teardown": ref("steps"),
            "secrets": described(list(["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"]), "Environment variables read at run time, never recorded."),
            "guards": list(ref("guard")), "max_duration": ref("duration"), "notify": list(ref("notifier")),
            "silence": object(Keys.silence, silenceTypes, required: ["alertmanager", "matchers"]),
            "schedule": ["oneOf": [oneWord(["monthly", "quarterly", "yearly"]), object(Keys.schedule, scheduleTypes)]],
        ]
    }
    static var objectivesTypes: [String: JSON] { ["rto": ref("duration"), "rpo": ref("duration")] }
    static var canaryTypes: [String: JSON] { ["every": ref("duration"), "warmup": ref("duration"), "write": ref("probe"), "read": ref("probe")] }
    static var phaseTypes: [String: JSON] { ["name": string(), "steps": list(ref("step"), atLeastOne: true)] }
    static var stepTypes: [String: JSON] {
        var types: [String: JSON] = [
            "name": string("Unique name."), "timeout": ref("duration"), "retries": integer(minimum: 0), "retry_delay": ref("duration"),
            "on_failure": oneWord(["abort", "continue"]), "mark": ["type": "string"], "rollback": ref("steps"), "idempotent": boolean,
        ]
        for kind in ActionKind.all { types[kind.key] = kindRef(kind.key) }
        return types
    }
    /// The value of each action kind's key.
    static var kindTypes: [String: JSON] {
        [
            "run": list(ref("template"), atLeastOne: true), "shell": ref("template"), "http": object(Keys.http, httpTypes, required: ["url"]),
            "tcp": ["oneOf": [ref("template"), object(Keys.tcp, tcpTypes, required: ["address"])]],
            "ssh": object(Keys.ssh, sshTypes, required: ["host", "command"]), "kubectl": object(Keys.kubectl, kubectlTypes, required: ["args"]),
            "prometheus": object(Keys.prometheus, prometheusTypes, required: ["url", "query"]),
            "kill": ["allOf": [object(Keys.kill, killTypes)], "oneOf": exactlyOne(["pid", "pidfile"])],
            "sleep": ref("duration"), "manual": ref("template"),
            "wait_for": ["allOf": [object(Keys.waitFor, waitForTypes)], "oneOf": exactlyOne(Keys.probeKinds)],
        ]
    }
    static var httpTypes: [String: JSON] { [
        "method": ["type": "string"], "url": ref("template"), "headers": ref("headers"), "body": ref("template"),
        "status": ["oneOf": [integer(minimum: 100, maximum: 599), list(integer(minimum: 100, maximum: 599))]],
        "body_contains": ref("template"), "timeout": ref("duration"), "max_body": ref("size"),
    ] }
    static var tcpTypes: [String: JSON] { ["address": ref("template"), "timeout": ref("duration")] }
    static var sshTypes: [String: JSON] { [
        "host": ref("template"), "user": ref("template"), "port": integer(minimum: 1, maximum: 65535), "identity_file": ref("template"),
        "options": ref("words"), "connect_timeout": ref("duration"), "command": list(ref("template"), atLeastOne: true),
    ] }
    static var kubectlTypes: [String: JSON] { [
        "args": list(ref("template"), atLeastOne: true), "context": ref("template"), "namespace": ref("template"), "kubeconfig": ref("template"),
    ] }
    static var prometheusTypes: [String: JSON] {
        [
            "url": ref("template"), "query": ref("template"), "expect": described(["type": "string"], "Like '> 0', '== 1' or 'count > 0'."),
            "basic_auth": object(Keys.basicAuth, basicAuthTypes, required: ["user"]), "bearer_token": ref("template"),
            "timeout": ref("duration"), "max_body": ref("size"),
        ]
    }
    static var basicAuthTypes: [String: JSON] { ["user": ref("template"), "password": ref("template")] }
    static var killTypes: [String: JSON] {
        let signals = ScenarioValidator.Rules.signals
        return [
            "pid": ["type": ["integer", "string"]], "pidfile": ref("template"),
            "signal": described(["type": "string"], "One of \(signals.joined(separator: " ")), any case, with or without SIG."),
            "process_group": boolean,
        ]
    }
    static func kindRef(_ key: String) -> JSON { ref("kind_" + key) }
    /// Where a probe is held (wait_for, a guard): one of the probe kinds, each its own definition.
    static var probeKindRefs: [String: JSON] { Dictionary(uniqueKeysWithValues: Keys.probeKinds.map { ($0, kindRef($0)) }) }
    static var waitForTypes: [String: JSON] {
        probeKindRefs.merging(["expect": oneWord(["pass", "fail"]), "every": ref("duration"), "consecutive": integer(minimum: 1)]) { $1 }
    }
    static var guardTypes: [String: JSON] {
        probeKindRefs.merging(["name": string(), "every": ref("duration"), "trip_after": integer(minimum: 1)]) { $1 }
    }
    static var notifierTypes: [String: JSON] { [
        "name": string(), "slack": ref("notifier_target"), "webhook": ref("notifier_target"),
        "on": list(oneWord(NotifyTrigger.allCases.map(\.rawValue))),
    ] }
    static var notifierTargetTypes: [String: JSON] { ["url": ref("template"), "headers": ref("headers")] }
    static var silenceTypes: [String: JSON] { [
        "alertmanager": ref("template"), "matchers": list(ref("matcher"), atLeastOne: true), "comment": ref("template"), "duration": ref("duration"),
    ] }
    static var scheduleTypes: [String: JSON] { [
        "every": oneWord(["monthly", "quarterly", "yearly"]), "cron": ["type": "string"], "time_zone": ["type": "string"],
    ] }
    static var matcherTypes: [String: JSON] { ["name": ref("template"), "value": ref("template"), "regex": boolean, "negate": boolean] }
}
