import Crypto
import FiredrillCore
import Foundation

/// One file of evidence that travels (`firedrill export`): every run it holds with its scenario
/// text and hash, each event as linked (payload as stored, previous hash, hash), its chain head,
/// the row reports read, its action items and signed heads. Each part carries a digest of its
/// own, the bundle a digest over them all, signed with the team's key when one is configured.
/// `verify FILE` checks it with no database: the chains, each part's digest, the rows against
/// their chains, the signed heads, and the bundle's signature.
public struct EvidenceBundle: Codable, Sendable, Equatable {
    public static let format = "firedrill-evidence-bundle"
    public var format: String
    public var version: Int
    public var firedrillVersion: String
    public var exportedWallNs: Int64
    public var runs: [Run]
    /// SHA-256 over the runs' digests, in order (`digestOfRuns`).
    public var digest: String
    public var signature: Signature?

    public struct Run: Codable, Sendable, Equatable {
        public var row: Row
        public var events: [Event]
        public var chainHead: String
        public var eventCount: Int
        public var actionItems: [Item]
        public var signedHeads: [Signed]
        /// Over the row, the chain head and count, and every part's digest.
        public var digest: String
    }

    /// The run's row as the exporting store had it, less its lease.
    public struct Row: Codable, Sendable, Equatable {
        public var id, scenario: String
        public var title: String?
        public var scenarioPath, scenarioText, scenarioSHA256, status: String
        public var startedWallNs, startedMonoNs: Int64
        public var bootID: String
        public var endedWallNs: Int64?
        public var rtoSeconds, rpoSeconds: Double?
        public var objectivesMet: Bool?
        public var varsJSON: String
    }

    public struct Event: Codable, Sendable, Equatable {
        public var seq: Int
        public var type: String
        public var atNs, monoNs, wallNs: Int64
        public var payload, prevHash, hash: String
    }

    public struct Item: Codable, Sendable, Equatable {
        public var item: ActionItem
        public var digest: String
    }

    public struct Signed: Codable, Sendable, Equatable {
        public var runID: String
        public var eventCount: Int
        public var headHash, previousDigest, publicKey, signature: String
        public var signedWallNs: Int64
        public var digest: String
    }

    /// The team's Ed25519 signature over `Signature.message(digest)`.
    public struct Signature: Codable, Sendable, Equatable {
        public var publicKey: String
        public var signature: String
        public static func message(_ digest: String) -> Data { Data("firedrill-evidence-bundle-v1\n\(digest)\n".utf8) }
    }
}

// MARK: - Making one

extension EvidenceBundle {
    /// The bundle of `runIDs` as `store` holds them, signed by `signer` when given.
    public static func export(_ runIDs: [String], from store: any DrillStore, signer: SigningKey?, wallNs: Int64) throws -> EvidenceBundle {
        var runs: [Run] = []
        for id in runIDs {
            guard let record = try store.run(id) else { throw StoreError(description: "no run '\(id)' in \(store.location)") }
            let links = try store.chain(of: id)
            let row = Row(record)
            let events = links.map(Event.init)
            let items = try store.actionItems(runID: id).map { Item(item: $0, digest: digestOf($0)) }
            let signed = try store.signatures(runID: id).map(Signed.init)
            let head = links.last?.hash ?? AuditChain.genesis
            runs.append(Run(row: row, events: events, chainHead: head, eventCount: links.count, actionItems: items, signedHeads: signed,
                            digest: runDigest(row: row, chainHead: head, eventCount: links.count, items: items, signed: signed)))
        }
        let digest = digestOfRuns(runs)
        let signature = signer.map { key in
            Signature(publicKey: key.publicKey, signature: key.signBytes(Signature.message(digest)).base64EncodedString())
        }
        return EvidenceBundle(format: format, version: 1, firedrillVersion: Firedrill.version, exportedWallNs: wallNs, runs: runs,
                              digest: digest, signature: signature)
    }

