import FiredrillCore
import FiredrillRuntime
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Runs with their lease and their chain's head, in the order `record` reads them.
    static let selectRuns = """
        SELECT r.id, r.scenario, r.title, r.scenario_path, r.scenario_text, r.scenario_sha256, r.status, r.started_wall_ns,
            r.started_mono_ns, r.boot_id, r.ended_wall_ns, r.rto_seconds, r.rpo_seconds, r.objectives_met, r.vars_json,
            l.pid, l.host, l.since_wall_ns, l.token, h.head_hash, COALESCE(h.event_count, 0)
        FROM runs r LEFT JOIN leases l ON l.run_id = r.id LEFT JOIN chain_heads h ON h.run_id = r.id
        """

    static func record(_ row: PostgresRow) throws -> RunRecord {
        var runner: RunnerLease?
        if let pid = try row.value(15, Int64.self), let host = try row.value(16, String.self) {
            runner = RunnerLease(pid: Int32(truncatingIfNeeded: pid), host: host, sinceWallNs: try row.value(17) ?? 0, token: try row.value(18) ?? "")
        }
        return RunRecord(
            id: try row.required(0), scenario: try row.required(1), title: try row.value(2), scenarioPath: try row.required(3),
            scenarioText: try row.required(4), scenarioSHA256: try row.required(5),
            status: RunStatus(rawValue: try row.required(6)) ?? .running, startedWallNs: try row.required(7),
            startedMonoNs: try row.required(8), bootID: try row.required(9), endedWallNs: try row.value(10),
            rtoSeconds: try row.value(11), rpoSeconds: try row.value(12), objectivesMet: try row.value(13), runner: runner,
            varsJSON: try row.required(14), headHash: try row.value(19), eventCount: Int(try row.required(20, Int64.self)))
    }

    static let unfinishedCondition = "r.status NOT IN (\(RunStatus.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ")))"

    public func createRun(_ run: RunRecord, first: RecordedEvent) throws {
        try transaction { session in
            // Two hosts starting the same scenario at once: one of them waits here, then sees the other's run.
            try session.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("firedrill-scenario:" + run.scenario)])
            let unfinished = try session.query("\(Self.selectRuns) WHERE r.scenario = $1 AND \(Self.unfinishedCondition)",
                                               [.text(run.scenario)]).map(Self.record)
            if let busy = LeaseError.scenarioBusy(among: unfinished, isLive: leaseLiveness(expired: { _ in false })) { throw busy }
            try session.query("""
                INSERT INTO runs (id, scenario, title, scenario_path, scenario_text, scenario_sha256, status, started_wall_ns,
                    started_mono_ns, boot_id, vars_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """, [.text(run.id), .text(run.scenario), .text(run.title), .text(run.scenarioPath), .text(run.scenarioText),
                      .text(run.scenarioSHA256), .text(run.status.rawValue), .int(run.startedWallNs), .int(run.startedMonoNs),
                      .text(run.bootID), .text(run.varsJSON)])
            if let lease = run.runner { try insertLease(lease, runID: run.id, session) }
            try append([first], to: run.id, session)
        }
        if let lease = run.runner { hold(lease, runID: run.id) }
    }

    /// In one round trip: the head this store last wrote is linked from, and the statements check
    /// in the database that it is still the head and the lease still this runner's.
    public func append(_ events: [RecordedEvent], to runID: String) throws {
        guard !events.isEmpty else { return }
        let known = heads.withLockedValue { $0[runID] }
        guard let (previousHead, previousCount) = try known ?? readHead(runID), previousCount > 0 else {
            try transaction { session in try append(events, to: runID, session) }
            return
        }
        var previous = previousHead
        var count = previousCount
        var links: [(AuditChain.Link, RecordedEvent)] = []
        for recorded in events {
            guard recorded.seq == count + 1 else {
                heads.withLockedValue { $0[runID] = nil }
                throw StoreError(description: "event \(recorded.seq) of run \(runID) does not follow event \(count): another process is writing this run")
            }
            let link = try AuditChain.link(recorded, runID: runID, after: previous)
            links.append((link, recorded))
            previous = link.hash
            count += 1
        }
        let held = leases.withLockedValue { $0[runID] }
        let projections = Session(store: self).gather { session in
            for (_, recorded) in links { try? project(recorded, runID: runID, session) }
        }
        // Projections each on a table of their own ride in the same statement; otherwise (two on one
        // table, which one statement's snapshot would not order) they follow it in the transaction.
        let folded = Self.foldable(projections)
        let (linking, values) = Self.linkingStatement(runID: runID, links: links.map(\.0), held: held, ttl: leaseTTL,
                                                      from: (previousHead, previousCount), to: (previous, count),
                                                      riding: folded ? projections : [])
        do {
            try pipelinedTransaction(single: projections.isEmpty || folded) { session in
                try session.query(linking, values)
                if !folded { for (sql, values) in projections { try session.query(sql, values) } }
            }
            heads.withLockedValue { $0[runID] = (previous, count) }
        } catch let error as StoreError {
            heads.withLockedValue { $0[runID] = nil }
            if error.description.contains("firedrill-lease-lost") { try transaction { session in try fence(runID, session) } }
            if error.description.contains("firedrill-head-moved") {
                throw StoreError(description: "run \(runID)'s record moved on under this runner (its head is no longer \(previousHead.prefix(12))): another process is writing this run")
            }
            throw error
        }
    }

    /// One statement that renews the writer's lease, adds the events and moves the chain's head
    /// on, and fails (rolling all of it back) unless the lease was the writer's and the head the
    /// one linked from.
    static func linkingStatement(runID: String, links: [AuditChain.Link], held: RunnerLease?, ttl: Double,
                                 from: (String, Int), to: (String, Int), riding: [(String, [Value])] = []) -> (String, [Value]) {
        var values: [Value] = [.text(runID)]
        func bind(_ value: Value) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        var parts: [String] = []
        var checks: [String] = []
        if let held {
            let renewal = renewal(ttl: bind(.double(ttl)), pid: bind(.int(Int64(held.pid))), host: bind(.text(held.host)), token: bind(.text(held.token)))
            parts.append("renewed AS (\(renewal) RETURNING 1)")
            checks.append("WHEN (SELECT count(*) FROM renewed) <> 1 THEN ('firedrill-lease-lost ' || (SELECT count(*) FROM renewed))::int")
        }
        let rows = links.map { link in
            "($1, \(bind(.int(link.seq))), \(bind(.text(link.type))), \(bind(.int(link.atNs))), \(bind(.int(link.monoNs))), \(bind(.int(link.wallNs))), "
                + "\(bind(.text(link.payload))), \(bind(.text(link.prevHash))), \(bind(.text(link.hash))))"
        }
        parts.append("added AS (INSERT INTO events (run_id, seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash) VALUES \(rows.joined(separator: ", ")) RETURNING 1)")
        parts.append("""
            moved AS (UPDATE chain_heads SET head_hash = \(bind(.text(to.0))), event_count = \(bind(.int(to.1)))
                WHERE run_id = $1 AND head_hash = \(bind(.text(from.0))) AND event_count = \(bind(.int(from.1))) RETURNING 1)
            """)
        for (index, (sql, own)) in riding.enumerated() {
            let base = values.count
            values += own
            parts.append("projected\(index) AS (\(renumbered(sql, by: base)))")
        }
        // The casts fail only when reached: their text is not a constant the planner could fold.
        let sql = "WITH " + parts.joined(separator: ",\n") + """

            SELECT CASE \(checks.joined(separator: " "))
                        WHEN (SELECT count(*) FROM moved) <> 1 THEN ('firedrill-head-moved ' || (SELECT count(*) FROM moved))::int
                        ELSE (SELECT count(*) FROM added)::int END
            """
        return (sql, values)
    }

    /// Whether each statement writes a table no other one does (and none of the chain's own).
    static func foldable(_ statements: [(String, [Value])]) -> Bool {
        var tables: Set<String> = ["events", "leases", "chain_heads"]
        for (sql, _) in statements {
            let words = sql.split(whereSeparator: { $0.isWhitespace }).prefix(3).map(String.init)
            let table: String?
            switch words.first?.uppercased() {
            case "INSERT", "DELETE": table = words.count == 3 ? words[2] : nil
            case "UPDATE": table = words.count >= 2 ? words[1] : nil
            default: table = nil
            }
            guard let table, tables.insert(table).inserted else { return false }
        }
        return true
    }

    /// `$N` as `$(N + offset)`: a statement's parameters after those bound before it.
    static func renumbered(_ sql: String, by offset: Int) -> String {
        var out = ""
        var index = sql.startIndex
        while index < sql.endIndex {
            let character = sql[index]
            if character == "$" {
                var end = sql.index(after: index)
                while end < sql.endIndex, sql[end].isASCII, sql[end].isNumber { end = sql.index(after: end) }
                if let number = Int(sql[sql.index(after: index)..<end]) {
                    out += "$\(number + offset)"
                    index = end
                    continue
                }
            }
            out.append(character)
            index = sql.index(after: index)
        }
        return out
    }

    func readHead(_ runID: String) throws -> (String, Int)? {
        try read { session in
            try session.query("SELECT head_hash, event_count FROM chain_heads WHERE run_id = $1", [.text(runID)]).first.map {
                (try $0.required(0, String.self), Int(try $0.required(1, Int64.self)))
            }
        }
    }

    /// Links each event into the chain from the run's recorded head, in the caller's
    /// transaction; the head row is locked first, so two writers cannot link from one head.
    /// A runner whose lease was taken over records nothing more (the fence).
    func append(_ events: [RecordedEvent], to runID: String, _ session: Session) throws {
        try fence(runID, session)
        let head = try session.query("SELECT head_hash, event_count FROM chain_heads WHERE run_id = $1 FOR UPDATE", [.text(runID)]).first
        var previous: String = try head?.required(0) ?? AuditChain.genesis
        var count = Int(try head?.required(1, Int64.self) ?? 0)
        for recorded in events {
            guard recorded.seq == count + 1 else {
                throw StoreError(description: "event \(recorded.seq) of run \(runID) does not follow event \(count): another process is writing this run")
            }
            let link = try AuditChain.link(recorded, runID: runID, after: previous)
            try insert(link, runID: runID, session)
            try project(recorded, runID: runID, session)
            previous = link.hash
            count += 1
        }
        try session.query("""
            INSERT INTO chain_heads (run_id, head_hash, event_count) VALUES ($1, $2, $3)
            ON CONFLICT (run_id) DO UPDATE SET head_hash = EXCLUDED.head_hash, event_count = EXCLUDED.event_count
            """, [.text(runID), .text(previous), .int(count)])
        // Not cached here: the transaction may still be rolled back. The next append reads it.
        heads.withLockedValue { $0[runID] = nil }
    }

    func insert(_ link: AuditChain.Link, runID: String, _ session: Session) throws {
        try session.query("""
            INSERT INTO events (run_id, seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, [.text(runID), .int(link.seq), .text(link.type), .int(link.atNs), .int(link.monoNs), .int(link.wallNs),
                  .text(link.payload), .text(link.prevHash), .text(link.hash)])
    }

    /// Keeps the query tables in step with the log, in the same transaction.
    func project(_ recorded: RecordedEvent, runID: String, _ session: Session) throws {
        try projectRows(recorded, runID: runID, session)
        if let change = RunProjection.change(for: recorded) {
            try session.query("UPDATE runs SET status = $1, ended_wall_ns = COALESCE($2, ended_wall_ns) WHERE id = $3",
                              [.text(change.status.rawValue), .int(change.endedWallNs), .text(runID)])
        }
    }

    func projectRows(_ recorded: RecordedEvent, runID: String, _ session: Session) throws {
        switch recorded.event {
        case .attemptStarted(let started):
            // As SQLite's INSERT OR REPLACE: a new start replaces the whole row.
            try session.query("""
                INSERT INTO attempts (run_id, ref, attempt, action, started_ns) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (run_id, ref, attempt) DO UPDATE SET action = EXCLUDED.action, started_ns = EXCLUDED.started_ns,
                    ended_ns = NULL, verdict = NULL, summary = NULL, exit_status = NULL, http_status = NULL, stdout = NULL,
                    stdout_bytes = NULL, stderr = NULL, stderr_bytes = NULL
                """, [.text(runID), .text(started.ref.description), .int(started.attempt),
                      .text(started.action?.summary ?? started.resolutionError), .int(recorded.at.nanoseconds)])
        case .attemptFinished(let finished):
            try session.query("DELETE FROM step_processes WHERE run_id = $1 AND activity = $2",
                              [.text(runID), .text(ActivityID.attempt(finished.ref, finished.attempt).description)])
            let report = finished.report
            let exitStatus: Int64? = report.exitStatus.map(Int64.init)
            let httpStatus: Int64? = report.httpStatus.map(Int64.init)
            let stdoutBytes: Int64? = report.stdout.map { Int64($0.totalBytes) }
            let stderrBytes: Int64? = report.stderr.map { Int64($0.totalBytes) }
            var values: [Value] = [.int(finished.endedAt.nanoseconds), .text(report.verdict.rawValue), .text(report.summary)]
            values += [.int(exitStatus), .int(httpStatus), .text(report.stdout?.text), .int(stdoutBytes), .text(report.stderr?.text)]
            values += [.int(stderrBytes), .text(runID), .text(finished.ref.description), .int(finished.attempt)]
            try session.query("""
                UPDATE attempts SET ended_ns = $1, verdict = $2, summary = $3, exit_status = $4, http_status = $5,
                    stdout = $6, stdout_bytes = $7, stderr = $8, stderr_bytes = $9 WHERE run_id = $10 AND ref = $11 AND attempt = $12
                """, values)
        case .probeSampled(let sampled):
            try session.query("""
                INSERT INTO probe_samples VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (run_id, ref, attempt, sample) DO UPDATE SET started_ns = EXCLUDED.started_ns,
                    latency_ns = EXCLUDED.latency_ns, passed = EXCLUDED.passed, summary = EXCLUDED.summary
                """, [.text(runID), .text(sampled.ref.description), .int(sampled.attempt), .int(sampled.sample),
                      .int(sampled.startedAt.nanoseconds), .int((sampled.endedAt - sampled.startedAt).nanoseconds),
                      .bool(sampled.report.passed), .text(sampled.report.summary)])
        case .canaryWritten(let written):
            try session.query("""
                INSERT INTO canary_writes VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (run_id, seq) DO UPDATE SET started_ns = EXCLUDED.started_ns, ended_ns = EXCLUDED.ended_ns,
                    acknowledged = EXCLUDED.acknowledged, summary = EXCLUDED.summary
                """, [.text(runID), .int(written.seq), .int(written.startedAt.nanoseconds), .int(written.endedAt.nanoseconds),
                      .bool(written.report.passed), .text(written.report.summary)])
        default:
            break
        }
    }

    public func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: location)
        try forEachLink(of: runID) { link in
            try body(RecordedEvent(seq: link.seq, event: try decoder.event(link.payload), at: DrillInstant(nanoseconds: link.atNs),
                                   monoNs: link.monoNs, wallNs: link.wallNs))
        }
    }

    /// Page by page (by sequence number), so a long run's log is read in bounded memory.
    public func forEachLink(of runID: String, _ body: (AuditChain.Link) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let page = try read { session in
                try session.query("""
                    SELECT seq, type, at_ns, mono_ns, wall_ns, payload, prev_hash, hash FROM events
                    WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT 2000
                    """, [.text(runID), .int(after)]).map { row in
                    AuditChain.Link(seq: Int(try row.required(0, Int64.self)), type: try row.required(1), atNs: try row.required(2),
                                    monoNs: try row.required(3), wallNs: try row.required(4), payload: try row.required(5),
                                    prevHash: try row.required(6), hash: try row.required(7))
                }
            }
            for link in page { try body(link) }
            guard page.count == 2000, let last = page.last else { return }
            after = Int64(last.seq)
        }
    }

    /// Through the bookends' partial index, page by page.
    public func forEachBookend(_ body: (Bookend) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: location)
        var after = ("", Int64(0))
        while true {
            let page = try read { session in
                try session.query("""
                    SELECT \(Bookend.columns) FROM events
                    WHERE \(Bookend.condition) AND (run_id, seq) > ($1, $2) ORDER BY run_id, seq LIMIT 5000
                    """, [.text(after.0), .int(after.1)]).map { row in
                    (try row.required(0, String.self), try row.required(1, Int64.self), try row.required(2, String.self),
                     try row.required(3, Int64.self), try row.required(4, Int64.self), try row.required(5, Int64.self), try row.value(6, String.self))
                }
            }
            for (runID, seq, type, at, mono, wall, payload) in page {
                try body(Bookend(runID: runID, seq: Int(seq), type: type, at: DrillInstant(nanoseconds: at), monoNs: mono, wallNs: wall,
                                 ended: try payload.map { try decoder.event($0) }))
            }
            guard page.count == 5000, let last = page.last else { return }
            after = (last.0, last.1)
        }
    }

    /// Page by page, by (run, sequence number).
    public func forEachEventOfEveryRun(_ body: (String, RecordedEvent) throws -> Void) throws {
        var decoder = StorePayloadDecoder(location: location)
        var after = ("", Int64(0))
        while true {
            let page = try read { session in
                try session.query("""
                    SELECT run_id, seq, at_ns, mono_ns, wall_ns, payload FROM events
                    WHERE (run_id, seq) > ($1, $2) ORDER BY run_id, seq LIMIT 5000
                    """, [.text(after.0), .int(after.1)]).map { row in
                    (try row.required(0, String.self), try row.required(1, Int64.self), try row.required(2, Int64.self),
                     try row.required(3, Int64.self), try row.required(4, Int64.self), try row.required(5, String.self))
                }
            }
            for (runID, seq, at, mono, wall, payload) in page {
                try body(runID, RecordedEvent(seq: Int(seq), event: try decoder.event(payload), at: DrillInstant(nanoseconds: at),
                                              monoNs: mono, wallNs: wall))
            }
            guard page.count == 5000, let last = page.last else { return }
            after = (last.0, last.1)
        }
    }

    public func runIDs() throws -> [String] {
        try read { session in try session.query("SELECT id FROM runs").map { try $0.required(0) } }
    }

    public func chainedRunIDs() throws -> [String] {
        try read { session in
            try session.query("SELECT id FROM runs UNION SELECT DISTINCT run_id FROM events ORDER BY 1").map { try $0.required(0) }
        }
    }

    public func run(_ id: String) throws -> RunRecord? {
        try read { session in try session.query("\(Self.selectRuns) WHERE r.id = $1", [.text(id)]).first.map(Self.record) }
    }

    public func runs(scenario: String?) throws -> [RunRecord] {
        try read { session in
            if let scenario {
                return try session.query("\(Self.selectRuns) WHERE r.scenario = $1 ORDER BY r.started_wall_ns DESC, r.id DESC",
                                         [.text(scenario)]).map(Self.record)
            }
            return try session.query("\(Self.selectRuns) ORDER BY r.started_wall_ns DESC, r.id DESC").map(Self.record)
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        try transaction { session in try updateRun(run, session) }
    }

    func updateRun(_ run: RunRecord, _ session: Session) throws {
        try fence(run.id, session)
        try session.query("""
            UPDATE runs SET status = $1, ended_wall_ns = $2, rto_seconds = $3, rpo_seconds = $4, objectives_met = $5 WHERE id = $6
            """, [.text(run.status.rawValue), .int(run.endedWallNs), .double(run.rtoSeconds), .double(run.rpoSeconds),
                  .bool(run.objectivesMet), .text(run.id)])
    }

    public func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws {
        try transaction { session in try saveMeasurement(runID: runID, measurement: measurement, marks: marks, session) }
    }

    func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark], _ session: Session) throws {
        try session.query("INSERT INTO measurements (run_id, json) VALUES ($1, $2) ON CONFLICT (run_id) DO UPDATE SET json = EXCLUDED.json",
                          [.text(runID), .text(try StoreJSON.text(measurement))])
        try session.query("DELETE FROM marks WHERE run_id = $1", [.text(runID)])
        for mark in marks {
            try session.query("INSERT INTO marks VALUES ($1, $2, $3, $4, $5, $6, $7)",
                              [.text(runID), .text(mark.name), .int(mark.at.nanoseconds), .int(mark.lower.nanoseconds),
                               .int(mark.upper.nanoseconds), .text(mark.ref.description), .int(mark.probeInterval?.nanoseconds)])
        }
    }

    public func finishRun(_ run: RunRecord, measurement: DrillMeasurement, marks: [Mark], releasingLeaseOf pid: Int32?) throws {
        try transaction { session in
            try updateRun(run, session)
            try saveMeasurement(runID: run.id, measurement: measurement, marks: marks, session)
            if let pid { try releaseLease(run.id, pid: pid, session) }
        }
        if let pid { letGo(run.id, pid: pid) }
    }

    @discardableResult
    public func appendSignature(runID: String, sign: (Int, String, String) -> HeadSignature) throws -> HeadSignature {
        try transaction { session in
            // One signature at a time in the whole record: each links to the one before it.
            try session.query("SELECT pg_advisory_xact_lock(7415001201)")
            guard let head = try session.query("SELECT head_hash, event_count FROM chain_heads WHERE run_id = $1", [.text(runID)]).first else {
                throw StoreError(description: "run \(runID) has no events to sign")
            }
            let previous = try session.query("\(Self.selectSignatures) WHERE NOT imported ORDER BY id DESC LIMIT 1").first.map(Self.signature)
            let signed = sign(Int(try head.required(1, Int64.self)), try head.required(0), previous?.digest ?? AuditChain.genesis)
            try insert(signed, imported: false, session)
            return signed
        }
    }

    func insert(_ signed: HeadSignature, imported: Bool, _ session: Session) throws {
        try session.query("""
            INSERT INTO signed_heads (run_id, event_count, head_hash, previous_digest, public_key, signature, signed_wall_ns, imported)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.text(signed.runID), .int(signed.eventCount), .text(signed.headHash), .text(signed.previousDigest), .text(signed.publicKey),
                  .text(signed.signature), .int(signed.signedWallNs), .bool(imported)])
    }

    static let selectSignatures = "SELECT run_id, event_count, head_hash, previous_digest, public_key, signature, signed_wall_ns, imported FROM signed_heads"

    static func signature(_ row: PostgresRow) throws -> HeadSignature {
        HeadSignature(runID: try row.required(0), eventCount: Int(try row.required(1, Int64.self)), headHash: try row.required(2),
                      previousDigest: try row.required(3), publicKey: try row.required(4), signature: try row.required(5),
                      signedWallNs: try row.required(6), imported: try row.required(7))
    }

    public func signatures(runID: String?) throws -> [HeadSignature] {
        try read { session in
            if let runID {
                return try session.query("\(Self.selectSignatures) WHERE run_id = $1 ORDER BY id", [.text(runID)]).map(Self.signature)
            }
            return try session.query("\(Self.selectSignatures) ORDER BY id").map(Self.signature)
        }
    }

    public func post(_ event: DrillEvent, to runID: String) throws {
        try transaction { session in
            try session.query("INSERT INTO inbox (run_id, payload) VALUES ($1, $2)", [.text(runID), .text(try StoreJSON.text(event))])
        }
    }

    public func inbox(of runID: String) throws -> [InboxMessage] {
        try read { session in
            try session.query("SELECT id, payload FROM inbox WHERE run_id = $1 ORDER BY id", [.text(runID)]).map { row in
                let payload: String = try row.required(1)
                return InboxMessage(id: try row.required(0), runID: runID,
                                    event: try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8)))
            }
        }
    }

    public func deleteInbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try transaction { session in
            for id in ids { try session.query("DELETE FROM inbox WHERE id = $1", [.int(id)]) }
        }
    }

    /// Not flushed at commit (`synchronous_commit = off` for it alone), as SQLite's are not
    /// fsync'd: the rows name processes of this boot, and a later flushed commit carries them.
    public func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws {
        guard !processes.isEmpty else { return }
        try transaction(synchronous: false) { session in
            for process in processes {
                try session.query("""
                    INSERT INTO step_processes VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (run_id, activity, pid) DO UPDATE SET start_ticks = EXCLUDED.start_ticks, host = EXCLUDED.host,
                        boot_id = EXCLUDED.boot_id, cgroup = EXCLUDED.cgroup
                    """, [.text(runID), .text(process.activity), .int(process.pid), .int(Int64(bitPattern: process.startTicks)),
                          .text(process.host), .text(process.bootID), .text(process.cgroup)])
            }
        }
    }

    public func clearStepProcesses(_ runID: String, activity: String?) throws {
        try transaction(synchronous: false) { session in
            if let activity {
                try session.query("DELETE FROM step_processes WHERE run_id = $1 AND activity = $2", [.text(runID), .text(activity)])
            } else {
                try session.query("DELETE FROM step_processes WHERE run_id = $1", [.text(runID)])
            }
        }
    }

    public func stepProcesses(of runID: String) throws -> [StepProcess] {
        try read { session in
            try session.query("""
                SELECT activity, pid, start_ticks, host, boot_id, cgroup FROM step_processes WHERE run_id = $1 ORDER BY activity, pid
                """, [.text(runID)]).map { row in
                StepProcess(activity: try row.required(0), pid: Int32(truncatingIfNeeded: try row.required(1, Int64.self)),
                            startTicks: UInt64(bitPattern: try row.required(2, Int64.self)), host: try row.required(3),
                            bootID: try row.required(4), cgroup: try row.value(5))
            }
        }
    }

    // MARK: - Action items

    @discardableResult
    public func addActionItem(runID: String, scenario: String, title: String, owner: String, due: String, wallNs: Int64) throws -> ActionItem {
        try transaction { session in
            let id: Int64 = try session.query("""
                INSERT INTO action_items (run_id, scenario, title, owner, due, created_wall_ns) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, [.text(runID), .text(scenario), .text(title), .text(owner), .text(due), .int(wallNs)])[0].required(0)
            return ActionItem(id: id, runID: runID, scenario: scenario, title: title, owner: owner, due: due, createdWallNs: wallNs)
        }
    }

    static let selectActionItems = "SELECT id, run_id, scenario, title, owner, due, created_wall_ns, closed_wall_ns, close_note FROM action_items"

    static func actionItem(_ row: PostgresRow) throws -> ActionItem {
        ActionItem(id: try row.required(0), runID: try row.required(1), scenario: try row.required(2), title: try row.required(3),
                   owner: try row.required(4), due: try row.required(5), createdWallNs: try row.required(6), closedWallNs: try row.value(7),
                   closeNote: try row.value(8))
    }

    public func actionItems(scenario: String?, runID: String?) throws -> [ActionItem] {
        try read { session in
            var conditions: [String] = []
            var values: [Value] = []
            if let scenario { values.append(.text(scenario)); conditions.append("scenario = $\(values.count)") }
            if let runID { values.append(.text(runID)); conditions.append("run_id = $\(values.count)") }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try session.query("\(Self.selectActionItems)\(filter) ORDER BY id", values).map(Self.actionItem)
        }
    }

    public func closeActionItem(id: Int64, note: String, wallNs: Int64) throws -> (item: ActionItem, wasOpen: Bool)? {
        try transaction { session in
            guard let row = try session.query("SELECT closed_wall_ns FROM action_items WHERE id = $1 FOR UPDATE", [.int(id)]).first else { return nil }
            let wasOpen = try row.value(0, Int64.self) == nil
            if wasOpen {
                try session.query("UPDATE action_items SET closed_wall_ns = $1, close_note = $2 WHERE id = $3", [.int(wallNs), .text(note), .int(id)])
            }
            let item = try session.query("\(Self.selectActionItems) WHERE id = $1", [.int(id)]).first.map(Self.actionItem)
            return item.map { ($0, wasOpen) }
        }
    }

    // MARK: - Import

    @discardableResult
    public func importRun(_ imported: ImportedRun) throws -> Bool {
        try transaction { session in
            let run = imported.run
            guard try session.query("SELECT 1 FROM runs WHERE id = $1 UNION ALL SELECT 1 FROM events WHERE run_id = $1 LIMIT 1",
                                    [.text(run.id)]).isEmpty else {
                throw StoreError(description: "run \(run.id) is already in \(location): it is not imported twice")
            }
            try session.query("""
                INSERT INTO runs (id, scenario, title, scenario_path, scenario_text, scenario_sha256, status, started_wall_ns,
                    started_mono_ns, boot_id, ended_wall_ns, rto_seconds, rpo_seconds, objectives_met, vars_json)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                """, [.text(run.id), .text(run.scenario), .text(run.title), .text(run.scenarioPath), .text(run.scenarioText),
                      .text(run.scenarioSHA256), .text(run.status.rawValue), .int(run.startedWallNs), .int(run.startedMonoNs),
                      .text(run.bootID), .int(run.endedWallNs), .double(run.rtoSeconds), .double(run.rpoSeconds),
                      .bool(run.objectivesMet), .text(run.varsJSON)])
            var decoder = StorePayloadDecoder(location: location)
            for link in imported.links {
                try insert(link, runID: run.id, session)
                try projectRows(RecordedEvent(seq: link.seq, event: try decoder.event(link.payload), at: DrillInstant(nanoseconds: link.atNs),
                                              monoNs: link.monoNs, wallNs: link.wallNs), runID: run.id, session)
            }
            if let last = imported.links.last {
                try session.query("INSERT INTO chain_heads VALUES ($1, $2, $3)", [.text(run.id), .text(last.hash), .int(imported.links.count)])
            }
            let ids = imported.actionItems.map(\.id)
            let keepsNumbers = try ids.isEmpty
                || session.query("SELECT 1 FROM action_items WHERE id = ANY($1::bigint[]) LIMIT 1", [.text("{" + ids.map(String.init).joined(separator: ",") + "}")]).isEmpty
            for item in imported.actionItems {
                let columns = "run_id, scenario, title, owner, due, created_wall_ns, closed_wall_ns, close_note"
                let values: [Value] = [.text(item.runID), .text(item.scenario), .text(item.title), .text(item.owner), .text(item.due),
                                       .int(item.createdWallNs), .int(item.closedWallNs), .text(item.closeNote)]
                if keepsNumbers {
                    try session.query("INSERT INTO action_items (id, \(columns)) VALUES ($9::bigint, $1, $2, $3, $4, $5, $6, $7, $8)", values + [.int(item.id)])
                } else {
                    try session.query("INSERT INTO action_items (\(columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", values)
                }
            }
            if keepsNumbers, !ids.isEmpty {
                try session.query("SELECT setval(pg_get_serial_sequence('action_items', 'id'), (SELECT MAX(id) FROM action_items))")
            }
            for signed in imported.signatures { try insert(signed, imported: true, session) }
            return keepsNumbers
        }
    }
}
