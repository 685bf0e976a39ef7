import FiredrillCore
import FiredrillReports
import FiredrillRuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A request's context, with the address it came from (for slowing down failed logins).
struct ServeContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// `firedrill serve`'s routes: pages from the record for viewers, confirm and abort for operators,
/// `/metrics` for Prometheus. Every route but `/login` and `/healthz` needs a live token, by a
/// session cookie (HttpOnly, SameSite=Strict) or an `Authorization: Bearer` header; every form
/// that changes something carries its session's CSRF token.
struct DrillServer: Sendable {
    let worker: StoreWorker
    /// Token lookups on a connection of their own: a long page (a verify, a big run's replay) does
    /// not keep people from logging in, or an operator's confirm from being checked.
    let auth: StoreWorker
    /// Scenario files and folders, read again for each overview (a file may change while serving).
    let scenarioPaths: [String]
    /// The record as given (`--db` or FIREDRILL_DB), handed to `firedrill confirm` and `abort`.
    let database: String
    let sessions = ServeSessions()
    let secureCookies: Bool
    /// Where the output of the confirm and abort processes goes.
    let childLogs: String
    let firedrill: String
    let streams = Slots(limit: 64)
    /// PDFs are printed one at a time.
    let printing = Slots(limit: 1)

    static let cookie = "firedrill_session"

    // MARK: - Routes

