import AsyncHTTPClient
import FiredrillPostgres
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import NIOCore
import NIOHTTP1

/// A record with drills in it, and `firedrill serve` on it as a real process on 127.0.0.1, with
/// an HTTP client that follows no redirect (so a test sees each 303 and its cookie).
final class ServeLab: @unchecked Sendable {
    let dir: String
    /// The record: a SQLite file in the lab's folder, or a PostgreSQL URL.
    let db: String
    var scenarios: String { dir + "/scenarios" }
    private(set) var port = 0
    private(set) var server: FiredrillProcess.Running?
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    init(database: String? = nil) throws {
        dir = try temporaryFolder("firedrill-serve")
        db = database ?? dir + "/record.db"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        try """
            firedrill: 1
            name: quick
            title: A quick drill
            schedule: monthly
            objectives: {rto: 30s}
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
                  - {name: wait, sleep: 50ms}
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: scenarios + "/quick.yaml", atomically: true, encoding: .utf8)
        try """
            firedrill: 1
            name: manual
            title: A drill with a person in it
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
                  - name: declare
                    manual: Declare the disaster in the incident channel.
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: scenarios + "/manual.yaml", atomically: true, encoding: .utf8)
        try """
            firedrill: 1
            name: slow
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
                  - {name: one, sleep: 400ms}
                  - {name: two, sleep: 400ms}
                  - {name: three, sleep: 400ms}
                  - {name: four, sleep: 400ms}
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: scenarios + "/slow.yaml", atomically: true, encoding: .utf8)
        try """
            firedrill: 1
            name: long
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
                  - {name: wait a while, sleep: 60s}
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: scenarios + "/long.yaml", atomically: true, encoding: .utf8)
    }

    func firedrill(_ arguments: [String]) async throws -> FiredrillProcess.Finished {
        try await FiredrillProcess.run(arguments + ["--db", db], directory: dir)
    }

    /// A new token's secret, printed once by `firedrill token create`.
    func token(_ name: String, _ role: String) async throws -> String {
        let created = try await firedrill(["token", "create", "--name", name, "--role", role])
        guard created.status == 0, let secret = created.stdout.split(separator: "\n").first.map(String.init), secret.hasPrefix("fdt_") else {
            throw LabError("token create failed: \(created.output)")
        }
        return secret
    }

    /// Starts `firedrill serve` and waits until it answers.
    func start(_ extra: [String] = []) async throws {
        port = try LoopbackPort.free()
        server = try FiredrillProcess.Running(["serve", scenarios, "--listen", "127.0.0.1:\(port)", "--db", db] + extra, directory: dir)
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            if let reply = try? await get("/healthz"), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError("firedrill serve did not answer on 127.0.0.1:\(port): \(await stop()?.output ?? "")")
    }

    @discardableResult
    func stop() async -> FiredrillProcess.Finished? {
        guard let server else { return nil }
        kill(server.pid, SIGTERM)
        self.server = nil
        return await server.wait()
    }

    func request(_ method: HTTPMethod, _ path: String, bearer: String? = nil, cookie: String? = nil, form: [String: String]? = nil,
                 headers extra: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let form {
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    func get(_ path: String, bearer: String? = nil, cookie: String? = nil) async throws -> Reply {
        try await request(.GET, path, bearer: bearer, cookie: cookie)
    }

    /// Logs in with `token`: the session cookie as a `Cookie` header value, and the reply.
    func login(_ token: String) async throws -> (cookie: String?, reply: Reply) {
        let reply = try await request(.POST, "/login", form: ["token": token])
        let cookie = reply.headers["Set-Cookie"].first?.split(separator: ";").first.map(String.init)
        return (cookie, reply)
    }

    /// The CSRF token of the forms on a page.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    func store() throws -> any DrillStore {
        PostgresLocation.isURL(db) ? try PostgresStore(url: db) : try SQLiteStore(path: db)
    }

    func remove() async {
        await stop()
        try? await client.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum HTTPClientRequestBuilder {
    static func get(_ url: String, bearer: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        return request
    }
}
