import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import GRDB
import Testing

/// Beyond the chain's links: the runs table edited behind the chain's back, and the attacks that
/// rewrite the whole chain (a rehash, a truncated tail, a deleted run), caught by a head signed
/// with the team's key or kept outside the database.
@Suite(.serialized) struct AnchorTests {
    struct Lab {
        let dir: String
        var db: String { dir + "/record.db" }
        var key: String { dir + "/keys/signing.key" }
        var scenario: String { dir + "/anchored.yaml" }

        init() throws {
            dir = try temporaryFolder("firedrill-anchor")
            try """
                firedrill: 1
                name: anchored
                objectives: {rto: 30s}
                phases:
                  - name: disaster
                    steps:
                      - {name: break it, run: ["true"], mark: disaster}
                      - {name: wait, sleep: 50ms}
                      - {name: mend it, run: ["true"], mark: recovered}
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        func firedrill(_ arguments: [String], signing: Bool = true) async throws -> FiredrillProcess.Finished {
            try await FiredrillProcess.run(arguments + ["--db", db], environment: signing ? ["FIREDRILL_SIGNING_KEY": key] : [:],
                                           directory: dir)
        }

        /// A finished, signed run; returns its id.
        func drill(signing: Bool = true) async throws -> String {
            let finished = try await firedrill(["run", scenario, "--quiet"], signing: signing)
            #expect(finished.status == 0, "\(finished.output)")
            return try #require(try SQLiteStore(path: db).runs(scenario: "anchored").first).id
        }

        func store() throws -> SQLiteStore { try SQLiteStore(path: db) }

        /// Edits the database as someone with the file would: the append-only triggers dropped first.
        func tamper(_ sql: (Database) throws -> Void) throws {
            try DatabaseQueue(path: db).write { db in
                for trigger in ["events_no_update", "events_no_delete", "signed_heads_no_update", "signed_heads_no_delete"] {
                    try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
                }
                try sql(db)
            }
        }

        /// Rewrites every hash of a run's chain from `seq` on, and its head, as a tamperer who knows the scheme would.
        func rehash(_ db: Database, _ runID: String) throws {
            var previous = AuditChain.genesis
            var count = 0
            for row in try Row.fetchAll(db, sql: "SELECT * FROM events WHERE run_id = ? ORDER BY seq", arguments: [runID]) {
                let hash = AuditChain.hash(previous: previous, runID: runID, seq: row["seq"], type: row["type"], atNs: row["at_ns"],
                                           monoNs: row["mono_ns"], wallNs: row["wall_ns"], payload: row["payload"])
                try db.execute(sql: "UPDATE events SET prev_hash = ?, hash = ? WHERE run_id = ? AND seq = ?",
                               arguments: [previous, hash, runID, row["seq"] as Int])
                previous = hash
                count += 1
            }
            try db.execute(sql: "UPDATE chain_heads SET head_hash = ?, event_count = ? WHERE run_id = ?", arguments: [previous, count, runID])
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func editedProjectionsAreNamedByVerifyAndReportsPrintTheChainsValues() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.drill(signing: false)
        let before = try #require(try lab.store().run(runID))
        let realRTO = try #require(before.rtoSeconds)
        let endedWallNs = try #require(before.endedWallNs)
        #expect(before.objectivesMet == true && before.rpoSeconds == nil && before.status == .completed)
        try lab.tamper { db in
            try db.execute(sql: "UPDATE runs SET scenario_text = replace(scenario_text, 'rto: 30s', 'rto: 1h'), started_wall_ns = started_wall_ns - ?, rto_seconds = 0.001 WHERE id = ?",
                           arguments: [Int64(30 * 86_400) * 1_000_000_000, runID])
            try db.execute(sql: "UPDATE runs SET rpo_seconds = 0.5, objectives_met = 0, status = 'failed', ended_wall_ns = ended_wall_ns + ? WHERE id = ?",
                           arguments: [Int64(3_600) * 1_000_000_000, runID])
        }
        let verify = try await lab.firedrill(["verify"])
        #expect(verify.status == 1, "\(verify.output)")
        #expect(verify.stdout.contains("runs.scenario_text differs from the scenario text recorded in event 1"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.started_wall_ns is"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.rto_seconds is 0.001s but the chain says"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.rpo_seconds is 0.500s but the chain says empty"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.objectives_met is false but the chain says true"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.status is failed but the chain says completed"), "\(verify.stdout)")
        #expect(verify.stdout.contains("runs.ended_wall_ns is \(WallTime.iso8601(endedWallNs + 3_600_000_000_000)) but the chain says \(WallTime.iso8601(endedWallNs)) (run_ended)"),
                "\(verify.stdout)")

        let retro = try await lab.firedrill(["retro", runID, "--out", "-"])
        #expect(retro.status == 0, "\(retro.output)")
        #expect(retro.stdout.contains("30s"), "the forged objective was printed")
        #expect(retro.stdout.contains(DrillDuration(nanoseconds: Int64((realRTO * 1e9).rounded())).secondsText), "\(retro.stdout)")
        #expect(retro.stdout.contains("BROKEN"), "the retrospective called the record intact")
        let report = try await lab.firedrill(["report", runID, "--format", "json", "--out", "-"])
        #expect(report.stdout.contains(WallTime.iso8601(before.startedWallNs)), "the report did not print the chain's start")
        #expect(report.stdout.contains("\"verified\" : false"), "\(report.stdout.prefix(400))")
        #expect(report.stdout.contains("\"target\" : \"30s\""), "the report held the run to the forged objective")
        let history = try await lab.firedrill(["history", "--json"])
        #expect(!history.stdout.contains("0.001"), "history printed the forged RTO")
    }

    @Test func aSignedHeadCatchesARehashedChainATruncatedTailAndADeletedRun() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let created = try await FiredrillProcess.run(["key", "create", "--out", lab.key], directory: lab.dir)
        #expect(created.status == 0, "\(created.output)")
        #expect((try FileManager.default.attributesOfItem(atPath: lab.key)[.posixPermissions] as? Int) == 0o600)
        let first = try await lab.drill()
        let second = try await lab.drill()
        let store = try lab.store()
        let signatures = try store.signatures(runID: nil)
        #expect(signatures.map(\.runID) == [first, second])
        #expect(signatures[1].previousDigest == signatures[0].digest)
        let head = try #require(try store.run(second)?.headHash)
        #expect(signatures[1].headHash == head)
        let clean = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub", "--head", head])
        #expect(clean.status == 0, "\(clean.output)")
        let retro = try await lab.firedrill(["retro", second, "--out", "-"])
        #expect(retro.stdout.contains("Signed head: `\(head)`"), "\(retro.stdout)")
        // The report prints the signed head in every format: the head, its event and its signature.
        let signature = signatures[1].signature
        let count = signatures[1].eventCount
        let md = try await lab.firedrill(["report", second, "--format", "md", "--out", "-"])
        #expect(md.status == 0, "\(md.output)")
        #expect(md.stdout.contains("Signed head `\(head)` (event \(count)), Ed25519 key `"), "\(md.stdout)")
        #expect(md.stdout.contains("signature `\(signature)`"), "\(md.stdout)")
        let html = try await lab.firedrill(["report", second, "--format", "html", "--out", "-"])
        #expect(html.status == 0, "\(html.output)")
        #expect(html.stdout.contains("Signed head <code>\(head)</code> (event \(count))"), "\(html.stdout)")
        #expect(html.stdout.contains("signature <code class=\"wrap\">\(signature)</code>"), "\(html.stdout)")
        let json = try await lab.firedrill(["report", second, "--format", "json", "--out", "-"])
        #expect(json.status == 0, "\(json.output)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let signed = try #require((document["integrity"] as? [String: Any])?["signed"] as? [String: Any], "\(json.stdout.prefix(600))")
        #expect(signed["head"] as? String == head)
        #expect(signed["signature"] as? String == signature)

        // A rehashed chain: the links hold, the signed head does not.
        try lab.tamper { db in
            try db.execute(sql: "UPDATE events SET payload = replace(payload, 'exit 0', 'exit 0, checked by mallory') WHERE run_id = ? AND seq = 3", arguments: [first])
            try lab.rehash(db, first)
        }
        // Its links hold; the signed head kept in the record (checked against the key it names) does not.
        let plain = try await lab.firedrill(["verify", first])
        #expect(plain.status == 1, "\(plain.output)")
        #expect(plain.stdout.contains("ok     run \(first)"), "\(plain.stdout)")
        // The report checks the signed head at render time too, and does not call the record intact.
        let forgedRetro = try await lab.firedrill(["retro", first, "--out", "-"])
        #expect(forgedRetro.stdout.contains("BROKEN") && forgedRetro.stdout.contains("signed head of event"), "\(forgedRetro.stdout)")
        let rehashed = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub"])
        #expect(rehashed.status == 1, "\(rehashed.output)")
        #expect(rehashed.stdout.contains("run \(first), event") && rehashed.stdout.contains("the chain was rewritten or cut"), "\(rehashed.stdout)")

        // A truncated tail: the last two events and the head rewritten to match.
        try lab.tamper { db in
            try db.execute(sql: "DELETE FROM events WHERE run_id = ? AND seq > (SELECT event_count - 2 FROM chain_heads WHERE run_id = ?)",
                           arguments: [second, second])
            try lab.rehash(db, second)
        }
        let truncated = try await lab.firedrill(["verify", second, "--head", head])
        #expect(truncated.status == 1, "\(truncated.output)")
        #expect(truncated.stdout.contains("no intact chain among these runs holds this head"), "\(truncated.stdout)")
        let truncatedSigned = try await lab.firedrill(["verify", second, "--public-key", lab.key + ".pub"])
        #expect(truncatedSigned.status == 1)
        #expect(truncatedSigned.stdout.contains("the chain has no event"), "\(truncatedSigned.stdout)")

        // A deleted run, its events, head and signature with it: the next signature's link breaks.
        try lab.tamper { db in
            for table in ["events", "chain_heads", "attempts", "probe_samples", "canary_writes", "marks", "measurements", "signed_heads"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE run_id = ?", arguments: [first])
            }
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [first])
        }
        let deleted = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub"])
        #expect(deleted.status == 1, "\(deleted.output)")
        #expect(deleted.stdout.contains("the signature before it is missing"), "\(deleted.stdout)")
        #expect(!deleted.stdout.contains(first) || deleted.stdout.contains("signed head"), "\(deleted.stdout)")
    }

    @Test func theLastSignedRunDeletedIsCaughtByItsSignatureOrByTheAnchor() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try await FiredrillProcess.run(["key", "create", "--out", lab.key], directory: lab.dir)
        let runID = try await lab.drill()
        let head = try #require(try lab.store().run(runID)?.headHash)
        try lab.tamper { db in
            for table in ["events", "chain_heads", "attempts", "marks", "measurements"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE run_id = ?", arguments: [runID])
            }
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [runID])
        }
        let signedOnly = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub"])
        #expect(signedOnly.status == 1)
        #expect(signedOnly.stdout.contains("is not in this record: it was deleted"), "\(signedOnly.stdout)")
        try lab.tamper { try $0.execute(sql: "DELETE FROM signed_heads") }
        let unanchored = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub"])
        #expect(unanchored.status == 0, "with no trace left, only an anchor kept elsewhere can tell: \(unanchored.output)")
        let anchored = try await lab.firedrill(["verify", "--head", head])
        #expect(anchored.status == 1)
        #expect(anchored.stdout.contains("no intact chain holds this head"), "\(anchored.stdout)")
    }

    /// The end notification's signed head is the chain before `run_ended` and the end
    /// notifications' own events: a run cut back to it (those events and the final signature
    /// deleted, the table set as for a run in progress) still verifies against it; the final head,
    /// printed by the retrospective, the report and `verify`, is the anchor that catches the cut.
    @Test func aRunCutBackToItsEndNotificationsHeadIsCaughtOnlyByTheFinalHead() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try await FiredrillProcess.run(["key", "create", "--out", lab.key], directory: lab.dir)
        final class Bodies: @unchecked Sendable {
            let lock = NSLock()
            var all: [String] = []
            func add(_ body: String) { lock.withLock { all.append(body) } }
            var first: String? { lock.withLock { all.first } }
        }
        let bodies = Bodies()
        let receiver = try LoopbackTCPServer { connection in
            let request = String(decoding: connection.readRequest(), as: UTF8.self)
            bodies.add(request.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n"))
            _ = connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        }
        defer { receiver.stop() }
        let scenario = lab.dir + "/notified.yaml"
        try """
            firedrill: 1
            name: notified
            notify:
              - {name: evidence bot, webhook: {url: "\(receiver.base)/hook"}, on: [end]}
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"]}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let finished = try await lab.firedrill(["run", scenario, "--quiet"])
        #expect(finished.status == 0, "\(finished.output)")
        let run = try #require(try lab.store().runs(scenario: "notified").first)
        let final = try #require(run.headHash)
        let request = try #require(bodies.first, "the end notification never came")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        let signed = try #require(body["signed_head"] as? [String: Any], "\(body)")
        let notified = try #require(signed["head"] as? String)
        let count = try #require(signed["events"] as? Int)
        #expect(notified != final && count < run.eventCount)

        let parsed = try #require(ScenarioLoader.parse(text: run.scenarioText, file: scenario, baseDirectory: lab.dir, fileExists: { _ in true }).scenario)
        let kept = try lab.store().events(of: run.id).prefix(count)
        let status = DrillMachine.replay(parsed, events: kept.map { ($0.event, $0.at) }).state.status
        try lab.tamper { db in
            try db.execute(sql: "DELETE FROM events WHERE run_id = ? AND seq > ?", arguments: [run.id, count])
            for table in ["signed_heads", "measurements"] { try db.execute(sql: "DELETE FROM \(table) WHERE run_id = ?", arguments: [run.id]) }
            try db.execute(sql: "UPDATE chain_heads SET head_hash = ?, event_count = ? WHERE run_id = ?", arguments: [notified, count, run.id])
            try db.execute(sql: "UPDATE runs SET status = ?, ended_wall_ns = NULL, rto_seconds = NULL, rpo_seconds = NULL, objectives_met = NULL WHERE id = ?",
                           arguments: [status.rawValue, run.id])
        }
        let withTheNotificationsHead = try await lab.firedrill(["verify", "--head", notified, "--public-key", lab.key + ".pub"])
        #expect(withTheNotificationsHead.status == 0, "the cut is caught by the notification's head after all: GUARANTEES says it is not: \(withTheNotificationsHead.output)")
        let withTheFinalHead = try await lab.firedrill(["verify", "--head", final])
        #expect(withTheFinalHead.status == 1, "\(withTheFinalHead.output)")
        #expect(withTheFinalHead.stdout.contains("no intact chain holds this head"), "\(withTheFinalHead.stdout)")
    }

