/// What `${...}` can name when a step runs: scenario vars (after `--var` overrides),
/// `env.NAME`, `secret.NAME`, `canary.seq`, `run.id`, `scenario.name`, and `mark.NAME` once that
/// mark is on the record.
public struct VariableScope: Hashable, Sendable {
    public var vars: [String: String]
    public var environment: [String: String]
    public var runID: String
    public var scenarioName: String
    public var canarySeq: Int?
    /// Declared secrets' values, read from the environment when the run starts or resumes.
    public var secrets: [String: String]
    /// The marks recorded so far, as Unix seconds to the millisecond (`unixSeconds`).
    public var marks: [String: String] = [:]
    /// The latest inventory a `backups` step read: `backups.oldest.id` and the rest.
    public var backups: BackupInventory?
    /// Before any inventory is read (`plan`): `${backups.oldest.id}` and the rest stand for
    /// themselves, as `<backups.oldest.id>`.
    public var backupsPlaceholders = false

    public init(vars: [String: String], environment: [String: String], runID: String, scenarioName: String, canarySeq: Int? = nil,
                secrets: [String: String] = [:]) {
        self.vars = vars
        self.environment = environment
        self.runID = runID
        self.scenarioName = scenarioName
        self.canarySeq = canarySeq
        self.secrets = secrets
    }

    public func lookup(_ name: String) -> String? {
        if name.hasPrefix("env.") { return environment[String(name.dropFirst(4))] }
        if name.hasPrefix("secret.") { return secrets[String(name.dropFirst(7))] }
        if name.hasPrefix("mark.") { return marks[String(name.dropFirst(5))] }
        if name.hasPrefix("backups.") {
            let key = String(name.dropFirst(8))
            if let backups { return backups.lookup(key) }
            return backupsPlaceholders && BackupInventory.references.contains(key) ? "<\(name)>" : nil
        }
        switch name {
        case "canary.seq": return canarySeq.map(String.init)
        case "run.id": return runID
        case "scenario.name": return scenarioName
        default: return vars[name]
        }
    }

    /// `1763700000.123`: Unix seconds to the millisecond, as PromQL's `@` and `date -d @` take them.
    public static func unixSeconds(_ wallNs: Int64) -> String {
        guard wallNs >= 0 else { return "-" + unixSeconds(-wallNs) }
        let millis = wallNs / 1_000_000
        let frac = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    public func with(canarySeq seq: Int) -> VariableScope {
        var copy = self
        copy.canarySeq = seq
        return copy
    }

    public func resolve(_ template: Template) throws(UnresolvedReference) -> String {
        try template.resolve(lookup)
    }

    /// Resolves the scenario's vars in order (each may use `env.*` and earlier vars);
    /// `overrides` (from `--var`) replace values verbatim.
    public static func resolveVars(_ vars: [Variable], overrides: [String: String], environment: [String: String],
                                   runID: String, scenarioName: String) throws(UnresolvedReference) -> [String: String] {
        var scope = VariableScope(vars: [:], environment: environment, runID: runID, scenarioName: scenarioName)
        for variable in vars {
            if let override = overrides[variable.name] {
                scope.vars[variable.name] = override
            } else {
                scope.vars[variable.name] = try scope.resolve(variable.value)
            }
        }
        for (name, value) in overrides where scope.vars[name] == nil { scope.vars[name] = value }
        return scope.vars
    }

    public func resolveOptional(_ template: Template?) throws(UnresolvedReference) -> String? {
        guard let template else { return nil }
        return try resolve(template)
    }

    /// The probe resolved by its kind: what its driver performs.
    public func resolve(probe: Probe) throws(UnresolvedReference) -> ResolvedAction {
        // A probe's place (a guard, the canary, wait_for) never performs what is not a probe:
        // a scenario built in code, unvalidated, could hold a kill there.
        guard probe.isProbe, let action = try probe.spec.resolved(in: self) else {
            throw UnresolvedReference(name: "a '\(probe.kind)' is not a probe", location: probe.templates.first?.location ?? .synthesized(),
                                      unterminated: false)
        }
        return action
    }

    /// A step's action resolved: as `resolve(_:)`, its output checks judged on a failure when
    /// the step expects one.
    public func resolve(step: Step) throws(UnresolvedReference) -> (action: ResolvedAction?, instructions: String?) {
        let resolved = try resolve(step.action)
        guard step.expect == .fail, let action = resolved.action, let output = action.output, !output.checks.isEmpty else { return resolved }
        return (action.changingOutput { $0.onFailure = true }, resolved.instructions)
    }

    /// The step's action resolved, or the manual instructions.
    public func resolve(_ action: StepAction) throws(UnresolvedReference) -> (action: ResolvedAction?, instructions: String?) {
        if let manual = action.as(ManualStep.self) { return (nil, try resolve(manual.instructions)) }
        return (try action.spec.resolved(in: self), nil)
    }
}
