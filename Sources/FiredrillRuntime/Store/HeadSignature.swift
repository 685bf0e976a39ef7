import Crypto
import FiredrillCore
import Foundation

/// A run's chain head signed with the team's Ed25519 key. Someone who can rewrite the whole
/// database can recompute every hash, but not this signature; and each signature names the
/// digest of the one signed before it in the same database, so deleting a signed run (with its
/// signature) breaks the next one's link.
public struct HeadSignature: Hashable, Sendable {
    public var runID: String
    public var eventCount: Int
    public var headHash: String
    /// The digest of the signature signed before this one here, or the genesis hash.
    public var previousDigest: String
    /// Raw Ed25519 public key, base64.
    public var publicKey: String
    /// base64.
    public var signature: String
    public var signedWallNs: Int64
    /// Brought in by `firedrill import`: it links into the signatures of the record it was
    /// signed in, not this one's, so only its statement and its run's chain are checked here.
    public var imported: Bool

    public init(runID: String, eventCount: Int, headHash: String, previousDigest: String, publicKey: String, signature: String,
                signedWallNs: Int64, imported: Bool = false) {
        self.imported = imported
        self.runID = runID
        self.eventCount = eventCount
        self.headHash = headHash
        self.previousDigest = previousDigest
        self.publicKey = publicKey
        self.signature = signature
        self.signedWallNs = signedWallNs
    }

    /// What is signed: a versioned, line-separated statement (documented in GUARANTEES.md).
    public static func message(runID: String, eventCount: Int, headHash: String, previousDigest: String) -> Data {
        Data("firedrill-signed-head-v1\n\(runID)\n\(eventCount)\n\(headHash)\n\(previousDigest)\n".utf8)
    }

    public var message: Data { Self.message(runID: runID, eventCount: eventCount, headHash: headHash, previousDigest: previousDigest) }

    /// What the next signature links to.
    public var digest: String {
        AuditChain.hex(SHA256.hash(data: message + Data(signature.utf8)))
    }

    public var keyID: String { SigningKey.keyID(publicKey) }

    /// Whether the signature holds for its statement under `key` (default: the key it names).
    public func isValid(under key: Curve25519.Signing.PublicKey? = nil) -> Bool {
        guard let raw = Data(base64Encoded: signature),
              let key = key ?? Data(base64Encoded: publicKey).flatMap({ try? Curve25519.Signing.PublicKey(rawRepresentation: $0) })
        else { return false }
        return key.isValidSignature(raw, for: message)
    }

    public var text: SignedHeadText {
        SignedHeadText(head: headHash, eventCount: eventCount, keyID: keyID, publicKey: publicKey, signature: signature)
    }
}

extension SignedHeadText {
    public init(_ signature: HeadSignature) { self = signature.text }
}

