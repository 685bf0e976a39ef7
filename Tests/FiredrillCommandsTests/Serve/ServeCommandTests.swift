import FiredrillCore
import FiredrillRuntime
import GRDB
import FiredrillTestSupport
import Foundation
import Testing

/// `firedrill serve` as a real process on 127.0.0.1 over a real record: who may read and act,
/// the pages, the operator's confirm and abort, and the live stream.
@Suite(.serialized) struct ServeCommandTests {
    @Test func everyPageNeedsALiveTokenWhoseRoleAllowsIt() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let drilled = try await lab.firedrill(["run", lab.scenarios + "/quick.yaml", "--quiet"])
        #expect(drilled.status == 0, "\(drilled.output)")
        let runID = try #require(try lab.store().runs(scenario: "quick").first?.id)
        let viewer = try await lab.token("auditor", "viewer")
        try await lab.start()

        let anonymous = try await lab.get("/")
        #expect(anonymous.status == 303 && anonymous.headers["Location"].first == "/login")
        #expect(try await lab.get("/metrics").status == 303)
        #expect(try await lab.get("/healthz").status == 200)
        for path in ["/", "/actions", "/verify", "/metrics", "/runs/\(runID)", "/runs/\(runID)/live", "/runs/\(runID)/report.html",
                     "/runs/\(runID)/report.json", "/runs/\(runID)/report.md", "/runs/\(runID)/bundle", "/scenarios/quick/trend"] {
            let reply = try await lab.get(path, bearer: viewer)
            #expect(reply.status == 200, "\(path): \(reply.status) \(reply.body.prefix(300))")
            #expect(reply.headers["Cache-Control"].first == "no-store", "\(path)")
            #expect(reply.headers["Content-Security-Policy"].first?.contains("default-src 'none'") == true, "\(path)")
        }
        if ["/usr/bin/wkhtmltopdf", "/usr/bin/chromium"].contains(where: FileManager.default.isExecutableFile(atPath:)) {
            let pdf = try await lab.get("/runs/\(runID)/report.pdf", bearer: viewer)
            #expect(pdf.status == 200 && pdf.body.hasPrefix("%PDF"), "\(pdf.status) \(pdf.body.prefix(200))")
        }
        // The framework's own answers carry the same headers.
        let unknown = try await lab.get("/no/such/page", bearer: viewer)
        #expect(unknown.status == 404 && unknown.headers["Cache-Control"].first == "no-store", "\(unknown.headers)")
        #expect(unknown.headers["Content-Security-Policy"].first?.contains("default-src 'none'") == true)
        let overview = try await lab.get("/", bearer: viewer)
        #expect(overview.body.contains("quick") && overview.body.contains(runID) && overview.body.contains("30s"), "\(overview.body)")
        let bundle = try await lab.get("/runs/\(runID)/bundle", bearer: viewer)
        try bundle.body.write(toFile: lab.dir + "/sent.bundle", atomically: true, encoding: .utf8)
        let checked = try await FiredrillProcess.run(["verify", lab.dir + "/sent.bundle"], directory: lab.dir)
        #expect(checked.status == 0, "the downloaded bundle verifies on its own: \(checked.output)")
        let verify = try await lab.get("/verify", bearer: viewer)
        #expect(verify.body.contains("Every chain intact") && verify.body.contains("intact"), "\(verify.body)")