    /// Sorted keys, slashes as they are, indented: one text for one bundle, readable in a diff.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a bundle, refusing a file that is not one (or is too large to be one read whole).
    public static func read(_ path: String, limit: Int = 2 << 30) throws -> EvidenceBundle {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError(description: "cannot read the bundle \(path)") }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        guard size <= limit else { throw StoreError(description: "\(path) is \(size) bytes, larger than a bundle Firedrill reads (\(limit))") }
        try? handle.seek(toOffset: 0)
        let data = (try? handle.readToEnd()) ?? Data()
        struct Head: Decodable { var format: String?; var version: Int? }
        guard let head = try? JSONDecoder().decode(Head.self, from: data), head.format == format else {
            throw StoreError(description: "\(path) is not a Firedrill evidence bundle")
        }
        guard head.version == 1 else {
            throw StoreError(description: "\(path) is a bundle of version \(head.version.map(String.init) ?? "?"), which this \(Firedrill.version) does not read")
        }
        do { return try JSONDecoder().decode(EvidenceBundle.self, from: data) } catch {
            throw StoreError(description: "\(path) is a damaged evidence bundle: \(error)")
        }
    }

    static func sha256(_ data: Data) -> String { AuditChain.hex(SHA256.hash(data: data)) }

    static let canonical: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func digestOf<T: Encodable>(_ value: T) -> String { sha256((try? canonical.encode(value)) ?? Data()) }

    static func runDigest(row: Row, chainHead: String, eventCount: Int, items: [Item], signed: [Signed]) -> String {
        let parts = [digestOf(row), chainHead, String(eventCount)] + items.map(\.digest) + signed.map(\.digest)
        return sha256(Data(parts.joined(separator: "\n").utf8))
    }

    static func digestOfRuns(_ runs: [Run]) -> String { sha256(Data(runs.map(\.digest).joined(separator: "\n").utf8)) }
}

extension EvidenceBundle.Row {
    init(_ run: RunRecord) {
        self.init(id: run.id, scenario: run.scenario, title: run.title, scenarioPath: run.scenarioPath, scenarioText: run.scenarioText,
                  scenarioSHA256: run.scenarioSHA256, status: run.status.rawValue, startedWallNs: run.startedWallNs,
                  startedMonoNs: run.startedMonoNs, bootID: run.bootID, endedWallNs: run.endedWallNs, rtoSeconds: run.rtoSeconds,
                  rpoSeconds: run.rpoSeconds, objectivesMet: run.objectivesMet, varsJSON: run.varsJSON)
    }

    /// The row as a record; nil for a status this Firedrill does not know.
    func record(chainHead: String?, eventCount: Int) -> RunRecord? {
        guard let status = RunStatus(rawValue: status) else { return nil }
        return RunRecord(id: id, scenario: scenario, title: title, scenarioPath: scenarioPath, scenarioText: scenarioText,
                         scenarioSHA256: scenarioSHA256, status: status, startedWallNs: startedWallNs, startedMonoNs: startedMonoNs,
                         bootID: bootID, endedWallNs: endedWallNs, rtoSeconds: rtoSeconds, rpoSeconds: rpoSeconds,
                         objectivesMet: objectivesMet, varsJSON: varsJSON, headHash: chainHead, eventCount: eventCount)
    }
}

extension EvidenceBundle.Event {
    init(_ link: AuditChain.Link) {
        self.init(seq: link.seq, type: link.type, atNs: link.atNs, monoNs: link.monoNs, wallNs: link.wallNs, payload: link.payload,
                  prevHash: link.prevHash, hash: link.hash)
    }

    var link: AuditChain.Link {
        AuditChain.Link(seq: seq, type: type, atNs: atNs, monoNs: monoNs, wallNs: wallNs, payload: payload, prevHash: prevHash, hash: hash)
    }
}

extension EvidenceBundle.Signed {
    init(_ signed: HeadSignature) {
        self.init(runID: signed.runID, eventCount: signed.eventCount, headHash: signed.headHash, previousDigest: signed.previousDigest,
                  publicKey: signed.publicKey, signature: signed.signature, signedWallNs: signed.signedWallNs, digest: "")
        digest = expectedDigest
    }

    /// Over every field but the digest itself.
    var expectedDigest: String {
        var body = self
        body.digest = ""
        return EvidenceBundle.digestOf(body)
    }

    var head: HeadSignature {
        HeadSignature(runID: runID, eventCount: eventCount, headHash: headHash, previousDigest: previousDigest, publicKey: publicKey,
                      signature: signature, signedWallNs: signedWallNs)
    }
}