    func router() -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        router.middlewares.add(SecuredResponses())
        router.get("healthz") { _, _ in Self.text(.ok, "ok\n") }
        router.get("login") { _, _ in Self.html(.ok, ServePages.login(failed: nil)) }
        router.post("login") { request, context in try await login(request, context) }
        router.post("logout") { request, context in try await logout(request, context) }
        router.get("") { request, context in
            try await page(request, context, needs: .viewer) { viewer in
                let overview = try await overview()
                return Self.html(.ok, ServePages.overview(overview, viewer: viewer))
            }
        }
        router.get("actions") { request, context in
            try await page(request, context, needs: .viewer) { viewer in
                let query = request.uri.queryParameters
                let filter = ServePages.ItemFilter(state: query["state"].map(String.init), scenario: query["scenario"].map(String.init),
                                                   owner: query["owner"].map(String.init))
                let items = try await worker.run { try $0.actionItems() }
                return Self.html(.ok, ServePages.actions(items, filter: filter, today: Self.today(), viewer: viewer))
            }
        }
        router.get("verify") { request, context in
            // The newest runs by default (every run of a large record is replayed, on the one store
            // worker), and always every run the lists leave out: a run cut or replaced is shown BROKEN.
            let every = request.uri.queryParameters["all"] == "1"
            return try await page(request, context, needs: every ? .admin : .viewer) { viewer in
                let (check, rows) = try await worker.run { store in
                    let summaries = try chainedSummaries(scenario: nil, in: store)
                    let listed = Set(summaries.map(\.id))
                    let leftOut = try store.chainedRunIDs().filter { !listed.contains($0) }
                    let shown = every ? summaries : Array(summaries.prefix(ServePages.verifiedByDefault))
                    let ids = every ? try store.chainedRunIDs() : shown.map(\.id) + leftOut
                    let rows = leftOut.map { (id: $0, scenario: "?") } + shown.map { (id: $0.id, scenario: $0.scenario) }
                    return (try VerifyCommand.check(store, ids: ids, everyRun: every, key: nil, heads: []), rows)
                }
                return Self.html(.ok, ServePages.verify(check, runs: rows, every: every, viewer: viewer))
            }
        }
        router.get("metrics") { request, context in
            try await page(request, context, needs: .viewer) { _ in
                let text = DrillMetrics.text(try await overview())
                var response = Self.text(.ok, text)
                response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return response
            }
        }
        router.get("scenarios/:name/trend") { request, context in
            try await page(request, context, needs: .viewer) { _ in
                let name = try context.parameters.require("name")
                let html = try await worker.run { store -> String? in
                    let trend = try Report.trend(scenario: name, store: store, asOf: Self.today(), renderedAt: nil)
                    return trend.scenarios.isEmpty ? nil : try ReportRenderer.render(trend, as: .html, template: nil)
                }
                guard let html else { return Self.html(.notFound, ServePages.page("No runs", viewer: nil, body: "<p>No runs of this scenario.</p>")) }
                return Self.report(html)
            }
        }
        router.get("runs/:id") { request, context in
            try await page(request, context, needs: .viewer) { viewer in
                let (summary, snapshot) = try await runState(try context.parameters.require("id"))
                return Self.html(.ok, ServePages.run(summary, snapshot: snapshot, viewer: viewer))
            }
        }
        router.get("runs/:id/live") { request, context in
            try await page(request, context, needs: .viewer) { viewer in
                let (_, snapshot) = try await runState(try context.parameters.require("id"))
                let nonce = ServeSessions.random()
                var response = Self.html(.ok, ServePages.live(snapshot, viewer: viewer, nonce: nonce))
                response.headers[.contentSecurityPolicy] = Self.policy + "; script-src 'nonce-\(nonce)'; connect-src 'self'"
                return response
            }
        }
        router.get("runs/:id/events") { request, context in
            try await page(request, context, needs: .viewer) { _ in
                try await events(try context.parameters.require("id"), credential: credential(of: request))
            }
        }
        for format in ["html", "json", "md", "pdf"] {
            router.get("runs/:id/report.\(format)") { request, context in
                try await page(request, context, needs: .viewer) { _ in try await report(try context.parameters.require("id"), format: format) }
            }
        }
        router.get("runs/:id/bundle") { request, context in
            try await page(request, context, needs: .viewer) { _ in
                let id = try context.parameters.require("id")
                let (runID, data) = try await worker.run { store in
                    let run = try findRun(id, in: store)
                    return (run.id, try EvidenceBundle.export([run.id], from: store, signer: nil, wallNs: SystemClock().now().wallNs).encoded())
                }
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
                response.headers[.contentType] = "application/json"
                response.headers[.contentDisposition] = "attachment; filename=\"firedrill-\(pathComponent(runID)).bundle.json\""
                return Self.secured(response)
            }
        }
        router.post("runs/:id/confirm") { request, context in
            try await action(request, context) { viewer, form, runID in
                // `--by=NAME`: a value that begins with a dash stays a value.
                // Options as `--by=NAME` (a value that begins with a dash stays a value), the run after `--`.
                var arguments = ["confirm", "--by=\(viewer.name)", "--quiet"]
                if let note = form["note"], !note.isEmpty { arguments.append("--note=\(note)") }
                return arguments + ["--", runID]
            }
        }
        router.post("runs/:id/abort") { request, context in
            try await action(request, context) { viewer, form, runID in
                guard let reason = form["reason"], !reason.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
                return ["abort", "--by=\(viewer.name)", "--reason=\(reason)", "--quiet", "--", runID]
            }
        }
        router.get("tokens") { request, context in
            try await page(request, context, needs: .admin) { viewer in
                let tokens = try await worker.run { try $0.tokens() }
                return Self.html(.ok, ServePages.tokens(tokens, created: nil, said: nil, viewer: viewer))
            }
        }
        router.post("tokens") { request, context in
            try await tokenForm(request, context) { form in
                let name = form["name"] ?? ""
                guard let role = AccessRole(rawValue: form["role"] ?? "") else { return (nil, "the role must be viewer, operator or admin") }
                if let problem = AccessToken.nameProblem(name) { return (nil, problem) }
                let secret = TokenSecret.generate()
                do {
                    _ = try await worker.run { try $0.createToken(name: name, role: role, hash: TokenSecret.hash(secret), wallNs: SystemClock().now().wallNs) }
                } catch { return (nil, "\(error)") }
                return ((name, secret), nil)
            }
        }
        router.post("tokens/revoke") { request, context in
            try await tokenForm(request, context) { form in
                let name = form["name"] ?? ""
                let revoked = try await worker.run { try $0.revokeToken(name: name, wallNs: SystemClock().now().wallNs) }
                return (nil, revoked ? nil : "no live token is named \(name)")
            }
        }
        return router
    }

    /// An admin's token form: the role and the CSRF token checked, then the tokens page again with what was done.
    func tokenForm(_ request: Request, _ context: ServeContext,
                   _ body: ([String: String]) async throws -> ((name: String, secret: String)?, String?)) async throws -> Response {
        let posted = try await post(request, context, needs: .admin)
        guard case .allowed(let viewer, let form, _) = posted else { return posted.refusal! }
        let (created, said) = try await body(form)
        let tokens = try await worker.run { try $0.tokens() }
        return Self.html(said == nil ? .ok : .badRequest, ServePages.tokens(tokens, created: created, said: said, viewer: viewer))
    }

    // MARK: - Who may

    enum Access {
        case allowed(ServePages.Viewer, session: ServeSessions.Session?)
        case denied(Response)
    }

    func address(_ context: ServeContext) -> String { context.remoteAddress?.ipAddress ?? "unknown" }

    /// The person behind the request's token, if it is live and its role allows `needs`.
    func access(_ request: Request, _ context: ServeContext, needs: AccessRole) async throws -> Access {
        let now = ContinuousClock.now
        let from = address(context)
        if let authorization = request.headers[.authorization] {
            if let wait = await sessions.wait(for: from, now: now) { return .denied(Self.throttled(wait)) }
            guard authorization.hasPrefix("Bearer "), case let secret = String(authorization.dropFirst(7)),
                  let token = try await auth.run({ try $0.token(hash: TokenSecret.hash(secret)) }) else {
                await sessions.failed(from: from, now: now)
                var response = Self.text(.unauthorized, "unauthorized: the token is not valid, or was revoked\n")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"firedrill\""
                return .denied(response)
            }
            await sessions.succeeded(from: from)
            guard token.role.allows(needs) else { return .denied(Self.text(.forbidden, "forbidden: this needs the \(needs.rawValue) role; \(token.name) is a \(token.role.rawValue)\n")) }
            return .allowed(ServePages.Viewer(name: token.name, role: token.role, csrf: nil), session: nil)
        }
        guard let id = request.cookies[Self.cookie]?.value, let session = await sessions.session(id, now: now) else {
            return .denied(Self.redirect("/login"))
        }
        guard let token = try await auth.run({ try $0.token(hash: session.tokenHash) }) else {
            await sessions.close(id)
            return .denied(Self.html(.unauthorized, ServePages.login(failed: "Your token was revoked; log in with another.")))
        }
        let viewer = ServePages.Viewer(name: token.name, role: token.role, csrf: session.csrf)
        guard token.role.allows(needs) else {
            return .denied(Self.html(.forbidden, ServePages.page("Not allowed", viewer: viewer,
                body: "<p>This needs the \(needs.rawValue) role; \(HTML.escape(token.name)) is a \(token.role.rawValue).</p>")))
        }
        return .allowed(viewer, session: session)
    }

    func page(_ request: Request, _ context: ServeContext, needs: AccessRole,
              _ body: (ServePages.Viewer) async throws -> Response) async throws -> Response {
        switch try await access(request, context, needs: needs) {
        case .denied(let response): return response
        case .allowed(let viewer, _):
            do { return try await body(viewer) } catch let failure as CommandFailure {
                return Self.html(.notFound, ServePages.page("Not found", viewer: viewer, body: "<p>\(HTML.escape(failure.message))</p>"))
            }
        }
    }

    /// A POST from a page of another site (its `Origin` not this server's) is refused before anything else:
    /// no CSRF token is needed to see that, and a login from elsewhere would count as a failure here.
    static func foreignOrigin(_ request: Request) -> Response? {
        guard let origin = request.headers[.origin], let host = request.head.authority,
              origin != "http://\(host)", origin != "https://\(host)" else { return nil }
        return text(.forbidden, "forbidden: the request came from another origin (\(origin))\n")
    }

    func login(_ request: Request, _ context: ServeContext) async throws -> Response {
        if let refused = Self.foreignOrigin(request) { return refused }
        let now = ContinuousClock.now
        let from = address(context)
        if let wait = await sessions.wait(for: from, now: now) { return Self.throttled(wait) }
        let form = try await Self.form(request)
        let hash = TokenSecret.hash(form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        guard try await auth.run({ try $0.token(hash: hash) }) != nil else {
            await sessions.failed(from: from, now: now)
            return Self.html(.unauthorized, ServePages.login(failed: "That token is not valid, or was revoked."))
        }
        await sessions.succeeded(from: from)
        let session = await sessions.open(tokenHash: hash, now: now)
        var response = Self.redirect("/")
        response.setCookie(Cookie(name: Self.cookie, value: session.id, maxAge: Int(ServeSessions.lifetime.components.seconds), path: "/",
                                  secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// A POST that may change something, as every form's is checked: the same origin, a live
    /// token whose role allows it, and (for a session) the form's CSRF token.
    enum Posted {
        case allowed(ServePages.Viewer, form: [String: String], session: ServeSessions.Session?)
        case refused(Response)

        var refusal: Response? { if case .refused(let response) = self { response } else { nil } }
    }

    func post(_ request: Request, _ context: ServeContext, needs: AccessRole) async throws -> Posted {
        if let refused = Self.foreignOrigin(request) { return .refused(refused) }
        let access = try await access(request, context, needs: needs)
        guard case .allowed(let viewer, let session) = access else {
            if case .denied(let response) = access { return .refused(response) }
            return .refused(Self.redirect("/login"))
        }
        let form = try await Self.form(request)
        if let session, !constantTimeEqual(form["csrf"] ?? "", session.csrf) {
            return .refused(Self.text(.forbidden, "forbidden: the form's CSRF token does not match\n"))
        }
        return .allowed(viewer, form: form, session: session)
    }

    func logout(_ request: Request, _ context: ServeContext) async throws -> Response {
        let posted = try await post(request, context, needs: .viewer)
        guard case .allowed(_, _, let session?) = posted else { return posted.refusal ?? Self.redirect("/login") }
        await sessions.close(session.id)
        var response = Self.redirect("/login")
        response.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// A state-changing form: the operator role, the session's CSRF token (or a bearer token), a
    /// same-origin request; then `firedrill confirm` or `abort` as a process of its own, so the
    /// record holds exactly what the command records, and a run that stopped waiting is carried on.
    func action(_ request: Request, _ context: ServeContext,
                _ arguments: @Sendable (ServePages.Viewer, [String: String], String) -> [String]?) async throws -> Response {
        let posted = try await post(request, context, needs: .operator)
        guard case .allowed(let viewer, let form, _) = posted else { return posted.refusal! }
        let id = try context.parameters.require("id")
        let runID: String
        do { runID = try await worker.run { try findRun(id, in: $0).id } } catch let failure as CommandFailure {
            return Self.html(.notFound, ServePages.page("Not found", viewer: viewer, body: "<p>\(HTML.escape(failure.message))</p>"))
        }
        guard let argv = arguments(viewer, form, runID) else {
            return Self.html(.badRequest, ServePages.page("Not done", viewer: viewer, body: "<p>An abort needs a reason.</p>"))
        }
        // A confirm names the step its page showed: a resubmitted form, or a second operator's,
        // does not confirm the next manual step, which nobody on that page has read.
        if argv[0] == "confirm" {
            let waiting = try await worker.run { store in try replayed(runID, in: store).2.awaitingOperator?.ref.description }
            guard let waiting, waiting == form["step"] else {
                return Self.html(.conflict, ServePages.page("Not confirmed", viewer: viewer, body: """
                    <p>Run \(HTML.escape(runID)) no longer waits on the step this form was for\(waiting == nil ? "" : ": it waits on another one"). Nothing was recorded.</p>
                    <p><a href="/runs/\(HTML.url(runID))/live">See where it stands</a></p>
                    """))
            }
        }
        let outcome = try await OperatorProcess.start(firedrill: firedrill, arguments: argv, database: database, logs: childLogs)
        let body = """
            <p>\(HTML.escape(outcome.said))</p><pre>\(HTML.escape(outcome.output))</pre>
            <p><a href="/runs/\(HTML.url(runID))/live">Follow the run live</a></p>
            """
        return Self.html(outcome.exitStatus.map { [0, 1, 3, 4, 5].contains($0) } ?? true ? .ok : .conflict,
                         ServePages.page("\(argv[0].capitalized) of run \(runID)", viewer: viewer, body: body))
    }

    /// What a request showed who it is by, to look again later (a stream re-checks it).
    enum Credential: Sendable {
        case bearer(hash: String)
        case session(id: String)
        case none
    }

    func credential(of request: Request) -> Credential {
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") {
            return .bearer(hash: TokenSecret.hash(String(authorization.dropFirst(7))))
        }
        if let id = request.cookies[Self.cookie]?.value { return .session(id: id) }
        return .none
    }

    func stillAllowed(_ credential: Credential) async throws -> Bool {
        switch credential {
        case .bearer(let hash): return try await auth.run { try $0.token(hash: hash) } != nil
        case .session(let id):
            guard let session = await sessions.session(id, now: .now) else { return false }
            return try await auth.run { try $0.token(hash: session.tokenHash) } != nil
        case .none: return false
        }
    }

    // MARK: - Reading the record

    func overview() async throws -> DrillOverview {
        let paths = scenarioPaths
        let (scenarios, _) = ScenarioFiles.load(paths)
        let now = SystemClock().now().wallNs
        return try await worker.run { store in try DrillOverview.load(files: scenarios, store: store, nowWallNs: now) }
    }

    func runState(_ id: String) async throws -> (RunSummary, LiveSnapshot) {
        try await worker.run { store in
            let run = try findRun(id, in: store)
            let events = try store.events(of: run.id)
            let evidence = try RunEvidence(run: run, events: events)
            return (RunSummary(evidence), LiveSnapshot.of(evidence, events: events))
        }
    }

    func report(_ id: String, format: String) async throws -> Response {
        guard let kind = ReportRenderer.Format(rawValue: format) else { return Self.text(.notFound, "no such format\n") }
        let (runID, text, endedAt) = try await worker.run { store in
            let run = try findRun(id, in: store)
            let (report, chained) = try Report.build(run, store: store, renderedAt: nil, asOf: Self.today(), signOff: SignOffNames())
            // A PDF is printed from the HTML.
            return (chained.id, try ReportRenderer.render(report, as: kind == .pdf ? .html : kind, template: nil),
                    chained.endedWallNs ?? chained.startedWallNs)
        }
        switch kind {
        case .html:
            return Self.report(text)
        case .pdf:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-serve-pdf-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/report.pdf"
            // The printer blocks for seconds: on a thread of its own, one at a time, never on the pool.
            guard let slot = Slots.Slot(printing) else { return Self.text(.serviceUnavailable, "a PDF is being printed; try again in a moment\n") }
            defer { withExtendedLifetime(slot) {} }
            do {
                try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                    Thread.detachNewThread { done.resume(with: Result { try PDFPrinter.print(html: text, to: path, datedAt: endedAt) }) }
                }
            } catch {
                FileHandle.standardError.write(Data("firedrill serve: PDF of run \(runID) not printed: \(error)\n".utf8))
                return Self.text(.serviceUnavailable, "the PDF could not be printed here (the server's log says why); the HTML report prints from a browser\n")
            }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))))
            response.headers[.contentType] = "application/pdf"
            response.headers[.contentDisposition] = "attachment; filename=\"firedrill-\(pathComponent(runID)).pdf\""
            return Self.secured(response)
        default:
            var response = Self.text(.ok, text)
            response.headers[.contentType] = kind == .json ? "application/json" : "text/markdown; charset=utf-8"
            return response
        }
    }

    /// Server-Sent Events: a snapshot now, then one each time the run's record grows, looked for
    /// every 250 ms (the record may be written by a runner on another host); a comment every 15 s
    /// keeps proxies from closing a quiet stream.
    func events(_ id: String, credential: Credential) async throws -> Response {
        let runID = try await worker.run { try findRun(id, in: $0).id }
        guard let slot = Slots.Slot(streams) else { return Self.text(.serviceUnavailable, "too many live streams open; try again later\n") }
        let worker = worker, server = self
        let body = ResponseBody { writer in
            // The slot is the body's: given back when the stream ends, or if it never starts.
            _ = slot
            var seen = -1
            var quiet = ContinuousClock.now
            var checked = ContinuousClock.now
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(12 * 3600) {
                // A token revoked, or a session closed, ends its streams too.
                if ContinuousClock.now - checked > .seconds(5) {
                    guard try await server.stillAllowed(credential) else { break }
                    checked = .now
                }
                let count = try await worker.run { try $0.run(runID)?.eventCount ?? 0 }
                var pause = Duration.milliseconds(250)
                if count != seen {
                    let building = ContinuousClock.now
                    let snapshot = try await worker.run { store -> LiveSnapshot? in
                        guard let run = try store.run(runID) else { return nil }
                        return try LiveSnapshot.of(run, events: try store.events(of: runID))
                    }
                    guard let snapshot else { break }
                    let data = String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: snapshot\ndata: \(data)\n\n"))
                    seen = snapshot.events
                    quiet = .now
                    // A run over for good has nothing more to show.
                    if RunStatus(rawValue: snapshot.status)?.isFinal == true { break }
                    // A long run is replayed whole for each snapshot: the page waits twice as long as that took.
                    pause = max(pause, (ContinuousClock.now - building) * 2)
                } else if ContinuousClock.now - quiet > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quiet = .now
                }
                try await Task.sleep(for: pause)
            }
            try await writer.finish(nil)
        }
        var response = Response(status: .ok, body: body)
        response.headers[.contentType] = "text/event-stream"
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return response
    }

    // MARK: - Responses

    static let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"

    static func secured(_ response: Response) -> Response {
        var response = response
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = policy }
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return secured(response)
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/plain; charset=utf-8"
        return secured(response)
    }

    /// A report's own HTML, in a sandbox: no script of a team's template runs, nothing is fetched.
    static func report(_ html: String) -> Response {
        var response = Self.html(.ok, html)
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
        return response
    }

    static func redirect(_ location: String) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        return secured(response)
    }

    static func throttled(_ wait: Duration) -> Response {
        let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
        var response = text(.tooManyRequests, "too many failed logins from this address: try again in \(seconds) s\n")
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    static func today() -> String { ActionsCommand.day(of: SystemClock().now().wallNs) }

    /// An `application/x-www-form-urlencoded` body of at most 64 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 65_536)
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ part: Substring) -> String { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first else { continue }
            if fields[decoded(name)] == nil { fields[decoded(name)] = parts.count > 1 ? decoded(parts[1]) : "" }
        }
        return fields
    }
}

