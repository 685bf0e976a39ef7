/// The one list of action kinds, in the order the format documents them. A new kind is its
/// own file in `Kinds/` and one line here; the loader's key lists, "did you mean" candidates,
/// the validator's probe kinds, the JSON Schema and the documentation's table all come from it.
public enum ActionKinds {
    public static let all: [any ActionReading.Type] = [
        RunProbe.self,
        ShellProbe.self,
        HTTPProbe.self,
        TCPProbe.self,
        SSHPreset.self,
        KubectlPreset.self,
        PrometheusProbe.self,
        AlertProbe.self,
        KillSpec.self,
        SleepStep.self,
        ManualStep.self,
        WaitFor.self,
        BackupsStep.self,
    ]

    /// The kind reading `key`.
    public static func named(_ key: String) -> (any ActionReading.Type)? { all.first { $0.kind.key == key } }

    /// The resolved form recorded under `key`.
    static func resolvedForm(_ key: String) -> (any ResolvedSpec.Type)? { resolvedForms[key] }

    static let resolvedForms: [String: any ResolvedSpec.Type] = {
        var forms: [String: any ResolvedSpec.Type] = [:]
        for kind in all {
            for form in kind.resolvedForms { forms[form.key] = form }
        }
        return forms
    }()
}

extension ScenarioReader {
    /// The action under `entry`'s key, read by the kind that key names; nil for a key no kind has.
    public mutating func action(_ entry: Fields.Entry) -> Action? {
        guard let kind = ActionKinds.named(entry.key) else { return nil }
        return kind.read(entry, &self)
    }

    /// The one probe a mapping holds under a probe kind's key (`wait_for`, a guard, `canary.write`),
    /// reporting none or several. `role` ends the message for several: "it polls exactly one probe".
    public mutating func heldProbe(_ fields: Fields, of what: String, role: String, missing: String? = nil) -> Probe? {
        let probeKeys = ActionKind.probes.map(\.key)
        let kinds = fields.entries.filter { probeKeys.contains($0.key) }
        guard let first = kinds.first else {
            if fields.suggested.isDisjoint(with: probeKeys) {
                error("\(missing ?? what) needs a probe: one of \(probeKeys.joined(separator: ", "))", at: fields.node)
            }
            return nil
        }
        for extra in kinds.dropFirst() {
            error("\(what) has both '\(first.key)' and '\(extra.key)'; \(role)", at: extra.keyNode)
        }
        return attachOutput(fields, to: action(first))
    }
}

extension ScenarioValidator.Rules {
    /// A probe's place (`wait_for`, a guard, the canary) holds only a probe kind.
    public static func heldProbeKind(_ kind: String, in place: String) -> String? {
        probeKinds.contains(kind) ? nil : "\(place) needs a probe (\(probeKinds.joined(separator: ", "))), not '\(kind)'"
    }
}
