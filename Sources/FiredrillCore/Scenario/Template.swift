/// A string as written in the scenario, possibly holding `${name}` references
/// (`${var}`, `${env.NAME}`, `${canary.seq}`); resolved only when a step runs.
public struct Template: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var raw: String
    public var location: SourceLocation
    /// How the resolved text is quoted: a word of a remote command (`ssh`) is quoted for the
    /// remote POSIX shell after substitution, so no value can break out of its word there.
    public var quoting: Quoting

    public enum Quoting: String, Hashable, Sendable, Codable {
        case none
        case posixShellWord
    }

    public init(_ raw: String, at location: SourceLocation = .synthesized(), quoting: Quoting = .none) {
        self.raw = raw
        self.location = location
        self.quoting = quoting
    }

    public init(stringLiteral value: String) { self.init(value) }

    private enum CodingKeys: String, CodingKey { case raw, location, quoting }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        raw = try c.decode(String.self, forKey: .raw)
        location = try c.decode(SourceLocation.self, forKey: .location)
        quoting = try c.decodeIfPresent(Quoting.self, forKey: .quoting) ?? .none
    }

    public var description: String { raw }

    /// A piece of a template: literal text or a reference, with its offset in `raw`.
    public enum Part: Hashable, Sendable {
        case literal(String)
        case reference(String, offset: Int)
    }

    /// Splits `raw` into literals and `${...}` references. `$${` escapes a literal `${`.
    /// An unterminated `${` is reported through `unterminatedAt`.
    public var parts: (parts: [Part], unterminatedAt: Int?) {
        var parts: [Part] = []
        var literal = ""
        let chars = Array(raw)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                literal += "${"; i += 3; continue
            }
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                    if !literal.isEmpty { parts.append(.literal(literal)) }
                    return (parts, i)
                }
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                parts.append(.reference(String(chars[(i + 2)..<close]).trimmingSpaces.description, offset: i))
                i = close + 1
                continue
            }
            literal.append(chars[i]); i += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return (parts, nil)
    }

    /// Every reference name in this template.
    public var references: [String] {
        parts.parts.compactMap { if case .reference(let name, _) = $0 { return name } else { return nil } }
    }

    /// Substitutes every reference through `lookup`; a nil lookup is an error naming the reference.
    public func resolve(_ lookup: (String) -> String?) throws(UnresolvedReference) -> String {
        let (parts, unterminated) = self.parts
        if let offset = unterminated { throw UnresolvedReference(name: String(raw.dropFirst(offset)), location: location, unterminated: true) }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .reference(let name, _):
                guard let value = lookup(name) else { throw UnresolvedReference(name: name, location: location, unterminated: false) }
                out += value
            }
        }
        switch quoting {
        case .none: return out
        case .posixShellWord: return "'" + out.replacingAll("'", with: "'\\''") + "'"
        }
    }
}

public struct UnresolvedReference: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var location: SourceLocation
    public var unterminated: Bool
    public var description: String {
        unterminated ? "\(location): error: unterminated '${' in '\(name)'" : "\(location): error: unknown variable '${\(name)}'"
    }
}
