import FiredrillCore
@testable import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

@Suite("HTTPDriver against a real HTTP server on 127.0.0.1")
struct HTTPDriverTests {
    let driver = HTTPDriver()
    let limits = DriverLimits()

    @Test func okIsAcceptedByDefault() async throws {
        try await DriverTestHTTPServer.with { base in
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/ok")), deadline: .none, limits: limits)
            #expect(report.verdict == .passed)
            #expect(report.summary == "HTTP 200 OK")
            #expect(report.httpStatus == 200)
            #expect(report.stdout?.text == "all systems ready")
        }
    }

    @Test func serverErrorIsRejectedByDefault() async throws {
        try await DriverTestHTTPServer.with { base in
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/status/503")), deadline: .none, limits: limits)
            #expect(report.verdict == .failed)
            #expect(report.summary == "HTTP 503 Service Unavailable, expected 2xx")
            #expect(report.httpStatus == 503)
            #expect(report.stdout?.text == "status 503")
        }
    }

    @Test func statusListAcceptsExactlyItsCodes() async throws {
        try await DriverTestHTTPServer.with { base in
            let expectingOutage = ResolvedHTTP(method: "GET", url: base + "/status/503", status: [503])
            let outage = await driver.perform(.http(expectingOutage), deadline: .none, limits: limits)
            #expect(outage.verdict == .passed)
            #expect(outage.summary == "HTTP 503 Service Unavailable")

            let list = ResolvedHTTP(method: "GET", url: base + "/status/404", status: [200, 204])
            let rejected = await driver.perform(.http(list), deadline: .none, limits: limits)
            #expect(rejected.verdict == .failed)
            #expect(rejected.summary == "HTTP 404 Not Found, expected 200 or 204")

            let okNotListed = ResolvedHTTP(method: "GET", url: base + "/ok", status: [201])
            #expect(await driver.perform(.http(okNotListed), deadline: .none, limits: limits).verdict == .failed)
        }
    }

    @Test func bodyContainsIsChecked() async throws {
        try await DriverTestHTTPServer.with { base in
            let present = ResolvedHTTP(method: "GET", url: base + "/ok", bodyContains: "systems ready")
            #expect(await driver.perform(.http(present), deadline: .none, limits: limits).verdict == .passed)

            let absent = ResolvedHTTP(method: "GET", url: base + "/ok", bodyContains: "degraded")
            let report = await driver.perform(.http(absent), deadline: .none, limits: limits)
            #expect(report.verdict == .failed)
            #expect(report.summary == "HTTP 200 OK, but the body does not contain \"degraded\"")
            #expect(report.httpStatus == 200)
        }
    }

