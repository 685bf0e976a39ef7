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
    typealias JSON = SchemaJSON.Object

    /// The schema, as the file `schema/firedrill-scenario-v1.schema.json` holds it.
    public static var text: String {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func ref(_ name: String) -> JSON { SchemaJSON.ref(name) }
    static func list(_ item: JSON, atLeastOne: Bool = false) -> JSON { SchemaJSON.list(item, atLeastOne: atLeastOne) }
    static func string(_ description: String? = nil) -> JSON { SchemaJSON.string(description) }
    static func oneWord(_ words: [String]) -> JSON { SchemaJSON.oneWord(words) }
    static var boolean: JSON { SchemaJSON.boolean }
    static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSON { SchemaJSON.integer(minimum: minimum, maximum: maximum) }
    static func described(_ schema: JSON, _ description: String?) -> JSON { SchemaJSON.described(schema, description) }
    static func object(_ keys: [String], _ types: [String: JSON], required: [String] = [], description: String? = nil) -> JSON {
        SchemaJSON.object(keys, types, required: required, description: description)
    }
    static func exactlyOne(_ keys: [String]) -> [JSON] { SchemaJSON.exactlyOne(keys) }

    /// Each place's loader keys beside the types the schema gives them: a key on one side only is a drift.
    static var places: [(name: String, keys: [String], types: [String: JSON])] {
        [
            ("scenario", Keys.scenario, scenarioTypes), ("objectives", Keys.objectives, objectivesTypes), ("canary", Keys.canary, canaryTypes),
            ("phase", Keys.phase, phaseTypes), ("step", Keys.step, stepTypes),
            ("guard", Keys.guardKeys, guardTypes), ("notifier", Keys.notifier, notifierTypes), ("silence", Keys.silence, silenceTypes),
            ("schedule", Keys.schedule, scheduleTypes), ("matcher", Keys.matcher, matcherTypes), ("alerting", Keys.alerting, alertingTypes),
            ("notifier target", Keys.notifierTarget, notifierTargetTypes),
            ("probe", Keys.probeHolder, probeHolderTypes), ("output", ScenarioReader.outputKeys, outputTypes),
        ] + ActionKinds.all.flatMap { kind in kind.nestedKeys }
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
            "probe": ["allOf": [object(Keys.probeHolder, probeHolderTypes)], "oneOf": exactlyOne(Keys.probeKinds)],
            "output_check": ["allOf": [object(ScenarioReader.outputKeys, outputTypes)], "oneOf": exactlyOne(["contains", "matches", "json"])],
            "output": described(["oneOf": [ref("output_check"), list(ref("output_check"), atLeastOne: true)]],
                                "What the output (standard output, or the response body) must hold; a list: all of them."),
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
            "alerting": object(Keys.alerting, alertingTypes),
        ]
    }
    static var objectivesTypes: [String: JSON] {
        ["rto": ref("duration"), "rpo": ref("duration"),
         "detect": described(ref("duration"), "Time to detect: from the disaster to the detected mark (an alert's firing, when an alert probe sets it)."),
         "retention": described(ref("duration"), "Met when the drill restored and verified a restore point at least this old at the disaster."),
         "forget_after": described(ref("duration"), "Missed when an inventory still holds a restore point older than this.")]
    }
    static var probeHolderTypes: [String: JSON] {
        kindTypes.filter { Keys.probeKinds.contains($0.key) }.merging(["output": ref("output")]) { $1 }
    }
    static var outputTypes: [String: JSON] {
        ["contains": ref("template"), "matches": string("A POSIX extended regular expression, as grep -E reads it."),
         "json": string("A JSONPath: $.items[*].status.phase, $[?@.state == 'ready']."),
         "expect": string("Like '> 0', 'count == 2' or '== Completed'.")]
    }
    static var canaryTypes: [String: JSON] { ["every": ref("duration"), "warmup": ref("duration"), "write": ref("probe"), "read": ref("probe")] }
    static var phaseTypes: [String: JSON] { ["name": string(), "steps": list(ref("step"), atLeastOne: true)] }
    static var stepTypes: [String: JSON] {
        var types: [String: JSON] = [
            "name": string("Unique name."), "timeout": ref("duration"), "retries": integer(minimum: 0), "retry_delay": ref("duration"),
            "on_failure": oneWord(["abort", "continue"]), "mark": ["type": "string"], "rollback": ref("steps"), "idempotent": boolean,
            "output": ref("output"), "expect": described(oneWord(["pass", "fail"]), "fail: the step passes when its action fails (is refused)."),
            "restores": string("The restore point it restores: oldest, newest or an id from the inventory."),
            "verified_by": string("The later step whose passing verifies that restore (else the recovered mark)."),
        ]
        for kind in ActionKind.all { types[kind.key] = kindRef(kind.key) }
        return types
    }
    /// The value of each action kind's key, as its kind states it.
    static var kindTypes: [String: JSON] {
        Dictionary(uniqueKeysWithValues: ActionKinds.all.map { ($0.kind.key, $0.schema) })
    }
    static func kindRef(_ key: String) -> JSON { SchemaJSON.kindRef(key) }
    static var probeKindRefs: [String: JSON] { SchemaJSON.probeKindRefs }
    static var guardTypes: [String: JSON] {
        probeKindRefs.merging(["name": string(), "every": ref("duration"), "trip_after": integer(minimum: 1), "output": ref("output"),
                               "expect": described(oneWord(["pass", "fail"]), "fail: a poll holds when its probe is refused, and fails when it passes.")]) { $1 }
    }
    static var notifierTypes: [String: JSON] { [
        "name": string(), "slack": ref("notifier_target"), "webhook": ref("notifier_target"),
        "on": list(oneWord(NotifyTrigger.allCases.map(\.rawValue))),
    ] }
    static var notifierTargetTypes: [String: JSON] { ["url": ref("template"), "headers": ref("headers")] }
    static var silenceTypes: [String: JSON] { [
        "alertmanager": ref("template"), "matchers": list(ref("matcher"), atLeastOne: true), "comment": ref("template"), "duration": ref("duration"),
    ] }
    static var alertingTypes: [String: JSON] {
        let labels: JSON = ["type": "object", "additionalProperties": ["type": "string"], "minProperties": 1]
        let rule: JSON = ["oneOf": [labels, list(labels, atLeastOne: true)]]
        return [
            "priorities": described(object(Alerting.priorityNames, Dictionary(uniqueKeysWithValues: Alerting.priorityNames.map { ($0, rule) })),
                                    "Labels that make an alert P1, P2 or P3, like {severity: critical}."),
            "causes": described(oneWord(Alerting.priorityNames), "The highest priority this drill's fault should raise."),
        ]
    }
    static var scheduleTypes: [String: JSON] { [
        "every": oneWord(["monthly", "quarterly", "yearly"]), "cron": ["type": "string"], "time_zone": ["type": "string"],
    ] }
    static var matcherTypes: [String: JSON] { ["name": ref("template"), "value": ref("template"), "regex": boolean, "negate": boolean] }
}
