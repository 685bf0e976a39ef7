import Yams

/// How one kind of action is written in a scenario: its key and facts (`kind`), the keys of its
/// value, their types for the JSON Schema, and how the value is read. Every kind, presets
/// included, is one file in `Kinds/` listed once in `ActionKinds.all`.
public protocol ActionReading: SendableMetatype {
    static var kind: ActionKind { get }
    /// The keys its value takes when it is a mapping, in the order the format documents them;
    /// empty when its value is a scalar or a list. The loader's and the schema's lists are this one.
    static var keys: [String] { get }
    /// The JSON Schema of its value (`SchemaJSON`).
    static var schema: SchemaJSON.Object { get }
    /// Keys of nested mappings, by their place's name (`basic_auth`), for the schema's drift check.
    static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { get }
    /// Reads the value under its key; nil, with findings, when it is unusable.
    static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action?
    /// The resolved forms it performs as, for reading them back from the record.
    static var resolvedForms: [any ResolvedSpec.Type] { get }
}

extension ActionReading {
    public static var keys: [String] { [] }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [] }
    public static var resolvedForms: [any ResolvedSpec.Type] { [] }
}

/// A kind's model: what a step of it holds once read, how it is checked and how its `${...}`
/// references are resolved into what a driver performs.
public protocol ActionSpec: ActionReading, Hashable, Sendable {
    /// The `${...}` references it holds, for the validator's reference checks.
    var templates: [Template] { get }
    /// The kind's own rules, applied again to a model built in code (the loader applies them
    /// while it reads, at the value itself).
    func check(_ check: inout ActionCheck)
    /// Everything substituted: exactly what its driver performs; nil for a kind that performs
    /// nothing itself (`manual`).
    func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction?
    /// Whether performing it can change the system; by default as `kind.injects` says.
    var isInjecting: Bool { get }
}

extension ActionSpec {
    /// Equal when `other` is of this kind and holds the same value (no boxing).
    func isEqual(to other: any ActionSpec) -> Bool { (other as? Self) == self }

    public func check(_ check: inout ActionCheck) {}
    /// Fails closed: a kind that injects unless its method is safe, and does not say its method, injects.
    public var isInjecting: Bool { Self.kind.injects != .never }
}

/// Collects the findings of one action's rules, placed at the action's step unless a rule
/// names a closer place.
public struct ActionCheck {
    public let location: SourceLocation
    public private(set) var findings: [Finding] = []

    public init(at location: SourceLocation) { self.location = location }

    public mutating func error(_ message: String?, at place: SourceLocation? = nil) {
        if let message { findings.append(.error(message, at: place ?? location)) }
    }
}

/// What a step does, or a probe: one value of any kind in `ActionKinds.all`.
public struct Action: Hashable, Sendable {
    public let spec: any ActionSpec

    public init(_ spec: some ActionSpec) { self.spec = spec }

    /// The kind's own model, when it is of kind `T`.
    public func `as`<T: ActionSpec>(_: T.Type) -> T? { spec as? T }

    /// The YAML key that names this kind (`ssh` and `kubectl` are read as `run`).
    public var kind: String { type(of: spec).kind.key }
    public var isProbe: Bool { type(of: spec).kind.isProbe }
    /// Whether running it again could change the system twice (a kill, a command).
    /// Probes by HTTP GET/HEAD, TCP connects, sleeps and polls are safe to repeat.
    public var isInjecting: Bool { spec.isInjecting }
    public var templates: [Template] { spec.templates }

    public static func == (lhs: Action, rhs: Action) -> Bool { lhs.spec.isEqual(to: rhs.spec) }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type(of: spec).kind.key)
        spec.hash(into: &hasher)
    }
}

/// A step's action and a probe are the same value; the names say where it is held.
public typealias StepAction = Action
public typealias Probe = Action

extension Action {
    /// A probe held as a step (`steady_state`, a phase's step).
    public static func probe(_ probe: Probe) -> StepAction { probe }
}
