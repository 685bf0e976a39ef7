import Crypto
import FiredrillRuntime
import Foundation

/// Who is logged in to `firedrill serve`, and who keeps failing to. A session holds the hash of
/// the token it was opened with, never the token: the token is looked up again on every request,
/// so a revoked token ends its sessions at once. Sessions live in the server's memory: a restart
/// logs everyone out.
actor ServeSessions {
    struct Session: Sendable {
        var id: String
        var tokenHash: String
        var csrf: String
        var openedAt: ContinuousClock.Instant
        /// Order of opening, for instants that tie.
        var serial: Int
    }

    static let lifetime: Duration = .seconds(12 * 3600)
    /// Sessions one token may have open at once.
    static let perToken = 20
    /// Failures from one address allowed before each further try must wait, doubling from 1 s to 5 minutes.
    static let freeFailures = 5
    static let longestWait: Duration = .seconds(300)
    /// Failures this long ago are forgotten.
    static let memory: Duration = .seconds(900)

    private var sessions: [String: Session] = [:]
    private var opened = 0
    private var failures: [String: (count: Int, last: ContinuousClock.Instant)] = [:]

    /// 32 random bytes as hex: a session id or a CSRF token.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    func open(tokenHash: String, now: ContinuousClock.Instant) -> Session {
        // Expired sessions go as new ones come: the table never outgrows the logins of a day.
        sessions = sessions.filter { now - $0.value.openedAt < Self.lifetime }
        // A token logging in again and again keeps its newest sessions only.
        let mine = sessions.values.filter { $0.tokenHash == tokenHash }.sorted { $0.serial < $1.serial }
        for old in mine.dropLast(Self.perToken - 1) { sessions[old.id] = nil }
        opened += 1
        let session = Session(id: Self.random(), tokenHash: tokenHash, csrf: Self.random(), openedAt: now, serial: opened)
        sessions[session.id] = session
        return session
    }

    func session(_ id: String, now: ContinuousClock.Instant) -> Session? {
        guard let session = sessions[id] else { return nil }
        guard now - session.openedAt < Self.lifetime else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    func close(_ id: String) { sessions[id] = nil }

    /// How long `address` must still wait before its next try, or nil when it may try now.
    func wait(for address: String, now: ContinuousClock.Instant) -> Duration? {
        guard let failed = failures[address] else { return nil }
        if now - failed.last > Self.memory {
            failures[address] = nil
            return nil
        }
        guard failed.count >= Self.freeFailures else { return nil }
        let wait = min(Self.longestWait, .seconds(1 << min(failed.count - Self.freeFailures, 16)))
        let left = failed.last + wait - now
        return left > .zero ? left : nil
    }

    func failed(from address: String, now: ContinuousClock.Instant) {
        let count = (failures[address]?.count ?? 0) + 1
        failures[address] = (count, now)
        // A flood of addresses cannot grow the table without bound: the oldest go first.
        if failures.count > 10_000 {
            for (key, _) in failures.sorted(by: { $0.value.last < $1.value.last }).prefix(failures.count - 10_000) { failures[key] = nil }
        }
    }

    func succeeded(from address: String) { failures[address] = nil }
}

/// Equal strings in time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
}
