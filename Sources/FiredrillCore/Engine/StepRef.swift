/// Where a step sits in the scenario: the address every attempt and record uses.
public enum StepRef: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    case setup(Int)
    case steadyBefore(Int)
    case phase(Int, Int)
    case steadyAfter(Int)
    /// An entry of the rollback ledger, in the order it became owed.
    case rollback(Int)
    case teardown(Int)

    /// A stable text form for database columns: `phase.1.0`, `rollback.2`.
    public var description: String {
        switch self {
        case .setup(let i): "setup.\(i)"
        case .steadyBefore(let i): "steady-before.\(i)"
        case .phase(let p, let s): "phase.\(p).\(s)"
        case .steadyAfter(let i): "steady-after.\(i)"
        case .rollback(let i): "rollback.\(i)"
        case .teardown(let i): "teardown.\(i)"
        }
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, let a = Int(parts[1]) else { return nil }
        switch (parts[0], parts.count) {
        case ("setup", 2): self = .setup(a)
        case ("steady-before", 2): self = .steadyBefore(a)
        case ("phase", 3): guard let b = Int(parts[2]) else { return nil }; self = .phase(a, b)
        case ("steady-after", 2): self = .steadyAfter(a)
        case ("rollback", 2): self = .rollback(a)
        case ("teardown", 2): self = .teardown(a)
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let ref = StepRef(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad step ref '\(text)'"))
        }
        self = ref
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    var order: (Int, Int, Int) {
        switch self {
        case .setup(let i): (0, i, 0)
        case .steadyBefore(let i): (1, i, 0)
        case .phase(let p, let s): (2, p, s)
        case .steadyAfter(let i): (3, i, 0)
        case .rollback(let i): (4, i, 0)
        case .teardown(let i): (5, i, 0)
        }
    }

    public static func < (lhs: StepRef, rhs: StepRef) -> Bool { lhs.order < rhs.order }
}
