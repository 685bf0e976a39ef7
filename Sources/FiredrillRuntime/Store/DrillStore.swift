import FiredrillCore
import Foundation

/// A record every command can use, whichever database holds it: the run store contract, and
/// what the commands keep beside the runs (action items) and read of the chain (`verify`,
/// `export`). SQLite and PostgreSQL keep the same rows and the same chain.
public protocol DrillStore: RunStore {
    /// Where the record is, as shown to people: a path, or a URL with its password masked.
    var location: String { get }
    @discardableResult
    func addActionItem(runID: String, scenario: String, title: String, owner: String, due: String, wallNs: Int64) throws -> ActionItem
    /// Oldest first; only a scenario's or a run's when asked.
    func actionItems(scenario: String?, runID: String?) throws -> [ActionItem]
    /// Closes an open item; nil when there is no such item, the item as it was when already closed.
    func closeActionItem(id: Int64, note: String, wallNs: Int64) throws -> (item: ActionItem, wasOpen: Bool)?
    /// Every run id that has events or a run row, so events of a deleted run are still checked.
    func chainedRunIDs() throws -> [String]
    /// Every run row's id, in no particular order.
    func runIDs() throws -> [String]
    /// A run's chain link by link as it is read, none kept.
    func forEachLink(of runID: String, _ body: (AuditChain.Link) throws -> Void) throws
    /// Every run's events in one read, by run id and then in order, none kept: what `history`
    /// and `due` replay, without a query per run.
    func forEachEventOfEveryRun(_ body: (String, RecordedEvent) throws -> Void) throws
    /// Every run's first event and its `run_ended` events, by run id and then in order, through
    /// an index of their own: what `history` and `due` read of a run that has ended.
    func forEachBookend(_ body: (Bookend) throws -> Void) throws
    /// Imports one run as another record kept it (`EvidenceBundle`): its row, its events with
    /// the hashes they were linked with (and their projections), its action items and signed
    /// heads, in one transaction. Refuses a run id the store already has. Action items keep
    /// their numbers where this store has them free; returns whether they did.
    @discardableResult
    func importRun(_ run: ImportedRun) throws -> Bool

    // Access tokens for `firedrill serve` (`AccessToken`): kept by their secret's SHA-256 only.
    /// Stores a new live token; refuses (StoreError, said in words) a name a live token already has. Keeps only the hash.
    func createToken(name: String, role: AccessRole, hash: String, wallNs: Int64) throws -> AccessToken
    /// Every token, live and revoked, oldest first.
    func tokens() throws -> [AccessToken]
    /// Revokes the live token of that name; false when there is none.
    func revokeToken(name: String, wallNs: Int64) throws -> Bool
    /// The live token with this hash, or nil (revoked or unknown). Compared by equality in the
    /// database: the stored value is a hash of a 256-bit secret, so timing tells nothing usable.
    func token(hash: String) throws -> AccessToken?
}

/// A run's first event or one of its ends, as a list reads it: the first event's payload (the
/// scenario's whole text) is not read, an end's is decoded.
public struct Bookend: Sendable {
    public var runID: String
    public var seq: Int
    public var type: String
    public var at: DrillInstant
    public var monoNs: Int64
    public var wallNs: Int64
    /// A `run_ended`'s event; nil for the first event.
    public var ended: DrillEvent?

    public init(runID: String, seq: Int, type: String, at: DrillInstant, monoNs: Int64, wallNs: Int64, ended: DrillEvent?) {
        self.runID = runID
        self.seq = seq
        self.type = type
        self.at = at
        self.monoNs = monoNs
        self.wallNs = wallNs
        self.ended = ended
    }

    /// The rows `forEachBookend` reads, as both stores' partial index and query name them.
    public static let condition = "(seq = 1 OR type = 'run_ended')"
    /// Their columns: run_id, seq, type, at_ns, mono_ns, wall_ns, and an end's payload.
    public static let columns = "run_id, seq, type, at_ns, mono_ns, wall_ns, CASE WHEN type = 'run_ended' THEN payload END"
}

/// One run as a bundle carries it into a store.
public struct ImportedRun: Sendable {
    /// The row as the exporting store had it (its lease is not carried over).
    public var run: RunRecord
    public var links: [AuditChain.Link]
    public var actionItems: [ActionItem]
    public var signatures: [HeadSignature]
    public init(run: RunRecord, links: [AuditChain.Link], actionItems: [ActionItem], signatures: [HeadSignature]) {
        self.run = run
        self.links = links
        self.actionItems = actionItems
        self.signatures = signatures
    }
}

extension DrillStore {
    public func events(of runID: String) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try forEachEvent(of: runID) { events.append($0) }
        return events
    }

    /// A run's chain as stored, for `verify`.
    public func chain(of runID: String) throws -> [AuditChain.Link] {
        var links: [AuditChain.Link] = []
        try forEachLink(of: runID) { links.append($0) }
        return links
    }

    public func actionItems() throws -> [ActionItem] { try actionItems(scenario: nil, runID: nil) }

    /// Each link with its event, decoded as `forEachEvent` decodes it: the chain checked and the
    /// run replayed in one read.
    public func forEachLink(of runID: String, _ body: (AuditChain.Link, RecordedEvent) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: location)
        try forEachLink(of: runID) { link in
            try body(link, RecordedEvent(seq: link.seq, event: try decoder.event(link.payload), at: DrillInstant(nanoseconds: link.atNs),
                                         monoNs: link.monoNs, wallNs: link.wallNs))
        }
    }
}

/// Payloads as the stores write them: samples by `SampleJSON`, the rest by `JSONDecoder`; one
/// that does not decode is a store failure, said as the store says its own.
public struct StorePayloadDecoder {
    let location: String
    var samples = SampleJSON()
    let decoder = JSONDecoder()

    public init(location: String) { self.location = location }

    public mutating func event(_ payload: String) throws -> DrillEvent {
        do { return try samples.event(payload) ?? decoder.decode(DrillEvent.self, from: Data(payload.utf8)) } catch {
            throw StoreError(description: "database \(location): \(error)")
        }
    }
}

extension DrillStore {
    public func actionItems(scenario: String?) throws -> [ActionItem] { try actionItems(scenario: scenario, runID: nil) }
    public func actionItems(runID: String) throws -> [ActionItem] { try actionItems(scenario: nil, runID: runID) }
}
