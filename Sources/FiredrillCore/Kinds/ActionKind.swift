/// The facts of one kind of step action, as a scenario file names it; each kind's file in
/// `Kinds/` states its own, and `ActionKinds.all` lists the kinds.
public struct ActionKind: Hashable, Sendable {
    /// The step's key: `run: [...]`, `http: {...}`.
    public var key: String
    /// How its value is written, for people (the documentation's table).
    public var value: String
    /// What it does, in one sentence.
    public var summary: String
    /// Whether it can be a probe: in steady state, `wait_for`, guards and the canary.
    public var isProbe: Bool
    /// Whether performing it can change the system (a step in doubt after a crash halts the run).
    public var injects: Injects
    /// Its value in a step, as YAML (`[systemctl, start, app]`): the documentation's and the
    /// schema's example, and what the tests load to check the loader reads every kind.
    public var example: String
    /// The kind it is read as: a preset (`ssh`, `kubectl`) expands to `run`.
    public var readsAs: String

    public enum Injects: String, Hashable, Sendable {
        case always, never
        /// Unless its method is GET, HEAD or OPTIONS.
        case unlessSafeMethod = "unless GET, HEAD or OPTIONS"
    }

    /// The summary comes last, as it reads in the list: it is the long part.
    public init(key: String, value: String, isProbe: Bool, injects: Injects, example: String, readsAs: String? = nil, summary: String) {
        self.key = key
        self.value = value
        self.summary = summary
        self.isProbe = isProbe
        self.injects = injects
        self.example = example
        self.readsAs = readsAs ?? key
    }
}

extension ActionKind {
    /// Every kind, in the order the format documents them (`ActionKinds.all`).
    public static let all: [ActionKind] = ActionKinds.all.map { $0.kind }

    /// The kinds a probe can be.
    public static let probes: [ActionKind] = all.filter(\.isProbe)

    public static func named(_ key: String) -> ActionKind? { all.first { $0.key == key } }

    /// Methods that only read: an HTTP step using one is safe to run again.
    public static let safeMethods = ["GET", "HEAD", "OPTIONS"]

    /// Whether performing an action of kind `key` (an HTTP one with `method`) can change the
    /// system, so a call of it lost in a crash is in doubt. An unknown kind is assumed to.
    public static func injects(_ key: String, method: String?) -> Bool {
        switch named(key)?.injects ?? .always {
        case .always: true
        case .never: false
        // No method said: assumed to inject, as an unknown kind is.
        case .unlessSafeMethod: method.map { !safeMethods.contains($0.uppercased()) } ?? true
        }
    }

    /// The documentation's table of actions (`docs/scenario-format.md`, Actions), as Markdown.
    public static var documentationTable: String {
        (["| Key | Value | Does |", "|---|---|---|"] + all.map { "| `\($0.key)` | \($0.value) | \($0.summary) |" }).joined(separator: "\n")
    }
}