    @Test func postSendsBodyAndHeaders() async throws {
        try await DriverTestHTTPServer.with { base in
            let http = ResolvedHTTP(
                method: "POST", url: base + "/echo",
                headers: [.init(name: "X-Drill", value: "restore-42"), .init(name: "Content-Type", value: "application/json")],
                body: #"{"restore":"now"}"#, bodyContains: "restore-42")
            let report = await driver.perform(.http(http), deadline: .none, limits: limits)
            #expect(report.verdict == .passed)
            #expect(report.stdout?.text == #"POST x-drill=restore-42 type=application/json body={"restore":"now"}"#)
        }
    }

    @Test func credentialsInTheURLAreSentAsBasicAuth() async throws {
        try await DriverTestHTTPServer.with { base in
            let url = base.replacingOccurrences(of: "http://", with: "http://drill:p%40ss@") + "/whoami"
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: url)), deadline: .none, limits: limits)
            #expect(report.stdout?.text == "Basic " + Data("drill:p@ss".utf8).base64EncodedString(), "\(report.summary)")
        }
    }

    @Test func bodyIsCapturedWithinTheBound() async throws {
        try await DriverTestHTTPServer.with { base in
            let report = await driver.perform(
                .http(ResolvedHTTP(method: "GET", url: base + "/big")), deadline: .none, limits: DriverLimits(outputBytes: 1000))
            #expect(report.verdict == .passed)
            #expect(report.stdout?.keptBytes == 1000)
            #expect(report.stdout?.totalBytes == 100_000)
            #expect(report.stdout?.truncated == true)
        }
    }

    @Test func slowEndpointExceedingTheStepTimeoutFails() async throws {
        try await DriverTestHTTPServer.with { base in
            let http = ResolvedHTTP(method: "GET", url: base + "/slow", timeout: .milliseconds(500))
            let started = ContinuousClock.now
            let report = await driver.perform(.http(http), deadline: .none, limits: limits)
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(report.verdict == .failed)
            #expect(report.summary == "timed out after 0.5s")
            #expect(report.httpStatus == nil)
        }
    }

    @Test func slowEndpointPastTheDeadlineTimesOut() async throws {
        try await DriverTestHTTPServer.with { base in
            let http = ResolvedHTTP(method: "GET", url: base + "/slow")
            let report = await driver.perform(.http(http), deadline: DriverTestSupport.deadline(in: .milliseconds(500)), limits: limits)
            #expect(report.verdict == .timedOut)
        }
    }

    @Test func cancellationStopsTheRequest() async throws {
        try await DriverTestHTTPServer.with { base in
            let driver = driver
            let limits = limits
            let task = Task {
                await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/slow")), deadline: .none, limits: limits)
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let report = await task.value
            #expect(report.verdict == .cancelled)
        }
    }

    @Test func closedPortIsRefused() async {
        // Nothing listens on port 1, and binding it needs root.
        let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: "http://127.0.0.1:1/health")), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "connection refused by 127.0.0.1:1")
        #expect(report.httpStatus == nil)
    }

    /// URLSession reported an answer that is not HTTP as an "unsupported URL" (curl's
    /// unsupported protocol): the URL was fine, the answer was not.
    @Test func anAnswerThatIsNotHTTPIsSaidSo() async throws {
        let server = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            connection.write("SSH-2.0-OpenSSH_9.2\r\n\u{01}\u{02} garbage \u{7f}\r\n\r\n")
        }
        defer { server.stop() }
        let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: server.base + "/health")), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "the server's answer was not HTTP (from 127.0.0.1:\(server.port))", "\(report.summary)")
        #expect(report.httpStatus == nil)
    }

    /// Headers without end are cut off by the parser, not collected.
    @Test func endlessHeadersAreRefused() async throws {
        let server = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            guard connection.write("HTTP/1.1 200 OK\r\nX-Flood: ") else { return }
            let line = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
            for _ in 0..<1024 where !connection.isStopped { if !connection.write(line) { return } }
        }
        defer { server.stop() }
        let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: server.base + "/", timeout: .seconds(20))),
                                          deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "the server's answer was not HTTP: its headers ran past the limit (from 127.0.0.1:\(server.port))",
                "\(report.summary)")
    }

    /// A server trickling a byte at a time keeps every read alive; the request's own bound still holds.
    @Test func aTricklingServerTimesOutOnTheRequestBound() async throws {
        let server = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n") else { return }
            for _ in 0..<1000 where !connection.isStopped {
                if !connection.write("x") { return }
                usleep(100_000)
            }
        }
        defer { server.stop() }
        let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: server.base + "/", timeout: .seconds(1))),
                                          deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "timed out after 1.0s", "\(report.summary)")
    }

    /// https to a server speaking plain HTTP: the handshake fails, and says so.
    @Test func aFailedTLSHandshakeIsSaidSo() async throws {
        try await DriverTestHTTPServer.with { base in
            let url = base.replacingOccurrences(of: "http://", with: "https://") + "/ok"
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: url, timeout: .seconds(10))), deadline: .none, limits: limits)
            #expect(report.verdict == .failed)
            #expect(report.summary.hasPrefix("TLS handshake with 127.0.0.1:"), "\(report.summary)")
            #expect(report.summary.hasSuffix(" failed: wrong version number"), "\(report.summary)")
        }
    }

    @Test func malformedURLIsAnError() async {
        let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: "ftp://127.0.0.1/file")), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
    }
}

/// A Hummingbird server on 127.0.0.1 and a free port, for one test.
enum DriverTestHTTPServer {
    static func with(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.get("ok") { _, _ in "all systems ready" }
        router.get("status/{code}") { _, context -> Response in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.post("echo") { request, _ -> String in
            let body = try await request.body.collect(upTo: 1 << 20)
            let drill = request.headers.first { $0.name.canonicalName == "x-drill" }?.value ?? "-"
            let type = request.headers.first { $0.name.canonicalName == "content-type" }?.value ?? "-"
            return "\(request.method.rawValue) x-drill=\(drill) type=\(type) body=\(String(buffer: body))"
        }
        router.get("big") { _, _ in String(repeating: "x", count: 100_000) }
        router.get("whoami") { request, _ -> String in
            request.headers.first { $0.name.canonicalName == "authorization" }?.value ?? "-"
        }
        let slow = DriverTestSlowRequests()
        router.get("slow") { _, _ -> String in
            await slow.wait(upTo: .seconds(3))
            return "late"
        }

        // Stopping the server under a request still being handled crashes inside NIO
        // ("Deinited NIOAsyncWriter without calling finish()"): let slow handlers finish first.
        try await DriverTestSupport.serving(router, beforeStop: { await slow.releaseAll() }, body)
    }
}

/// Handlers of `/slow` requests: they wait until released (or a time limit), so the server can
/// be stopped with no request in flight.
final class DriverTestSlowRequests: Sendable {
    private let state = Mutex((released: false, inFlight: 0))

    func wait(upTo limit: Duration) async {
        state.withLock { $0.inFlight += 1 }
        defer { state.withLock { $0.inFlight -= 1 } }
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end, !state.withLock({ $0.released }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func releaseAll() async {
        state.withLock { $0.released = true }
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, state.withLock({ $0.inFlight }) > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Give the released handlers' responses a moment to be written.
        try? await Task.sleep(for: .milliseconds(50))
    }
}