    @Test func anUnsignedEndedRunFailsAgainstTheTeamsKey() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        _ = try await FiredrillProcess.run(["key", "create", "--out", lab.key], directory: lab.dir)
        let finished = try await lab.firedrill(["run", lab.scenario, "--quiet"], signing: false)
        #expect(finished.status == 0, "\(finished.output)")
        let verify = try await lab.firedrill(["verify", "--public-key", lab.key + ".pub"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("its final head is not signed by key"), "\(verify.stdout)")
        let again = try await FiredrillProcess.run(["key", "create", "--out", lab.key], directory: lab.dir)
        #expect(again.status == 2, "a key was replaced: \(again.output)")
        // A bare file name is a file in the current folder.
        let bare = try await FiredrillProcess.run(["key", "create", "--out", "K"], directory: lab.dir)
        #expect(bare.status == 0, "\(bare.output)")
        #expect(FileManager.default.fileExists(atPath: lab.dir + "/K.pub"))
    }

    /// The end records the run's headline: `history` lists it from there, without replaying the
    /// run, and `verify` replays the run and names a headline that differs (here one forged and
    /// the chain rehashed, which only a signed head would catch).
    @Test func historyListsTheHeadlineTheEndRecordedAndVerifyChecksItByReplay() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.drill(signing: false)
        let store = try lab.store()
        let evidence = try RunEvidence.load(try #require(try store.run(runID)), from: store)
        let end = try #require(try store.events(of: runID).last)
        guard case .runEnded(.completed, let headline?) = end.event else { Issue.record("no headline in \(end.event)"); return }
        #expect(headline == evidence.headline)
        #expect(headline.scenario == "anchored" && headline.rtoObjective?.verdict == .met && headline.rto == evidence.measurement.rto)
        let clean = try await lab.firedrill(["verify"])
        #expect(clean.status == 0, "\(clean.output)")

        try lab.tamper { db in
            try db.execute(sql: "UPDATE events SET payload = json_set(payload, '$.headline.rto.ns', 1000000) WHERE run_id = ? AND seq = ?",
                           arguments: [runID, end.seq])
            try lab.rehash(db, runID)
        }
        let history = try await lab.firedrill(["history", "--json"])
        #expect(history.stdout.contains("\"rto_seconds\" : 0.001"), "history did not list the end's headline: \(history.stdout)")
        let verify = try await lab.firedrill(["verify"])
        #expect(verify.status == 1, "\(verify.output)")
        #expect(verify.stdout.contains("the headline run_ended (event \(end.seq)) recorded differs from what the run's events give: RTO 0.001s"),
                "\(verify.stdout)")
    }