        // A viewer may not act; a wrong or revoked token is refused.
        let abort = try await lab.request(.POST, "/runs/\(runID)/abort", bearer: viewer, form: ["reason": "x"])
        #expect(abort.status == 403, "\(abort.body)")
        #expect(try await lab.get("/", bearer: "fdt_not-a-token").status == 401)
        let revoked = try await lab.firedrill(["token", "revoke", "auditor"])
        #expect(revoked.status == 0, "\(revoked.output)")
        #expect(try await lab.get("/", bearer: viewer).status == 401, "a revoked token is refused at once")
    }

    @Test func aLoginIsAnHttpOnlySameSiteCookieAndItsFormsNeedTheirCSRFToken() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let operatorToken = try await lab.token("olivia", "operator")
        let long = try FiredrillProcess.Running(["run", lab.scenarios + "/long.yaml", "--quiet", "--db", lab.db], directory: lab.dir)
        try await lab.start()
        let (cookie, reply) = try await lab.login(operatorToken)
        #expect(reply.status == 303)
        let setCookie = try #require(reply.headers["Set-Cookie"].first)
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
        #expect(!setCookie.contains(operatorToken), "the cookie is a session id, not the token")
        var runID: String?
        for _ in 0..<100 where runID == nil {
            runID = try lab.store().runs(scenario: "long").first?.id
            try await Task.sleep(for: .milliseconds(50))
        }
        let id = try #require(runID)
        let page = try await lab.get("/runs/\(id)", cookie: cookie)
        let csrf = try #require(ServeLab.csrf(in: page.body), "\(page.body.prefix(2000))")
        let without = try await lab.request(.POST, "/runs/\(id)/abort", cookie: cookie, form: ["reason": "no token"])
        #expect(without.status == 403)
        let elsewhere = try await lab.request(.POST, "/runs/\(id)/abort", cookie: cookie, form: ["reason": "evil", "csrf": csrf],
                                              headers: [("Origin", "http://evil.example")])
        #expect(elsewhere.status == 403, "\(elsewhere.body)")
        let aborted = try await lab.request(.POST, "/runs/\(id)/abort", cookie: cookie, form: ["reason": "customer impact", "csrf": csrf])
        #expect(aborted.status == 200, "\(aborted.body)")
        let finished = await long.wait()
        #expect(finished.status == 3, "the drill was aborted: \(finished.output)")
        let events = try lab.store().events(of: id)
        #expect(events.contains { $0.event == .abortRequested(by: "olivia", reason: "customer impact") }, "recorded as `firedrill abort` records it")
        #expect(!events.contains { if case .abortRequested(_, "evil") = $0.event { true } else { false } })
    }

    @Test func anOperatorConfirmsARunThatStoppedWaitingAndThePageCarriesItOn() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let waiting = try await lab.firedrill(["run", lab.scenarios + "/manual.yaml", "--quiet"])
        #expect(waiting.status == 4, "\(waiting.output)")
        let runID = try #require(try lab.store().runs(scenario: "manual").first?.id)
        let operatorToken = try await lab.token("omar", "operator")
        let viewerToken = try await lab.token("vera", "viewer")
        try await lab.start()
        let (viewerCookie, _) = try await lab.login(viewerToken)
        let seen = try await lab.get("/runs/\(runID)", cookie: viewerCookie)
        #expect(!seen.body.contains("/confirm\""), "a viewer is shown no confirm form")
        let (cookie, _) = try await lab.login(operatorToken)
        let page = try await lab.get("/runs/\(runID)/live", cookie: cookie)
        #expect(page.body.contains("Declare the disaster in the incident channel."), "\(page.body.prefix(3000))")
        let csrf = try #require(ServeLab.csrf(in: page.body))
        let stale = try await lab.request(.POST, "/runs/\(runID)/confirm", cookie: cookie, form: ["csrf": csrf, "step": "phase.0.2", "note": "x"])
        #expect(stale.status == 409, "a form for another step confirms nothing: \(stale.body)")
        let step = try #require(page.body.range(of: #"name="step" value=""#).map { String(page.body[$0.upperBound...].prefix { $0 != "\"" }) })
        #expect(step == "phase.0.1")
        let confirmed = try await lab.request(.POST, "/runs/\(runID)/confirm", cookie: cookie,
                                              form: ["csrf": csrf, "step": step, "note": "--no-continue: declared in #inc"])
        #expect(confirmed.status == 200, "\(confirmed.body)")
        var status: RunStatus?
        for _ in 0..<200 where status?.isFinal != true {
            status = try lab.store().run(runID)?.status
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status == .completed)
        let events = try lab.store().events(of: runID)
        #expect(events.contains { if case .operatorConfirmed(let c) = $0.event { c.by == "omar" && c.note == "--no-continue: declared in #inc" } else { false } })
    }

    /// The stores the live stream is followed on: SQLite, and PostgreSQL where a cluster runs.
    static let stores: [String] = TestPostgres.shared == nil ? ["sqlite"] : ["sqlite", "postgres"]

    /// The stream follows the record, whoever writes it: a runner killed mid-drill and another
    /// process's `resume` carry it to its end, and the stream with it.
    @Test(arguments: stores)
    func theLiveStreamFollowsARunAcrossACrashAndResume(_ kind: String) async throws {
        let database = try kind == "postgres" ? TestPostgres.shared.map { $0.url(database: try $0.createDatabase("serve")) } : nil
        let lab = try ServeLab(database: database)
        defer { Task { await lab.remove() } }
        let viewer = try await lab.token("watcher", "viewer")
        try await lab.start()
        let drill = try FiredrillProcess.Running(["run", lab.scenarios + "/slow.yaml", "--quiet", "--db", lab.db], directory: lab.dir)
        var runID: String?
        for _ in 0..<200 where runID == nil {
            runID = try lab.store().runs(scenario: "slow").first?.id
            try await Task.sleep(for: .milliseconds(20))
        }
        let id = try #require(runID)
        let request = HTTPClientRequestBuilder.get("http://127.0.0.1:\(lab.port)/runs/\(id)/events", bearer: viewer)
        let response = try await lab.client.execute(request, timeout: .seconds(120))
        #expect(response.headers["Content-Type"].first == "text/event-stream")
        var buffer = ""
        var snapshots: [[String: Any]] = []
        var killed = false
        var resumed: FiredrillProcess.Running?
        for try await chunk in response.body {
            buffer += String(buffer: chunk)
            while let end = buffer.range(of: "\n\n") {
                let message = String(buffer[..<end.lowerBound])
                buffer = String(buffer[end.upperBound...])
                guard let data = message.split(separator: "\n").first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                      let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { continue }
                snapshots.append(object)
            }
            // Killed once the drill is under way, then carried on by another process.
            if !killed, ["one", "two", "three"].contains(snapshots.last?["step"] as? String ?? "") {
                kill(drill.pid, SIGKILL)
                _ = await drill.wait()
                killed = true
                resumed = try FiredrillProcess.Running(["resume", id, "--quiet", "--db", lab.db], directory: lab.dir)
            }
        }
        // The loop ends because the server ends the stream once the run is over for good.
        #expect(snapshots.last?["status"] as? String == "completed")
        #expect(killed, "the drill was watched under way")
        let finished = await resumed?.wait()
        #expect(finished?.status == 0, "\(finished?.output ?? "")")
        let counts = snapshots.compactMap { $0["events"] as? Int }
        #expect(counts.count >= 4, "a snapshot as the record grew: \(counts)")
        #expect(counts == counts.sorted(), "\(counts)")
        #expect(counts.last == (try lab.store().events(of: id).count), "the last snapshot is the whole record")
        let steps = Set(snapshots.compactMap { $0["step"] as? String })
        #expect(steps.count >= 2, "the step moved on between snapshots: \(steps)")
        let timeline = (snapshots.last?["timeline"] as? [String]) ?? []
        #expect(timeline.contains { $0.contains("resumed by pid") }, "\(timeline)")
        #expect(timeline.contains { $0.contains("drill ended: completed") }, "\(timeline)")
        #expect(snapshots.last?["disasterWallMs"] != nil && snapshots.last?["rtoSeconds"] as? Double != nil)
    }

    @Test func anAdminManagesTokensFromThePageAndNobodyElseMay() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let admin = try await lab.token("ada", "admin")
        let operatorToken = try await lab.token("otto", "operator")
        try await lab.start()
        #expect(try await lab.get("/tokens", bearer: operatorToken).status == 403)
        let (cookie, _) = try await lab.login(admin)
        let page = try await lab.get("/tokens", cookie: cookie)
        #expect(page.status == 200 && page.body.contains("otto") && !page.body.contains(operatorToken), "never a secret")
        let csrf = try #require(ServeLab.csrf(in: page.body))
        let refused = try await lab.request(.POST, "/tokens", cookie: cookie, form: ["name": "bob", "role": "viewer"])
        #expect(refused.status == 403, "no CSRF token, no token made")
        let created = try await lab.request(.POST, "/tokens", cookie: cookie, form: ["name": "bob", "role": "viewer", "csrf": csrf])
        #expect(created.status == 200, "\(created.body)")
        let secret = try #require(created.body.range(of: "fdt_").map { String(created.body[$0.lowerBound...].prefix { $0 != "<" }) })
        #expect(try await lab.get("/", bearer: secret).status == 200)
        #expect(try await lab.request(.POST, "/tokens", cookie: cookie, form: ["name": "bob", "role": "viewer", "csrf": csrf]).status == 400,
                "a live name is not given twice")
        let listed = try await lab.firedrill(["token", "list"])
        #expect(listed.stdout.contains("bob") && !listed.stdout.contains(secret))
        let revoked = try await lab.request(.POST, "/tokens/revoke", cookie: cookie, form: ["name": "bob", "csrf": csrf])
        #expect(revoked.status == 200, "\(revoked.body)")
        #expect(try await lab.get("/", bearer: secret).status == 401)
    }

    /// A run the lists leave out (its first event gone) is still checked, and shown BROKEN.
    @Test func verifyShowsARunTheListsLeaveOutAsBroken() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        for _ in 0..<2 { #expect(try await lab.firedrill(["run", lab.scenarios + "/quick.yaml", "--quiet"]).status == 0) }
        let cut = try #require(try lab.store().runs(scenario: "quick").last?.id)
        try await DatabaseQueue(path: lab.db).write { db in
            try db.execute(sql: "DROP TRIGGER events_no_delete")
            try db.execute(sql: "DELETE FROM events WHERE run_id = ? AND seq = 1", arguments: [cut])
        }
        let viewer = try await lab.token("auditor", "viewer")
        try await lab.start()
        let page = try await lab.get("/verify", bearer: viewer)
        #expect(page.body.contains(cut) && page.body.contains("BROKEN") && !page.body.contains("Every chain intact"), "\(page.body)")
        #expect(try await lab.get("/verify?all=1", bearer: viewer).status == 403, "every run is an admin's to ask for")
    }

    /// A stream ends when its token is revoked, and a login posted from another site is refused uncounted.
    @Test func aRevokedTokensStreamEndsAndALoginFromElsewhereIsRefused() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        #expect(try await lab.firedrill(["run", lab.scenarios + "/manual.yaml", "--quiet"]).status == 4)
        let runID = try #require(try lab.store().runs(scenario: "manual").first?.id)
        let viewer = try await lab.token("watcher", "viewer")
        try await lab.start()
        let response = try await lab.client.execute(HTTPClientRequestBuilder.get("http://127.0.0.1:\(lab.port)/runs/\(runID)/events", bearer: viewer),
                                                    timeout: .seconds(60))
        #expect(try await lab.firedrill(["token", "revoke", "watcher"]).status == 0)
        let started = ContinuousClock.now
        var bytes = 0
        for try await chunk in response.body { bytes += chunk.readableBytes }
        #expect(bytes > 0 && ContinuousClock.now - started < .seconds(30), "the stream of a revoked token ended")
        for _ in 0..<8 {
            let reply = try await lab.request(.POST, "/login", form: ["token": "fdt_x"], headers: [("Origin", "http://evil.example")])
            #expect(reply.status == 403)
        }
        let other = try await lab.token("other", "viewer")
        let (cookie, reply) = try await lab.login(other)
        #expect(reply.status == 303 && cookie != nil, "refused logins from elsewhere were not counted against this address")
    }

    @Test func failedLoginsFromAnAddressAreSlowedDown() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let token = try await lab.token("admin", "admin")
        try await lab.start()
        for attempt in 1...5 {
            let (_, reply) = try await lab.login("fdt_guess\(attempt)")
            #expect(reply.status == 401)
        }
        let (cookie, slowed) = try await lab.login(token)
        #expect(slowed.status == 429, "even the right token waits its turn: \(slowed.body)")
        #expect(cookie == nil)
        #expect(Int(slowed.headers["Retry-After"].first ?? "") ?? 0 >= 1)
        try await Task.sleep(for: .milliseconds(1200))
        let (later, reply) = try await lab.login(token)
        #expect(reply.status == 303 && later != nil, "after the wait: \(reply.status) \(reply.body)")
    }

    @Test func whatPeopleWroteIsShownAsTextAndAWideBindIsWarnedAbout() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let drilled = try await lab.firedrill(["run", lab.scenarios + "/quick.yaml", "--quiet"])
        #expect(drilled.status == 0)
        let runID = try #require(try lab.store().runs(scenario: "quick").first?.id)
        let added = try await lab.firedrill(["actions", "add", runID, "--title", "<script>alert(1)</script>", "--owner", "\"><img src=x>", "--due", "2027-01-31"])
        #expect(added.status == 0, "\(added.output)")
        let viewer = try await lab.token("v", "viewer")
        try await lab.start()
        let page = try await lab.get("/actions?state=open&scenario=quick", bearer: viewer)
        #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.body.contains("<script>alert(1)"), "\(page.body)")
        #expect(page.body.contains("&quot;&gt;&lt;img src=x&gt;"))
        #expect(page.body.contains("1 of 1 item"))
        let none = try await lab.get("/actions?state=closed", bearer: viewer)
        #expect(none.body.contains("0 of 1 item"))
        await lab.stop()
        let wide = try FiredrillProcess.Running(["serve", lab.scenarios, "--listen", "0.0.0.0:\(try LoopbackPort.free())", "--db", lab.db], directory: lab.dir)
        try await Task.sleep(for: .milliseconds(1500))
        kill(wide.pid, SIGTERM)
        let said = await wide.wait()
        #expect(said.stderr.contains("warning: serving plain HTTP on 0.0.0.0"), "\(said.output)")
    }
}
