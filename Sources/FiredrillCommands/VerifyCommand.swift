import ArgumentParser
import Crypto
import FiredrillCore
import FiredrillRuntime
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every run's hash-chained event log, the projections beside it, and its signed heads.",
        discussion: """
            Each run's chain is checked for edits, deletions, insertions and reordering, and what the runs table says
            (scenario text and hash, start, end, status, RTO, RPO, objectives) is compared with what the events say.
            Signed heads are checked against the key each names, or, with --public-key, against yours: then every
            ended run must carry a head signed by it, and a deleted signed run breaks the next signature's link.
            --head HASH checks the record against a head kept elsewhere (a ticket, a notification): it must be an
            event of an intact chain. Exit 0 when everything holds; 1 naming each break.
            """)

    @Argument(help: "Only these runs (ids or unique prefixes); default every run. Or one evidence bundle FILE, checked with no database.") var runIDs: [String] = []
    @Option(name: .customLong("head"), help: "A head hash kept outside the database; repeatable.") var heads: [String] = []
    @Option(help: "The team's public key file (from `firedrill key create`), or the base64 key.") var publicKey: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let anchorKey: Curve25519.Signing.PublicKey?
        do { anchorKey = try publicKey.map { try SigningKey.publicKey($0) } } catch { throw CommandFailure.usage("\(error)") }
        // A bundle is checked on its own, with no database: what an auditor was sent.
        if runIDs.count == 1, heads.isEmpty, FileManager.default.fileExists(atPath: runIDs[0]) {
            return try verifyBundle(runIDs[0], key: anchorKey)
        }
        let db = try store.openExisting()
        let everyRun = runIDs.isEmpty
        let ids = everyRun ? try db.chainedRunIDs() : try runIDs.map { try findRun($0, in: db).id }
        let check = try Self.check(db, ids: ids, everyRun: everyRun, key: anchorKey, heads: heads.map { $0.lowercased() })
        for line in check.ok { print(line) }
        for line in check.broken { print("BROKEN \(line)") }
        print("\(ids.count) run\(ids.count == 1 ? "" : "s"), \(check.events) events: \(check.broken.isEmpty ? "every chain intact" : "\(check.broken.count) broken")"
              + (anchorKey == nil ? "" : ", heads checked against key \(SigningKey.keyID(anchorKey!.rawRepresentation.base64EncodedString()))"))
        if !check.broken.isEmpty { throw ExitCode(1) }
    }

    /// What `verify` finds: a line for each intact run (and anchor), each break in words, and the events read.
    struct RecordCheck {
        var ok: [String] = []
        var intactRuns: Set<String> = []
        var broken: [String] = []
        var events = 0
    }

    /// Every run's chain, its projections against it, the signed heads and the anchors, as `verify` checks them
    /// (also what `firedrill serve` shows per run).
    static func check(_ db: any DrillStore, ids: [String], everyRun: Bool, key anchorKey: Curve25519.Signing.PublicKey?,
                      heads: [String]) throws -> RecordCheck {
        var result = RecordCheck()
        var intact: [String: [AuditChain.Link]] = [:]
        var records: [String: RunRecord] = [:]
        for id in ids {
            let links = try db.chain(of: id)
            result.events += links.count
            guard let run = try db.run(id) else {
                result.broken.append("run \(id): \(links.count) events belong to a run that is not in the runs table (the run was deleted)")
                continue
            }
            records[id] = run
            if let problem = AuditChain.verify(runID: id, links: links, headHash: run.headHash, eventCount: run.eventCount) {
                result.broken.append("\(problem)")
                continue
            }
            intact[id] = links
            do {
                let evidence = try RunEvidence.load(run, from: db)
                if !evidence.differences.isEmpty {
                    result.broken.append(contentsOf: evidence.differences.map { "run \(id): \($0)" })
                    continue
                }
                let scope = evidence.scenarioInChain ? "" : " (recorded before the scenario text was chained: its text and figures are not checked)"
                result.ok.append("ok     run \(id): \(links.count) events, head \(run.headHash ?? AuditChain.genesis)\(scope)")
                result.intactRuns.insert(id)
            } catch {
                result.broken.append("run \(id): \(error)")
            }
        }
        result.broken += try signatureBreaks(db, ids: Set(ids), everyRun: everyRun, intact: intact, records: records, key: anchorKey)
        for head in heads {
            let (line, breaks) = anchorBreaks(head, intact: intact, everyRun: everyRun)
            if let line { result.ok.append(line) }
            result.broken += breaks
        }
        return result
    }

    /// Each signed head holds for its statement, is a hash of its run's intact chain, and links
    /// to the signature signed before it; with the team's key, every ended run is signed by it.
    static func signatureBreaks(_ db: any DrillStore, ids: Set<String>, everyRun: Bool, intact: [String: [AuditChain.Link]],
                         records: [String: RunRecord], key: Curve25519.Signing.PublicKey?) throws -> [String] {
        var breaks: [String] = []
        let signatures = try db.signatures(runID: nil)
        var previous = AuditChain.genesis
        var finalSigned: Set<String> = []
        for (index, signed) in signatures.enumerated() {
            let name = "signed head \(index + 1) (run \(signed.runID), event \(signed.eventCount)\(signed.imported ? ", imported" : ""))"
            // An imported head links into the record it was signed in: its statement and its chain are checked, not its link.
            if !signed.imported {
                if signed.previousDigest != previous, everyRun {
                    breaks.append("\(name): the signature before it is missing (it links to \(signed.previousDigest.prefix(12))): a signed run or its signature was deleted")
                }
                previous = signed.digest
            }
            guard ids.contains(signed.runID) || everyRun else { continue }
            if let problem = signed.signatureProblem(key: key) {
                breaks.append("\(name): \(problem)")
                continue
            }
            guard records[signed.runID] != nil else {
                breaks.append("\(name): the run was signed (head \(signed.headHash.prefix(12))) but is not in this record: it was deleted")
                continue
            }
            guard let links = intact[signed.runID] else { continue }  // its chain break is already said
            if let problem = signed.chainProblem(in: links) {
                breaks.append("\(name): \(problem)")
                continue
            }
            if signed.eventCount == links.count { finalSigned.insert(signed.runID) }
        }
        if let key {
            let keyID = SigningKey.keyID(key.rawRepresentation.base64EncodedString())
            for (id, run) in records.sorted(by: { $0.key < $1.key }) where run.status.isFinal && intact[id] != nil && !finalSigned.contains(id) {
                breaks.append("run \(id): it ended but its final head is not signed by key \(keyID): unsigned, or its chain changed after signing")
            }
        }
        return breaks
    }

    func verifyBundle(_ path: String, key: Curve25519.Signing.PublicKey?) throws {
        let bundle: EvidenceBundle
        do { bundle = try EvidenceBundle.read(path) } catch { throw CommandFailure.usage("\(error)") }
        let check = bundle.check(key: key)
        for line in check.ok { print("ok     \(line)") }
        for line in check.broken { print("BROKEN \(line)") }
        let signed = bundle.signature.map { "signed by key \(SigningKey.keyID($0.publicKey))" } ?? "unsigned"
        print("bundle \(path): \(bundle.runs.count) run\(bundle.runs.count == 1 ? "" : "s"), \(check.events) events, \(signed): "
              + (check.broken.isEmpty ? "every chain intact" : "\(check.broken.count) broken"))
        if !check.broken.isEmpty { throw ExitCode(1) }
    }

    /// An anchored head must be an event's hash in an intact chain: the line saying where it is, or the break.
    static func anchorBreaks(_ head: String, intact: [String: [AuditChain.Link]], everyRun: Bool) -> (String?, [String]) {
        for (id, links) in intact {
            if let link = links.first(where: { $0.hash == head }) {
                return ("anchor \(head.prefix(12)): run \(id), event \(link.seq) of \(links.count): the chain up to it is intact", [])
            }
        }
        return (nil, ["anchor \(head.prefix(12)): no intact chain\(everyRun ? "" : " among these runs") holds this head: its run was deleted, its tail truncated, or its chain rewritten"])
    }
}