// MARK: - Checking one

extension EvidenceBundle {
    /// What a bundle's check found: each run's verdict and every break, named where it is.
    public struct Check: Sendable {
        public var ok: [String] = []
        public var broken: [String] = []
        public var events = 0
    }

    /// Checks everything the bundle holds; with `key`, its signature must be by that key.
    public func check(key: Curve25519.Signing.PublicKey? = nil) -> Check {
        var check = Check()
        if digest != Self.digestOfRuns(runs) {
            check.broken.append("bundle: its digest does not match its runs' (a run was added, removed, reordered or edited)")
        }
        if let signature {
            let valid = (try? Curve25519.Signing.PublicKey(rawRepresentation: Data(base64Encoded: signature.publicKey) ?? Data()))
                .map { $0.isValidSignature(Data(base64Encoded: signature.signature) ?? Data(), for: Signature.message(digest)) } ?? false
            if !valid {
                check.broken.append("bundle: its signature does not hold for its digest: the bundle was edited after it was signed")
            } else if let key, key.rawRepresentation.base64EncodedString() != signature.publicKey {
                check.broken.append("bundle: signed by key \(SigningKey.keyID(signature.publicKey)), not by the key given")
            }
        } else if key != nil {
            check.broken.append("bundle: it is not signed, and a key was given to check it against")
        }
        for run in runs { check.add(run) }
        return check
    }
}

extension EvidenceBundle.Check {
    mutating func add(_ run: EvidenceBundle.Run) {
        let id = run.row.id
        let before = broken.count
        events += run.events.count
        let links = run.events.map(\.link)
        if let problem = AuditChain.verify(runID: id, links: links, headHash: run.chainHead, eventCount: run.eventCount) {
            broken.append("\(problem)")
        }
        for item in run.actionItems where item.digest != EvidenceBundle.digestOf(item.item) {
            broken.append("run \(id): action item \(item.item.id) was edited (its digest does not match)")
        }
        for (index, signed) in run.signedHeads.enumerated() {
            let name = "run \(id): signed head \(index + 1) (event \(signed.eventCount))"
            if signed.runID != id { broken.append("\(name): it names run \(signed.runID)") }
            if signed.digest != signed.expectedDigest { broken.append("\(name): it was edited (its digest does not match)") }
            if let problem = signed.head.problem(in: links) { broken.append("\(name): \(problem)") }
        }
        if run.digest != EvidenceBundle.runDigest(row: run.row, chainHead: run.chainHead, eventCount: run.eventCount,
                                                  items: run.actionItems, signed: run.signedHeads) {
            broken.append("run \(id): its row or a part's digest was edited (the run's digest does not match)")
        }
        guard broken.count == before else { return }
        guard let record = run.row.record(chainHead: run.chainHead, eventCount: run.eventCount) else {
            broken.append("run \(id): its status '\(run.row.status)' is not one Firedrill knows")
            return
        }
        do {
            var decoder = StorePayloadDecoder(location: "the bundle")
            let events = try run.events.map { event in
                RecordedEvent(seq: event.seq, event: try decoder.event(event.payload), at: DrillInstant(nanoseconds: event.atNs),
                              monoNs: event.monoNs, wallNs: event.wallNs)
            }
            let evidence = try RunEvidence(run: record, events: events)
            guard evidence.differences.isEmpty else {
                broken += evidence.differences.map { "run \(id): \($0)" }
                return
            }
            ok.append("run \(id): \(run.events.count) events, head \(run.chainHead)\(run.signedHeads.isEmpty ? "" : ", \(run.signedHeads.count) signed head\(run.signedHeads.count == 1 ? "" : "s")")")
        } catch {
            broken.append("run \(id): \(error)")
        }
    }
}

extension EvidenceBundle.Run {
    /// What `importRun` takes.
    public var imported: ImportedRun? {
        guard let record = row.record(chainHead: chainHead, eventCount: eventCount) else { return nil }
        return ImportedRun(run: record, links: events.map(\.link), actionItems: actionItems.map(\.item), signatures: signedHeads.map(\.head))
    }
}

extension SigningKey {
    /// Ed25519 over any message (a bundle's digest statement).
    public func signBytes(_ message: Data) -> Data { (try? key.signature(for: message)) ?? Data() }
}
