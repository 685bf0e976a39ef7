/// The form a kind performs as once every `${...}` is substituted: what its driver is handed
/// and what the record holds for each attempt.
public protocol ResolvedSpec: Hashable, Sendable, Codable, SendableMetatype {
    /// The key it is recorded under: its kind's (`ssh` and `kubectl` perform as `run`).
    static var key: String { get }
    /// The driver that performs it, by the name `SystemDriver` registers it under.
    static var performer: String { get }
    /// Records written before the kinds were modules hold some kinds as an enum's one unnamed
    /// value, `{"http": {"_0": {...}}}`; those keep that form, so old and new records agree.
    static var isWrapped: Bool { get }
    /// One line for progress output, plans and reports.
    var summary: String { get }
    /// The request's own time limit, for the kinds that set one.
    var ownTimeout: DrillDuration? { get }
    /// Whether performing it again could change the system twice.
    var isInjecting: Bool { get }
}

extension ResolvedSpec {
    /// Equal when `other` is of this form and holds the same value (no boxing).
    func isEqual(to other: any ResolvedSpec) -> Bool { (other as? Self) == self }

    public static var isWrapped: Bool { false }
    public var ownTimeout: DrillDuration? { nil }
    public var isInjecting: Bool { ActionKind.injects(Self.key, method: nil) }
}

/// A step's action with every `${...}` substituted: exactly what a driver performs.
public struct ResolvedAction: Hashable, Sendable, Codable, CustomStringConvertible {
    public let spec: any ResolvedSpec

    public init(_ spec: some ResolvedSpec) { self.spec = spec }

    public func `as`<T: ResolvedSpec>(_: T.Type) -> T? { spec as? T }

    /// The kind of step it was resolved from (`ssh` and `kubectl` resolve to `run`).
    public var kind: String { type(of: spec).key }
    public var performer: String { type(of: spec).performer }
    public var summary: String { spec.summary }
    public var ownTimeout: DrillDuration? { spec.ownTimeout }
    public var isInjecting: Bool { spec.isInjecting }
    public var description: String { summary }

    public static func == (lhs: ResolvedAction, rhs: ResolvedAction) -> Bool { lhs.spec.isEqual(to: rhs.spec) }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type(of: spec).key)
        spec.hash(into: &hasher)
    }

    // MARK: Coding, `{"KIND": payload}` as the record has always held it

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let wrapped = Key(stringValue: "_0")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected one action kind, got \(container.allKeys.count) keys"))
        }
        guard let form = ActionKinds.resolvedForm(key.stringValue) else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: "unknown action kind '\(key.stringValue)'"))
        }
        spec = try Self.decode(form, from: container, key)
    }

    static func decode<T: ResolvedSpec>(_ form: T.Type, from container: KeyedDecodingContainer<Key>, _ key: Key) throws -> T {
        guard form.isWrapped else { return try container.decode(T.self, forKey: key) }
        return try container.nestedContainer(keyedBy: Key.self, forKey: key).decode(T.self, forKey: .wrapped)
    }

    public func encode(to encoder: any Encoder) throws {
        try Self.encode(spec, to: encoder)
    }

    static func encode<T: ResolvedSpec>(_ spec: T, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let key = Key(stringValue: T.key)
        if T.isWrapped {
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: key)
            try nested.encode(spec, forKey: .wrapped)
        } else {
            try container.encode(spec, forKey: key)
        }
    }

    static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingAll("'", with: "'\\''") + "'"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
