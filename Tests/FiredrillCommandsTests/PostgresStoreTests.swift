import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// The PostgreSQL record through the `firedrill` command, against a real server: what a URL
/// that cannot be used says, the schema's own rules, the runner and auditor roles, passwords
/// that never show, TLS, and evidence that travels between the two stores.
@Suite(.enabled(if: TestPostgres.shared != nil, Comment(rawValue: "PostgreSQL store tests skipped: \(TestPostgres.unavailableReason)")))
struct PostgresStoreTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    var server: TestPostgres { TestPostgres.shared! }

    /// A small drill: one step, no target.
    static let scenario = """
        firedrill: 1
        name: pg-small
        phases:
          - name: only
            steps:
              - name: pause
                sleep: 10ms
              - name: check
                run: [true]
        """

    func folder(_ name: String) throws -> String {
        let dir = try temporaryFolder("pg-\(name)")
        try Self.scenario.write(toFile: dir + "/small.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    func firedrill(_ arguments: [String], db: String, in dir: String, environment: [String: String] = [:]) async throws -> FiredrillProcess.Finished {
        try await FiredrillProcess.run(arguments, environment: environment.merging(["FIREDRILL_DB": db]) { $1 }, directory: dir)
    }

    // MARK: - A URL that cannot be used says so, in words, before anything runs

    @Test func aURLThatCannotBeUsedIsSaidInWordsWithItsPasswordMasked() async throws {
        let dir = try folder("urls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let refused = try LoopbackPort.free()
        let cases: [(url: String, says: String)] = [
            ("postgres://ops:hunter2-secret@127.0.0.1:notaport/x", "cannot be used"),
            ("postgres://ops:hunter2-secret@127.0.0.1:\(server.port)/\(database)?sslmode=sometimes", "sslmode 'sometimes'"),
            ("postgres://ops:hunter2-secret@127.0.0.1:\(refused)/x?sslmode=disable&connect_timeout=2", "connection refused"),
            (server.url(password: "hunter2-secret", database: database), "the server refused user 'postgres'"),
            (server.url(database: "no_such_database_here"), "there is no database 'no_such_database_here'"),
        ]
        for (url, says) in cases {
            let result = try await firedrill(["run", "small.yaml"], db: url, in: dir)
            #expect(result.status == 70, "\(url): \(result.output)")
            #expect(result.stderr.contains(says), "\(url): \(result.stderr)")
            #expect(!result.output.contains("hunter2-secret") && !result.output.contains(server.adminPassword), "\(result.output)")
            #expect(!result.stdout.contains("drill"), "nothing ran: \(result.stdout)")
        }
    }

    /// A server that takes the connection and never answers is given up within the connect timeout.
    @Test func aServerThatNeverAnswersIsGivenUpAfterTheConnectTimeout() async throws {
        let dir = try folder("silent")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let silent = try LoopbackTCPServer { connection in connection.hold(upTo: .seconds(60)) }
        defer { silent.stop() }
        let started = ContinuousClock.now
        let result = try await firedrill(["history"], db: "postgres://ops:pw-never-shown@127.0.0.1:\(silent.port)/x?sslmode=disable&connect_timeout=1",
                                         in: dir)
        #expect(result.status == 70 && result.stderr.contains("no answer within the connect timeout"), "\(result.output)")
        #expect(!result.output.contains("pw-never-shown"))
        #expect(ContinuousClock.now - started < .seconds(30), "it was given up, not waited on")
    }

    // MARK: - Every command

    /// A drill that waits on a person, carried through every command on a PostgreSQL record:
    /// run (exit 4), status, confirm (which carries it on), history, verify, retro, report and
    /// its trend, actions add/list/close, due; and a second run aborted from another process.
    @Test func everyCommandWorksOnAPostgreSQLRecord() async throws {
        let dir = try folder("commands")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let db = server.url(database: database)
        try """
            firedrill: 1
            name: pg-manual
            schedule: quarterly
            phases:
              - name: only
                steps:
                  - name: pause
                    sleep: 10ms
                  - name: declare
                    manual: Declare the disaster.
                    timeout: 60s
                  - name: after
                    run: [true]
            """.write(toFile: dir + "/manual.yaml", atomically: true, encoding: .utf8)
        let waiting = try await firedrill(["run", "manual.yaml", "--quiet"], db: db, in: dir)
        #expect(waiting.status == 4, "\(waiting.output)")
        let history = try await firedrill(["history", "--json"], db: db, in: dir)
        let runID = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        let status = try await firedrill(["status", runID], db: db, in: dir)
        #expect(status.status == 0 && status.stdout.contains("waiting"), "\(status.output)")
        let confirmed = try await firedrill(["confirm", runID, "--by", "lead", "--note", "declared", "--quiet"], db: db, in: dir)
        #expect(confirmed.status == 0, "\(confirmed.output)")
        let checks: [[String]] = [
            ["verify"], ["retro", runID, "--out", "retro.md"], ["report", runID, "--format", "json", "--out", "r"],
            ["report", "--scenario", "pg-manual", "--format", "md", "--out", "trend"],
            ["actions", "add", runID, "--title", "faster declaration", "--owner", "lead", "--due", "2027-01-01"],
            ["actions", "list", "--open"], ["actions", "close", "1", "--note", "done"], ["due", "manual.yaml", "--as-of", "2026-12-02"],
        ]
        for arguments in checks {
            let result = try await firedrill(arguments, db: db, in: dir)
            #expect(result.status == 0, "\(arguments): \(result.output)")
        }
        #expect(try String(contentsOfFile: dir + "/retro.md", encoding: .utf8).contains("declared"))
        let items = try await firedrill(["actions", "list", "--json"], db: db, in: dir)
        #expect(items.stdout.contains("faster declaration") && items.stdout.contains("done"), "\(items.output)")
        // A second run, waiting, aborted by another process: rolled back and recorded why.
        #expect(try await firedrill(["run", "manual.yaml", "--quiet"], db: db, in: dir).status == 4)
        let second = try await firedrill(["history", "--json"], db: db, in: dir)
        let secondID = try #require((try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        #expect(secondID != runID)
        let aborted = try await firedrill(["abort", secondID, "--by", "lead", "--reason", "called off", "--quiet"], db: db, in: dir)
        #expect(aborted.status == 3, "\(aborted.output)")
        let final = try await firedrill(["history"], db: db, in: dir)
        #expect(final.stdout.contains("aborted") && final.stdout.contains("completed"), "\(final.output)")
        #expect(try await firedrill(["verify"], db: db, in: dir).status == 0)
    }

    // MARK: - The schema's own rules

    @Test func eventsAreAppendOnlyInTheDatabaseAndANewerSchemaIsRefused() async throws {
        let dir = try folder("schema")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let url = server.url(database: database)
        let migrate = try await firedrill(["db", "migrate"], db: url, in: dir)
        #expect(migrate.status == 0 && migrate.stdout.contains("schema up to date"), "\(migrate.output)")
        #expect(!migrate.output.contains(server.adminPassword))
        let run = try await firedrill(["run", "small.yaml", "--quiet"], db: url, in: dir)
        #expect(run.status == 0, "\(run.output)")
        // Even the owner, whom no GRANT limits, cannot change the log.
        for statement in ["UPDATE events SET payload = '{}'", "DELETE FROM events", "TRUNCATE events"] {
            #expect(throws: TestPostgresError.self, "\(statement)") { try server.psql(statement, database: database) }
        }
        #expect(try server.psql("SELECT count(*) FROM events", database: database).trimmingCharacters(in: .whitespacesAndNewlines) != "0")
        let verify = try await firedrill(["verify"], db: url, in: dir)
        #expect(verify.status == 0, "\(verify.output)")
        try server.psql("INSERT INTO firedrill_migrations (identifier) VALUES ('pg-v99-from-the-future')", database: database)
        let newer = try await firedrill(["history"], db: url, in: dir)
        #expect(newer.status == 70 && newer.stderr.contains("written by a newer Firedrill") && newer.stderr.contains("pg-v99-from-the-future"),
                "\(newer.output)")
    }

    // MARK: - Roles and secrets

    /// The runner role drives drills and can change no event; the auditor reads: history, report,
    /// verify and export work, and `run` fails naming the privilege it lacks. Passwords come from
    /// PGPASSWORD and PGPASSFILE as well as the URL, and none is printed.
    @Test func theRunnerAndAuditorRolesDoWhatTheirGrantsSay() async throws {
        let dir = try folder("roles")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let suffix = String(database.suffix(8))
        let runner = "runner_\(suffix)", auditor = "auditor_\(suffix)"
        let runnerPassword = "rp-\(UUID().uuidString.prefix(8))", auditorPassword = "ap-\(UUID().uuidString.prefix(8))"
        try server.psql("CREATE ROLE \(runner) LOGIN PASSWORD '\(runnerPassword)'; CREATE ROLE \(auditor) LOGIN PASSWORD '\(auditorPassword)'",
                        database: "postgres")
        defer { _ = try? server.psql("DROP OWNED BY \(runner), \(auditor); DROP ROLE \(runner); DROP ROLE \(auditor)", database: database) }
        let owner = server.url(database: database)
        #expect(try await firedrill(["db", "migrate"], db: owner, in: dir).status == 0)
        let grants = try await firedrill(["db", "grants", "--runner", runner, "--auditor", auditor], db: owner, in: dir)
        #expect(grants.status == 0 && grants.stdout.contains("GRANT SELECT, INSERT ON events, signed_heads TO \"\(runner)\""), "\(grants.output)")
        try server.psql(grants.stdout, database: database)

        // The runner, its password from PGPASSWORD.
        let runnerURL = server.url(user: runner, password: nil, database: database)
        let ran = try await firedrill(["run", "small.yaml", "--quiet"], db: runnerURL, in: dir, environment: ["PGPASSWORD": runnerPassword])
        #expect(ran.status == 0, "\(ran.output)")
        #expect(!ran.output.contains(runnerPassword))
        #expect(throws: TestPostgresError.self) {
            try server.psql("UPDATE events SET payload = payload", database: database, user: runner, password: runnerPassword)
        }
        #expect(throws: TestPostgresError.self) { try server.psql("DROP TABLE events", database: database, user: runner, password: runnerPassword) }

        // The auditor, its password from a passfile.
        let passfile = dir + "/pgpass"
        try "127.0.0.1:\(server.port):\(database):\(auditor):\(auditorPassword)\n".write(toFile: passfile, atomically: true, encoding: .utf8)
        chmod(passfile, 0o600)
        let auditorURL = server.url(user: auditor, password: nil, database: database)
        let asAuditor = ["PGPASSFILE": passfile]
        let history = try await firedrill(["history", "--json"], db: auditorURL, in: dir, environment: asAuditor)
        #expect(history.status == 0, "\(history.output)")
        let runID = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        for arguments in [["report", runID, "--format", "md", "--out", "audit"], ["verify"], ["export", runID, "--out", "bundle.json"]] {
            let result = try await firedrill(arguments, db: auditorURL, in: dir, environment: asAuditor)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            #expect(!result.output.contains(auditorPassword))
        }
        let refused = try await firedrill(["run", "small.yaml"], db: auditorURL, in: dir, environment: asAuditor)
        #expect(refused.status == 70, "\(refused.output)")
        #expect(refused.stderr.contains("lacks a privilege") && refused.stderr.contains("permission denied for table runs"), "\(refused.stderr)")
        #expect(!refused.output.contains(auditorPassword))
        // A passfile others may read is refused by name, as libpq ignores it.
        chmod(passfile, 0o644)
        let loose = try await firedrill(["history"], db: auditorURL, in: dir, environment: asAuditor)
        #expect(loose.status == 70 && loose.stderr.contains("may be read by others"), "\(loose.output)")
    }

    // MARK: - TLS

    /// A server of the test's own that takes only TLS connections (hostssl), with a self-signed
    /// certificate made here: `sslmode=require` reaches it, `disable` is turned away, and
    /// `verify-full` holds against the certificate itself and fails against another CA.
    @Test func sslmodeRequireReachesAServerWithASelfSignedCertificate() async throws {
        let dir = try folder("tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let other = dir + "/other-ca.crt"
        try Self.selfSigned(cert: other, key: dir + "/other-ca.key")
        let server = try await TestPostgres.started { data in
            try Self.selfSigned(cert: data + "/server.crt", key: data + "/server.key")
            let hba = try String(contentsOfFile: data + "/pg_hba.conf", encoding: .utf8)
            let only = hba.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("host ") ? "hostssl" + line.dropFirst(4) : String(line)
            }.joined(separator: "\n")
            try only.write(toFile: data + "/pg_hba.conf", atomically: true, encoding: .utf8)
            return ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
        }
        defer { server.stop() }
        let database = try server.createDatabase("tls")
        let plain = try await firedrill(["history"], db: server.url(database: database, options: "sslmode=disable"), in: dir)
        #expect(plain.status == 70 && plain.stderr.contains("no encryption"), "\(plain.output)")
        let required = try await firedrill(["run", "small.yaml", "--quiet"], db: server.url(database: database, options: "sslmode=require"), in: dir)
        #expect(required.status == 0, "\(required.output)")
        let cert = server.dataDirectory! + "/server.crt"
        let full = try await firedrill(["history"], db: server.url(database: database, options: "sslmode=verify-full&sslrootcert=\(cert)"), in: dir)
        #expect(full.status == 0 && full.stdout.contains("pg-small"), "\(full.output)")
        let wrongCA = try await firedrill(["history"], db: server.url(database: database, options: "sslmode=verify-full&sslrootcert=\(other)"), in: dir)
        #expect(wrongCA.status == 70 && wrongCA.stderr.contains("does not verify against sslrootcert"), "\(wrongCA.output)")
        #expect(!wrongCA.output.contains(server.adminPassword))
    }

    /// A self-signed certificate for 127.0.0.1, made with openssl.
    static func selfSigned(cert: String, key: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPostgresError("openssl could not make a certificate") }
        chmod(key, 0o600)
    }

    // MARK: - Evidence that travels

    /// SQLite → PostgreSQL → SQLite: every report renders byte for byte the same from each
    /// record, and the bundle verifies with no database. The runs are signed: their imported heads
    /// verify in records whose own signatures they do not link into. Action items keep their
    /// numbers where they are free and are numbered anew where they are not.
    @Test func aRoundTripThroughBothStoresKeepsEveryReportByteIdentical() async throws {
        let dir = try folder("round-trip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let first = dir + "/first.db", last = dir + "/last.db", pg = server.url(database: database)
        let demo = Self.repository + "/scenarios/demo.yaml"
        var runs: [String] = []
        let key = dir + "/team.key"
        #expect(try await FiredrillProcess.run(["key", "create", "--out", key], directory: dir).status == 0)
        for round in 0..<2 {
            let result = try await firedrill(["demo", "--scenario", demo, "--workdir", dir + "/demo-\(round)"], db: first, in: dir,
                                             environment: ["FIREDRILL_SIGNING_KEY": key])
            #expect(result.status == 0, "\(result.output)")
        }
        let history = try await firedrill(["history", "--json"], db: first, in: dir)
        runs = ((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        try #require(runs.count == 2, "\(history.output)")
        #expect(try await firedrill(["actions", "add", runs[0], "--title", "page sooner", "--owner", "ops", "--due", "2027-01-15"], db: first, in: dir).status == 0)
        #expect(try await firedrill(["export"] + runs + ["--out", "one.json"], db: first, in: dir).status == 0)
        let imported = try await firedrill(["import", "one.json"], db: pg, in: dir)
        #expect(imported.status == 0, "\(imported.output)")
        #expect(try await firedrill(["export"] + runs + ["--out", "two.json"], db: pg, in: dir).status == 0)
        #expect(try await firedrill(["import", "two.json"], db: last, in: dir).status == 0)
        for (name, db) in [("first", first), ("pg", pg), ("last", last)] {
            for format in ["md", "html", "json"] {
                for run in runs {
                    let result = try await firedrill(["report", run, "--format", format, "--out", "\(name)/\(run)-\(format)",
                                                      "--rendered-at", "2026-12-02T00:00:00Z", "--as-of", "2026-12-02"], db: db, in: dir)
                    #expect(result.status == 0, "\(name) \(format): \(result.output)")
                }
            }
            let trend = try await firedrill(["report", "--scenario", "demo", "--format", "md", "--out", "\(name)/trend",
                                             "--rendered-at", "2026-12-02T00:00:00Z", "--as-of", "2026-12-02"], db: db, in: dir)
            #expect(trend.status == 0, "\(name) trend: \(trend.output)")
        }
        let reports = try FileManager.default.subpathsOfDirectory(atPath: dir + "/first").filter { !$0.hasSuffix("/") }
        var compared = 0
        for file in reports {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/first/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/first/" + file))
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/pg/" + file)) == original, "pg: \(file)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/last/" + file)) == original, "last: \(file)")
            compared += 1
        }
        #expect(compared >= 7, "\(reports)")
        // The bundle from PostgreSQL checks on its own; and importing it twice is refused.
        let verified = try await FiredrillProcess.run(["verify", "two.json"], directory: dir)
        #expect(verified.status == 0 && verified.stdout.contains("every chain intact"), "\(verified.output)")
        let again = try await firedrill(["import", "two.json"], db: pg, in: dir)
        #expect(again.status == 70 && again.stderr.contains("is already in"), "\(again.output)")
        for db in [pg, last] {
            let verify = try await firedrill(["verify", "--public-key", key + ".pub"], db: db, in: dir)
            #expect(verify.status == 0, "\(verify.output)")
        }
        // A record whose action item 1 is taken: the imported item gets a new number, and says so.
        let busy = dir + "/busy.db"
        #expect(try await firedrill(["run", "small.yaml", "--quiet"], db: busy, in: dir, environment: ["FIREDRILL_SIGNING_KEY": key]).status == 0)
        let own = try await firedrill(["history", "--json"], db: busy, in: dir)
        let ownID = try #require((try JSONSerialization.jsonObject(with: Data(own.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        #expect(try await firedrill(["actions", "add", ownID, "--title", "its own", "--owner", "me", "--due", "2027-02-01"], db: busy, in: dir).status == 0)
        let renumbered = try await firedrill(["import", "one.json"], db: busy, in: dir)
        #expect(renumbered.status == 0 && renumbered.stdout.contains("got new numbers"), "\(renumbered.output)")
        let items = try await firedrill(["actions", "list", "--json"], db: busy, in: dir)
        let listed = (try JSONSerialization.jsonObject(with: Data(items.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(listed.map { $0["title"] as? String } == ["its own", "page sooner"], "\(items.output)")
        #expect(Set(listed.compactMap { $0["id"] as? Int }).count == 2, "\(items.output)")
        // Its own signed head first, then the imported ones, which link into the record they came from.
        let mixed = try await firedrill(["verify", "--public-key", key + ".pub"], db: busy, in: dir)
        #expect(mixed.status == 0, "\(mixed.output)")
    }

    /// A bundle edited anywhere fails `verify FILE`, which names where: an event, the row, an
    /// action item, a signed head, the run list; and a signed bundle's signature.
    @Test func aBundleEditedAnywhereFailsVerifyNamingWhere() async throws {
        let dir = try folder("tamper")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try server.createDatabase()
        defer { server.dropDatabase(database) }
        let pg = server.url(database: database)
        let key = dir + "/team.key"
        #expect(try await FiredrillProcess.run(["key", "create", "--out", key], directory: dir).status == 0)
        let signing = ["FIREDRILL_SIGNING_KEY": key]
        #expect(try await firedrill(["run", "small.yaml", "--quiet"], db: pg, in: dir, environment: signing).status == 0)
        let history = try await firedrill(["history", "--json"], db: pg, in: dir)
        let runID = try #require((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String)
        #expect(try await firedrill(["actions", "add", runID, "--title", "a", "--owner", "o", "--due", "2027-01-01"], db: pg, in: dir).status == 0)
        let export = try await firedrill(["export", runID, "--out", "b.json"], db: pg, in: dir, environment: signing)
        #expect(export.status == 0 && export.stdout.contains("signed by key"), "\(export.output)")
        let intact = try await FiredrillProcess.run(["verify", "b.json", "--public-key", key + ".pub"], directory: dir)
        #expect(intact.status == 0, "\(intact.output)")
        let text = try String(contentsOfFile: dir + "/b.json", encoding: .utf8)
        let edits: [(String, (inout [String: Any]) -> Void, String)] = [
            ("an event", { b in Self.edit(&b) { run in var e = run["events"] as! [[String: Any]]; e[1]["wallNs"] = (e[1]["wallNs"] as! Int) + 1; run["events"] = e } }, "event 2"),
            ("the row", { b in Self.edit(&b) { run in var r = run["row"] as! [String: Any]; r["rtoSeconds"] = 0.001; run["row"] = r } }, "its row"),
            ("an action item", { b in Self.edit(&b) { run in var items = run["actionItems"] as! [[String: Any]]; var i = items[0]["item"] as! [String: Any]; i["owner"] = "nobody"; items[0]["item"] = i; run["actionItems"] = items } }, "action item"),
            ("a signed head", { b in Self.edit(&b) { run in var s = run["signedHeads"] as! [[String: Any]]; s[0]["signedWallNs"] = 1; run["signedHeads"] = s } }, "signed head 1"),
            ("the run list", { b in b["runs"] = [] }, "bundle: its digest"),
        ]
        for (what, edit, says) in edits {
            var bundle = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            edit(&bundle)
            try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/edited.json"))
            let result = try await FiredrillProcess.run(["verify", "edited.json"], directory: dir)
            #expect(result.status == 1 && result.stdout.contains("BROKEN") && result.stdout.contains(says), "\(what): \(result.output)")
            let refused = try await firedrill(["import", "edited.json"], db: dir + "/other.db", in: dir)
            #expect(refused.status == 1 && refused.stderr.contains("nothing was imported"), "\(what): \(refused.output)")
        }
        // Digests recomputed after an edit still fail: the signature is over them.
        var bundle = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        bundle["digest"] = String(repeating: "a", count: 64)
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: dir + "/resigned.json"))
        let resigned = try await FiredrillProcess.run(["verify", "resigned.json"], directory: dir)
        #expect(resigned.status == 1 && resigned.stdout.contains("signature does not hold"), "\(resigned.output)")
    }

    static func edit(_ bundle: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var runs = bundle["runs"] as! [[String: Any]]
        change(&runs[0])
        bundle["runs"] = runs
    }
}
