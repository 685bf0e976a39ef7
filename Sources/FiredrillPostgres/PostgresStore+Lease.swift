import FiredrillCore
import FiredrillRuntime
import Foundation

// The lease across hosts. A runner renews its lease every third of its time to live, by the
// server's clock; a lease not renewed in time may be taken by a runner on any host, without
// --force, and never before. Every write of a run checks (and renews) the writer's lease in its
// own transaction, so a runner whose run was taken over records nothing more: the fence.

extension PostgresStore {
    /// How long a lease lasts unrenewed.
    public var leaseTimeToLive: Double { leaseTTL }

    /// Renews run $1's lease for `ttl` seconds if pid, host and token are still the holder's: the
    /// one renewal every write, the heartbeat and the fence make.
    static func renewal(ttl: String, pid: String, host: String, token: String) -> String {
        """
        UPDATE leases SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + make_interval(secs => \(ttl))
            WHERE run_id = $1 AND pid = \(pid) AND host = \(host) AND token = \(token)
        """
    }
    static let renewalOfHeld = renewal(ttl: "$5", pid: "$2", host: "$3", token: "$4")

    func insertLease(_ lease: RunnerLease, runID: String, _ session: Session) throws {
        try session.query("""
            INSERT INTO leases (run_id, pid, host, since_wall_ns, token, renewed_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp() + make_interval(secs => $6))
            ON CONFLICT (run_id) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, since_wall_ns = EXCLUDED.since_wall_ns,
                token = EXCLUDED.token, renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at
            """, [.text(runID), .int(Int64(lease.pid)), .text(lease.host), .int(lease.sinceWallNs), .text(lease.token), .double(leaseTTL)])
    }

    /// Liveness as the lease rule asks it: a holder on this host is looked up; one on another
    /// host is gone once its lease expired (`expired`), and otherwise refused before the rule runs.
    func leaseLiveness(expired: @escaping (RunnerLease) -> Bool) -> (RunnerLease) -> Bool? {
        { holder in
            if holder.host == ProcessInfo.processInfo.hostName { return holder.isLive }
            return expired(holder) ? false : nil
        }
    }

    @discardableResult
    public func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease? {
        let replaced = try transaction { session -> RunnerLease? in
            guard try !session.query("SELECT 1 FROM runs WHERE id = $1 FOR UPDATE", [.text(runID)]).isEmpty else {
                throw StoreError(description: "no run '\(runID)' in \(location)")
            }
            let row = try session.query("""
                SELECT pid, host, since_wall_ns, token, expires_at < clock_timestamp(),
                    EXTRACT(EPOCH FROM (clock_timestamp() - renewed_at))::float8, EXTRACT(EPOCH FROM (expires_at - clock_timestamp()))::float8
                FROM leases WHERE run_id = $1
                """, [.text(runID)]).first
            var holder: RunnerLease?
            var expired = false
            if let row {
                holder = RunnerLease(pid: Int32(truncatingIfNeeded: try row.required(0, Int64.self)), host: try row.required(1),
                                     sinceWallNs: try row.required(2), token: try row.required(3))
                expired = try row.required(4)
                // Renewed in time by a runner elsewhere: never taken, --force or not.
                if let holder, !expired, holder.host != ProcessInfo.processInfo.hostName, !holder.isSameProcess(as: lease) {
                    throw LeaseError.renewed(runID: runID, by: holder, renewedSecondsAgo: try row.required(5), expiresInSeconds: try row.required(6))
                }
            }
            let replaced = try RunnerLease.takeOver(runID, from: holder, by: lease, force: force, isLive: leaseLiveness(expired: { _ in expired }))
            try insertLease(lease, runID: runID, session)
            return replaced
        }
        hold(lease, runID: runID)
        return replaced
    }

    public func releaseLease(_ runID: String, pid: Int32) throws {
        try transaction { session in try releaseLease(runID, pid: pid, session) }
        letGo(runID, pid: pid)
    }

    /// Only its holder gives a run up: the same pid on the same host (pids repeat across hosts).
    func releaseLease(_ runID: String, pid: Int32, _ session: Session) throws {
        try session.query("DELETE FROM leases WHERE run_id = $1 AND pid = $2 AND host = $3",
                          [.text(runID), .int(Int64(pid)), .text(ProcessInfo.processInfo.hostName)])
    }

    /// In a write of `runID`'s: when this process holds its lease, the lease must still be this
    /// process's (it is renewed here); otherwise the run was taken over and nothing is written.
    func fence(_ runID: String, _ session: Session) throws {
        guard let held = leases.withLockedValue({ $0[runID] }) else { return }
        let renewed = try session.query(Self.renewalOfHeld + " RETURNING 1", [.text(runID), .int(Int64(held.pid)), .text(held.host), .text(held.token), .double(leaseTTL)])
        guard renewed.isEmpty else { return }
        let now = try session.query("SELECT pid, host, since_wall_ns, token FROM leases WHERE run_id = $1", [.text(runID)]).first
        let taker = try now.map { RunnerLease(pid: Int32(truncatingIfNeeded: try $0.required(0, Int64.self)), host: try $0.required(1),
                                              sinceWallNs: try $0.required(2), token: try $0.required(3)) }
        throw StoreError(description: "run \(runID) is no longer this runner's: its lease \(taker.map { "was taken over by \($0)" } ?? "was given up") after it went unrenewed for \(leaseTTL.formatted()) s; nothing more is recorded or dispatched here")
    }

    /// Starts renewing `lease`, when it is this process's (a record can be given any holder).
    func hold(_ lease: RunnerLease, runID: String) {
        guard lease.pid == getpid(), lease.host == ProcessInfo.processInfo.hostName else { return }
        leases.withLockedValue { $0[runID] = lease }
        lock.withLock {
            guard keeper == nil else { return }
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "firedrill.lease-keeper"))
            let every = leaseTTL / 3
            timer.schedule(deadline: .now() + every, repeating: every, leeway: .milliseconds(50))
            timer.setEventHandler { [weak self] in self?.renewLeases() }
            timer.resume()
            keeper = timer
        }
    }

    func letGo(_ runID: String, pid: Int32) {
        leases.withLockedValue { held in
            if held[runID]?.pid == pid { held[runID] = nil }
        }
    }

    /// The heartbeat: each lease held, renewed in a transaction of its own, not flushed (a lost
    /// renewal only brings the expiry nearer). One found taken is left to the next write's fence, which says so.
    func renewLeases() {
        for (runID, held) in leases.withLockedValue({ $0 }) {
            _ = try? transaction(synchronous: false) { session in
                try session.changed(Self.renewalOfHeld, [.text(runID), .int(Int64(held.pid)), .text(held.host), .text(held.token), .double(leaseTTL)])
            }
        }
    }
}