/// How many of a thing are under way (live streams, PDF printers), so a flood of them cannot exhaust the server.
final class Slots: @unchecked Sendable {
    let limit: Int
    private var open = 0
    private let lock = NSLock()
    init(limit: Int) { self.limit = limit }

    /// One place, given back when it is freed, however its work ends (or never starts).
    final class Slot: @unchecked Sendable {
        let count: Slots
        init?(_ count: Slots) {
            guard count.lock.withLock({ () -> Bool in
                guard count.open < count.limit else { return false }
                count.open += 1
                return true
            }) else { return nil }
            self.count = count
        }
        deinit { count.lock.withLock { count.open -= 1 } }
    }

}

/// Every response, the framework's own included (an unknown route, a body too large), carries the
/// headers `secured` sets; an error the pages did not expect is a 500 that says no more than that.
struct SecuredResponses<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return DrillServer.secured(try await next(request, context))
        } catch let error as HTTPError {
            return DrillServer.text(error.status, "\(error.status.code) \(error.status.reasonPhrase)\n")
        } catch {
            FileHandle.standardError.write(Data("firedrill serve: \(request.method) \(request.uri.path): \(error)\n".utf8))
            return DrillServer.text(.internalServerError, "internal error: the record could not be read (the server's log says why)\n")
        }
    }
}
