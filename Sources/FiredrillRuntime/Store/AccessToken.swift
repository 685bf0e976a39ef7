import Crypto
import Foundation

/// What a token's holder may do through `firedrill serve`: viewers read, operators also confirm
/// and abort runs, admins also manage tokens. Each role may do what every role below it may.
public enum AccessRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    /// A raw-valued enum gets no synthesized `<`: by power, the order of the cases.
    public static func < (lhs: AccessRole, rhs: AccessRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public func allows(_ needed: AccessRole) -> Bool { self >= needed }

    /// "viewer, operator or admin", for messages that name them.
    public static var names: String {
        let all = allCases.map(\.rawValue)
        return all.dropLast().joined(separator: ", ") + " or " + all.last!
    }
}

/// A token as the record keeps it: who holds it and what they may do, never its secret.
public struct AccessToken: Sendable, Hashable {
    /// Who holds it (a person or a team), unique among live tokens.
    public var name: String
    public var role: AccessRole
    public var createdWallNs: Int64
    /// nil while live.
    public var revokedWallNs: Int64?
    /// Not tracked yet: a lookup is a read, and stays one.
    public var lastUsedWallNs: Int64?

    public init(name: String, role: AccessRole, createdWallNs: Int64, revokedWallNs: Int64? = nil, lastUsedWallNs: Int64? = nil) {
        self.name = name
        self.role = role
        self.createdWallNs = createdWallNs
        self.revokedWallNs = revokedWallNs
        self.lastUsedWallNs = lastUsedWallNs
    }

    public var isLive: Bool { revokedWallNs == nil }

    /// The columns both stores read a token by: never its hash, which an auditor's role may not read.
    public static let columns = "name, role, created_wall_ns, revoked_wall_ns"

    public static let maxNameLength = 64

    /// Why `name` cannot name a token, or nil. ASCII only, so two names that look alike are
    /// alike, and a name shown in a log or a page cannot carry control or bidi characters.
    public static func nameProblem(_ name: String) -> String? {
        let other = name.unicodeScalars.first { scalar in
            !(scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || ".-_@ ".unicodeScalars.contains(scalar)))
        }
        let rule = "a token's name is 1-\(maxNameLength) ASCII letters, digits, '.', '-', '_', '@' and spaces (none at either end)"
        if name.isEmpty { return "\(rule); this one is empty" }
        if name.unicodeScalars.count > maxNameLength { return "\(rule); this one has \(name.unicodeScalars.count) characters" }
        if let other {
            let shown = (0x21...0x7E).contains(other.value) ? "'\(other)' (\(String(format: "U+%04X", other.value)))" : String(format: "U+%04X", other.value)
            return "\(rule); this one has \(shown)"
        }
        if name.hasPrefix(" ") || name.hasSuffix(" ") { return "\(rule); this one starts or ends with a space" }
        return nil
    }

    /// What a store refuses before writing: a bad name, or a value that is not a secret's hash
    /// (the secret itself passed by mistake would be kept in the clear).
    public static func checkNew(name: String, hash: String) throws {
        if let problem = nameProblem(name) { throw StoreError(description: problem) }
        guard TokenSecret.isHash(hash) else {
            throw StoreError(description: "a token is stored by its SHA-256 (64 lowercase hex digits), not as given")
        }
    }

    /// A row's role; one this Firedrill does not know grants nothing and is said.
    public static func role(_ raw: String, of name: String) throws -> AccessRole {
        guard let role = AccessRole(rawValue: raw) else {
            throw StoreError(description: "token '\(name)' has role '\(raw)', which this \(Firedrill.version) does not know (it knows \(AccessRole.names))")
        }
        return role
    }

    /// The refusal of a new token whose name or hash the record has already.
    public static func taken(name: String, liveNameExists: Bool) -> StoreError {
        liveNameExists
            ? StoreError(description: "a live token named '\(name)' exists already: revoke it first (firedrill token revoke), or choose another name")
            : StoreError(description: "a token with this secret's hash is in the record already (live or revoked): generate a new secret")
    }
}

/// A new token's secret, shown once: "fdt_" and 43 characters of base64url (32 random bytes).
public enum TokenSecret {
    public static let prefix = "fdt_"
    static let encodedLength = 43

    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let base64 = Data(bytes).base64EncodedString()
        return prefix + base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 hex of the whole secret text: what the store keeps (never the secret).
    public static func hash(_ secret: String) -> String { AuditChain.hex(SHA256.hash(data: Array(secret.utf8))) }

    /// Whether `text` has a secret's shape: a server may turn anything else away without a lookup.
    public static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        return body.count == encodedLength && body.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// Whether `text` is what `hash` gives: 64 lowercase hex digits.
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