/// The team's Ed25519 signing key: `firedrill key create` writes it (mode 0600) and its public
/// half beside it (`.pub`), which is what `verify --public-key` and auditors keep.
public struct SigningKey: Sendable {
    /// The raw private key (Crypto's key type is not Sendable).
    let raw: Data
    public let path: String
    var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: raw) }

    init(key: Curve25519.Signing.PrivateKey, path: String) {
        raw = key.rawRepresentation
        self.path = path
    }

    static let privateTag = "firedrill-ed25519-private-v1"
    static let publicTag = "firedrill-ed25519-public-v1"

    /// `$FIREDRILL_SIGNING_KEY`, else `~/.config/firedrill/signing.key`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["FIREDRILL_SIGNING_KEY"], !path.isEmpty { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (environment["XDG_CONFIG_HOME"] ?? home + "/.config") + "/firedrill/signing.key"
    }

    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }
    public var keyID: String { Self.keyID(publicKey) }

    /// The first 16 hex digits of SHA-256 over the raw public key.
    public static func keyID(_ publicKey: String) -> String {
        AuditChain.hex(SHA256.hash(data: Data(base64Encoded: publicKey) ?? Data(publicKey.utf8))).prefix(16).description
    }

    /// Writes a new key pair; refuses to replace an existing key.
    public static func create(at given: String) throws(KeyError) -> SigningKey {
        let manager = FileManager.default
        // Absolute first: a bare name's folder is the current one.
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        guard !manager.fileExists(atPath: path) else {
            throw KeyError(description: "\(path) already exists: a signing key is not replaced (remove it first, or give another --out)")
        }
        let key = Curve25519.Signing.PrivateKey()
        do {
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
            // Created private from the first byte: never readable by others, even briefly.
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { throw KeyError(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
            let text = "\(privateTag) \(key.rawRepresentation.base64EncodedString())\n"
            let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            close(fd)
            guard written == text.utf8.count else { throw KeyError(description: "cannot write \(path)") }
            try "\(publicTag) \(key.publicKey.rawRepresentation.base64EncodedString())\n"
                .write(toFile: path + ".pub", atomically: true, encoding: .utf8)
        } catch let error as KeyError {
            throw error
        } catch {
            throw KeyError(description: "cannot write the key to \(path): \(error.localizedDescription)")
        }
        return SigningKey(key: key, path: path)
    }

    public static func load(_ path: String) throws(KeyError) -> SigningKey {
        guard let raw = try read(path, tag: privateTag), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw KeyError(description: "\(path) is not a Firedrill signing key (expected '\(privateTag) BASE64')")
        }
        return SigningKey(key: key, path: path)
    }

    /// The key named by the environment or found at the default path; nil when there is none.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeyError) -> SigningKey? {
        let path = defaultPath(environment: environment)
        if environment["FIREDRILL_SIGNING_KEY"] == nil, !FileManager.default.fileExists(atPath: path) { return nil }
        return try load(path)
    }

    /// A public key file (`.pub`), or the base64 raw key itself.
    public static func publicKey(_ pathOrKey: String) throws(KeyError) -> Curve25519.Signing.PublicKey {
        let raw = FileManager.default.fileExists(atPath: pathOrKey) ? try read(pathOrKey, tag: publicTag) : Data(base64Encoded: pathOrKey)
        guard let raw, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw KeyError(description: "\(pathOrKey) is not a Firedrill public key (expected '\(publicTag) BASE64')")
        }
        return key
    }

    static func read(_ path: String, tag: String) throws(KeyError) -> Data? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw KeyError(description: "cannot read \(path)") }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, parts[0] == tag else { return nil }
        return Data(base64Encoded: String(parts[1]))
    }

    public func sign(runID: String, eventCount: Int, headHash: String, previousDigest: String, wallNs: Int64) -> HeadSignature {
        let message = HeadSignature.message(runID: runID, eventCount: eventCount, headHash: headHash, previousDigest: previousDigest)
        let signature = (try? key.signature(for: message)) ?? Data()
        return HeadSignature(runID: runID, eventCount: eventCount, headHash: headHash, previousDigest: previousDigest,
                             publicKey: publicKey, signature: signature.base64EncodedString(), signedWallNs: wallNs)
    }
}

public struct KeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension HeadSignature {
    /// What is wrong with this signed head against its run's chain as stored, or nil when it
    /// holds: its signature for its statement (under `key`, or the key it names), and its hash
    /// at its event. Reports and `verify` ask the same question.
    public func problem(in links: [AuditChain.Link], key: Curve25519.Signing.PublicKey? = nil) -> String? {
        signatureProblem(key: key) ?? chainProblem(in: links)
    }

    /// Whether the signature holds for its statement, under `key` or the key it names.
    public func signatureProblem(key: Curve25519.Signing.PublicKey? = nil) -> String? {
        if !isValid() { return "its signature does not hold for what it states: the signed head was edited" }
        if let key, !isValid(under: key) { return "signed by key \(keyID), not by the key given" }
        return nil
    }

    /// Whether the run's chain has the signed hash at the signed event.
    public func chainProblem(in links: [AuditChain.Link]) -> String? {
        chainProblem(hashAtEvent: links[safe: eventCount - 1]?.hash)
    }

    /// The same, given the hash of the chain's `eventCount`th link (nil: it has none).
    public func chainProblem(hashAtEvent hash: String?) -> String? {
        guard let hash, hash == headHash else {
            return "the chain has no event \(eventCount) with the signed hash \(headHash.prefix(12)): the chain was rewritten or cut"
        }
        return nil
    }
}