    /// A run recorded before the end held its headline is replayed for the lists: its figures are
    /// the chain's, never the table's.
    @Test func anEndWithoutAHeadlineIsReplayedForTheLists() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.drill(signing: false)
        let real = try #require(try lab.store().run(runID)?.rtoSeconds)
        try lab.tamper { db in
            try db.execute(sql: "UPDATE events SET payload = json_remove(payload, '$.headline') WHERE run_id = ? AND type = 'run_ended'", arguments: [runID])
            try lab.rehash(db, runID)
        }
        let end = try #require(try lab.store().events(of: runID).last)
        #expect(end.event == .runEnded(.completed, headline: nil))
        let verify = try await lab.firedrill(["verify"])
        #expect(verify.status == 0, "an older end is not a break: \(verify.output)")
        try lab.tamper { db in try db.execute(sql: "UPDATE runs SET rto_seconds = 0.001 WHERE id = ?", arguments: [runID]) }
        let history = try await lab.firedrill(["history", "--json"])
        #expect(history.status == 0, "\(history.output)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        let rto = try #require(listed.first?["rto_seconds"] as? Double, "\(history.stdout)")
        #expect(abs(rto - real) < 1e-9, "history listed \(rto), not the chain's \(real)")
        #expect(listed.first?["objectives"] as? String == "met", "\(history.stdout)")
    }

    /// Nothing follows run_ended: an event appended after it (and the chain rehashed) is named.
    @Test func eventsAfterTheEndAreNamed() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.drill(signing: false)
        try lab.tamper { db in
            let last = try #require(try Row.fetchOne(db, sql: "SELECT * FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1", arguments: [runID]))
            try db.execute(sql: "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, '', '')",
                           arguments: [runID, (last["seq"] as Int) + 1, last["type"] as String, (last["at_ns"] as Int64) + 3_600_000_000_000,
                                       (last["mono_ns"] as Int64) + 3_600_000_000_000, (last["wall_ns"] as Int64) + 3_600_000_000_000,
                                       last["payload"] as String])
            try lab.rehash(db, runID)
        }
        let verify = try await lab.firedrill(["verify"])
        #expect(verify.status == 1, "\(verify.output)")
        #expect(verify.stdout.contains("after run_ended"), "\(verify.stdout)")
    }

    /// The scenario a run belongs to is the chain's: a forged name in the table neither hides the
    /// run from its scenario nor steers where its retrospective is written.
    @Test func aForgedScenarioNameNeitherHidesTheRunNorLeavesTheReportsFolder() async throws {
        let lab = try Lab()
        defer { lab.remove() }
        let runID = try await lab.drill(signing: false)
        try lab.tamper { try $0.execute(sql: "UPDATE runs SET scenario = '../../../../tmp/firedrill-evil' WHERE id = ?", arguments: [runID]) }
        let retro = try await lab.firedrill(["retro", runID])
        #expect(retro.status == 0, "\(retro.output)")
        #expect(retro.stdout.contains("reports/anchored/\(runID)/retrospective.md"), "\(retro.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/firedrill-evil"))
        let history = try await lab.firedrill(["history", "--scenario", "anchored"])
        #expect(history.stdout.contains(runID), "\(history.output)")
        let verify = try await lab.firedrill(["verify"])
        #expect(verify.stdout.contains("runs.scenario is"), "\(verify.stdout)")
    }
}
