import Crypto
import Foundation

/// The event log's hash chain: each event's hash is SHA-256 over the previous hash and the
/// event's canonical encoding (run, sequence number, type, both clocks, payload as stored).
/// Editing, deleting, inserting or reordering events breaks a link that `verify` finds.
public enum AuditChain {
    /// The "previous hash" of a run's first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// One stored event, as the chain sees it.
    public struct Link: Hashable, Sendable {
        public var seq: Int
        public var type: String
        public var atNs: Int64
        public var monoNs: Int64
        public var wallNs: Int64
        public var payload: String
        public var prevHash: String
        public var hash: String
        public init(seq: Int, type: String, atNs: Int64, monoNs: Int64, wallNs: Int64, payload: String, prevHash: String, hash: String) {
            self.seq = seq
            self.type = type
            self.atNs = atNs
            self.monoNs = monoNs
            self.wallNs = wallNs
            self.payload = payload
            self.prevHash = prevHash
            self.hash = hash
        }
    }

    public static func hash(previous: String, runID: String, seq: Int, type: String, atNs: Int64, monoNs: Int64, wallNs: Int64,
                            payload: String) -> String {
        // Lengths first, so no field's content can be shifted into its neighbour. Written into one
        // buffer and hashed in one piece (this runs for every event a report or `verify` reads).
        var message: [UInt8] = []
        message.reserveCapacity(payload.utf8.count + previous.utf8.count + runID.utf8.count + type.utf8.count + 128)
        func append(_ text: String) {
            var text = text
            text.withUTF8 { message.append(contentsOf: $0) }
        }
        for field in [previous, runID, String(seq), type, String(atNs), String(monoNs), String(wallNs), payload] {
            append(String(field.utf8.count))
            message.append(UInt8(ascii: ":"))
            append(field)
        }
        return hex(SHA256.hash(data: message))
    }

    static let digits = Array("0123456789abcdef".utf8)

    /// Lowercase hex, without Foundation's formatter (this runs for every event).
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `recorded` linked after `previous`: its payload as every store writes it, and its hash.
    public static func link(_ recorded: RecordedEvent, runID: String, after previous: String) throws -> Link {
        let payload = try StoreJSON.text(recorded.event)
        let hash = hash(previous: previous, runID: runID, seq: recorded.seq, type: recorded.event.type, atNs: recorded.at.nanoseconds,
                        monoNs: recorded.monoNs, wallNs: recorded.wallNs, payload: payload)
        return Link(seq: recorded.seq, type: recorded.event.type, atNs: recorded.at.nanoseconds, monoNs: recorded.monoNs,
                    wallNs: recorded.wallNs, payload: payload, prevHash: previous, hash: hash)
    }

    public static func hash(of link: Link, runID: String) -> String {
        hash(previous: link.prevHash, runID: runID, seq: link.seq, type: link.type, atNs: link.atNs, monoNs: link.monoNs,
             wallNs: link.wallNs, payload: link.payload)
    }

    /// The first broken link of a run's chain.
    public struct Break: Hashable, Sendable, CustomStringConvertible {
        public var runID: String
        /// The event where the chain breaks (nil: the end of the log).
        public var seq: Int?
        public var problem: String
        public var description: String { "run \(runID): \(seq.map { "event \($0)" } ?? "end of log"): \(problem)" }
    }

    /// Checks `links` (as stored, ordered by seq) against the run's recorded head and count.
    public static func verify(runID: String, links: [Link], headHash: String?, eventCount: Int) -> Break? {
        var verifier = Verifier(runID: runID)
        for link in links { verifier.add(link) }
        return verifier.result(headHash: headHash, eventCount: eventCount)
    }

    /// `verify` link by link, as a run's chain is read: the first break, or none, in the end.
    public struct Verifier: Sendable {
        public let runID: String
        var previous = genesis
        var count = 0
        var broken: Break?

        public init(runID: String) { self.runID = runID }

        public mutating func add(_ link: Link) {
            guard broken == nil else { return }
            let expected = count + 1
            if link.seq != expected {
                broken = Break(runID: runID, seq: link.seq, problem: link.seq > expected
                    ? "event \(expected)\(link.seq - expected > 1 ? " to \(link.seq - 1)" : "") missing: deleted, or the log was renumbered"
                    : "out of order: expected event \(expected)")
                return
            }
            if link.prevHash != previous {
                broken = Break(runID: runID, seq: link.seq, problem: "does not link to the event before it (its previous hash is \(short(link.prevHash)), the chain's is \(short(previous))): an event was inserted, deleted or reordered")
                return
            }
            let computed = hash(of: link, runID: runID)
            if computed != link.hash {
                broken = Break(runID: runID, seq: link.seq, problem: "its content does not match its hash (stored \(short(link.hash)), computed \(short(computed))): the event was edited")
                return
            }
            previous = link.hash
            count += 1
        }

        /// Whether every link added is intact, and the log ends where the run's head says.
        public func result(headHash: String?, eventCount: Int) -> Break? {
            if let broken { return broken }
            if count != eventCount {
                return Break(runID: runID, seq: nil, problem: "the run recorded \(eventCount) events but the log holds \(count): events were \(count < eventCount ? "deleted from the end" : "appended outside Firedrill")")
            }
            if (headHash ?? genesis) != previous, !(count == 0 && headHash == nil) {
                return Break(runID: runID, seq: nil, problem: "the log's last hash \(short(previous)) is not the run's recorded head \(short(headHash ?? genesis))")
            }
            return nil
        }
    }

    static func short(_ hash: String) -> String { String(hash.prefix(12)) }
}
