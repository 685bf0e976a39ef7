import AsyncHTTPClient
import FiredrillCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Performs `.http` probes and calls through AsyncHTTPClient, on NIO's event loops.
///
/// Not URLSession: on Linux it keeps a dispatch write source on the socket after the request is
/// sent, so waiting for an answer spun a core. Here a wait is an idle event loop, and the body
/// streams with backpressure: only what `HTTPBodyWindow` keeps stays in memory.
///
/// Every request gets a client of its own: no connection, cookie or credential carried from
/// one step to the next (and no cache: AsyncHTTPClient has none).
public struct HTTPDriver: Driver {
    /// The request timeout when the step sets none.
    public var defaultTimeout: DrillDuration

    public init(defaultTimeout: DrillDuration = .seconds(30)) {
        self.defaultTimeout = defaultTimeout
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let http = action.as(ResolvedHTTP.self) else {
            return DriverReport(verdict: .error, summary: "the HTTP driver cannot perform: \(action.summary)")
        }
        return await request(http, deadline: deadline.continuous, limits: limits)
    }

    public func request(_ http: ResolvedHTTP, deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        guard let url = URL(string: http.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty
        else {
            return DriverReport(verdict: .error, summary: "not an http(s) URL: \(http.url)")
        }
        if Task.isCancelled { return DriverReport(verdict: .cancelled, summary: "cancelled before sending") }

        // The step's own timeout failing is the probe saying no; the drill's deadline is a timeout.
        let stepTimeout = Duration.nanoseconds((http.timeout ?? defaultTimeout).nanoseconds)
        var timeout = stepTimeout
        var deadlineBound = false
        if let deadline {
            let left = deadline - .now
            if left <= .zero { return DriverReport(verdict: .timedOut, summary: "timed out before sending") }
            if left < stepTimeout {
                timeout = left
                deadlineBound = true
            }
        }

        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: http.method.uppercased())
        for header in http.headers { request.headers.add(name: header.name, value: header.value) }
        if let body = http.body { request.body = .bytes(ByteBuffer(string: body)) }
        // A URL's user:password becomes basic auth, as URLSession (curl) made it.
        if let user = url.user(percentEncoded: false), !http.headers.contains(where: { $0.name.lowercased() == "authorization" }) {
            request.setBasicAuth(username: user, password: url.password(percentEncoded: false) ?? "")
        }
        let window = HTTPBodyWindow(maxBody: http.maxBody ?? ByteSize.defaultMaxBody, keep: limits.outputBytes, needle: http.bodyContains)

        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                                configuration: Self.configuration(timeout: timeout))
        let headRequest = request.method == .HEAD
        let prepared = request
        let bound = timeout
        let outcome = await Self.race(timeout: bound) {
            try await Self.exchange(prepared, on: client, timeout: bound, window: window, isHead: headRequest)
        }
        // Closes the connection, also one a hostile server is still writing to.
        try? await client.shutdown()

        let target = url.port.map { "\(host):\($0)" } ?? host
        switch outcome {
        case .response(.complete(let status, let body)):
            return Self.judge(http, status: status, body: body)
        case .response(.passedLimit(let status, let body, let elapsed)):
            return Self.passedLimit(body, status: status, after: elapsed)
        case .response(.announcedOverLimit(let status, let body, let length)):
            return Self.announcedOverLimit(body, status: status, length: length)
        case _ where Task.isCancelled:
            return DriverReport(verdict: .cancelled, summary: "cancelled")
        case .failure(let error):
            if Self.isTimeout(error) { return timedOut(after: timeout, deadlineBound: deadlineBound) }
            if Self.isCancellation(error) { return DriverReport(verdict: .cancelled, summary: "cancelled") }
            let (verdict, summary) = Self.describe(error, target: target, host: host)
            return DriverReport(verdict: verdict, summary: summary)
        case .timedOut:
            return timedOut(after: timeout, deadlineBound: deadlineBound)
        }
    }

    private func timedOut(after timeout: Duration, deadlineBound: Bool) -> DriverReport {
        deadlineBound
            ? DriverReport(verdict: .timedOut, summary: "timed out after \(ProcessDriver.seconds(timeout)) (step deadline)")
            : DriverReport(verdict: .failed, summary: "timed out after \(ProcessDriver.seconds(timeout))")
    }

    // MARK: - Request plumbing

    static func configuration(timeout: Duration) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: amount(timeout), read: amount(timeout))
        configuration.redirectConfiguration = .follow(max: 10, allowCycles: false)
        // A refused connection is what a probe reports, at once, not retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Raw bytes: a compressed body could unpack past any limit before it was counted.
        configuration.decompression = .disabled
        return configuration
    }

    static func amount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(max(1_000_000, duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000))
    }

    /// What came back: a response judged on what `HTTPBodyWindow` kept.
    enum Exchange: Sendable {
        /// The whole body arrived, within its limit.
        case complete(status: Int, HTTPBodyWindow)
        /// The body passed its limit after `elapsed`; reading stopped there.
        case passedLimit(status: Int, HTTPBodyWindow, elapsed: Duration)
        /// Content-Length announced a body over the limit; none of it was read.
        case announcedOverLimit(status: Int, HTTPBodyWindow, length: Int)
    }

    /// Sends the request and reads the body chunk by chunk; the next chunk is read only once
    /// this one has been counted, so a fast server waits for us rather than filling memory.
    static func exchange(_ request: HTTPClientRequest, on client: HTTPClient, timeout: Duration, window: HTTPBodyWindow,
                         isHead: Bool) async throws -> Exchange {
        let started = ContinuousClock.now
        let response = try await client.execute(request, timeout: amount(timeout))
        let status = Int(response.status.code)
        var window = window
        if !isHead, let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > window.maxBody {
            return .announcedOverLimit(status: status, window, length: length)
        }
        for try await chunk in response.body {
            let more = chunk.withUnsafeReadableBytes { window.append($0) }
            if !more { return .passedLimit(status: status, window, elapsed: .now - started) }
        }
        return .complete(status: status, window)
    }

    enum Outcome: Sendable {
        case response(Exchange)
        case failure(any Error)
        case timedOut
    }

    /// Runs `send` against a timer, which is the real timeout: the client's own bound only the
    /// connect and each read, which a server trickling bytes could keep alive past the deadline.
    static func race(timeout: Duration, _ send: @escaping @Sendable () async throws -> Exchange) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return .response(try await send())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return nil }
                return .timedOut
            }
            var result: Outcome = .timedOut
            while let next = await group.next() {
                guard let next else { continue }
                result = next
                group.cancelAll()
                break
            }
            return result
        }
    }

    // MARK: - Verdicts

    static func judge(_ http: ResolvedHTTP, status: Int, body: HTTPBodyWindow) -> DriverReport {
        let statusLine = statusLine(status)
        var report = DriverReport(verdict: .passed, summary: statusLine, httpStatus: status, stdout: body.excerpt.captured)
        if !http.accepts(status: status) {
            report.verdict = .failed
            report.summary = "\(statusLine), expected \(expectation(http.status))"
        } else if let needle = http.bodyContains, !body.found {
            report.verdict = .failed
            report.summary = "\(statusLine), but the body does not contain \"\(needle)\""
        }
        return report
    }

    /// Whatever the status, a body past its limit fails: what a probe judges must arrive whole.
    static func passedLimit(_ body: HTTPBodyWindow, status: Int, after elapsed: Duration) -> DriverReport {
        DriverReport(verdict: .failed,
                     summary: "\(statusLine(status)), but the response body passed its \(ByteSize.describe(body.maxBody)) limit after \(ProcessDriver.seconds(elapsed)); stopped reading",
                     httpStatus: status, stdout: body.excerpt.captured)
    }

    static func announcedOverLimit(_ body: HTTPBodyWindow, status: Int, length: Int) -> DriverReport {
        DriverReport(verdict: .failed,
                     summary: "\(statusLine(status)), but the response body is \(ByteSize.describe(length)) (Content-Length), over its \(ByteSize.describe(body.maxBody)) limit; not read",
                     httpStatus: status, stdout: body.excerpt.captured)
    }

    static func statusLine(_ status: Int) -> String {
        "HTTP \(status)" + (reasonPhrase(status).map { " " + $0 } ?? "")
    }

    static func expectation(_ statuses: [Int]) -> String {
        statuses.isEmpty ? "2xx" : statuses.map(String.init).joined(separator: " or ")
    }

    static func isTimeout(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [.connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout].contains(error)
        }
        return TCPDriver.isTimeout(error)
    }

    static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? HTTPClientError) == .cancelled
    }

    /// What went wrong, in words; a refused, unreachable or broken server is the probe saying
    /// no (failed), a request that could not be made at all an error.
    static func describe(_ error: any Error, target: String, host: String) -> (DriverReport.Verdict, String) {
        if error is HTTPParserError {
            if case .headerOverflow = error as? HTTPParserError {
                return (.failed, "the server's answer was not HTTP: its headers ran past the limit (from \(target))")
            }
            return (.failed, "the server's answer was not HTTP (from \(target))")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed: return (.failed, "connection closed by \(target) before a complete answer")
            case .redirectLimitReached, .redirectCycleDetected: return (.failed, "too many redirects from \(target)")
            case .bodyLengthMismatch, .identityCodingIncorrectlyPresent:
                return (.failed, "bad response from \(target)")
            case .invalidURL, .emptyHost, .emptyScheme: return (.error, "not an http(s) URL for \(target)")
            default: return (.error, "request to \(target) failed: \(error)")
            }
        }
        if error is NIOSSLError || error is BoringSSLError {
            let text = String(describing: error)
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return (.failed, "untrusted TLS certificate from \(target)") }
            // BoringSSL's reason code, as words: "WRONG_VERSION_NUMBER" is "wrong version number".
            let reason = text.range(of: "OPENSSL_internal:").map { text[$0.upperBound...].prefix { $0.isLetter || $0 == "_" } }
            let words = reason.flatMap { $0.isEmpty ? nil : $0.lowercased().replacingOccurrences(of: "_", with: " ") }
            return (.failed, "TLS handshake with \(target) failed" + (words.map { ": " + $0 } ?? ""))
        }
        if let error = error as? NIOConnectionError, error.dnsAError == nil || !error.connectionErrors.isEmpty,
           let first = error.connectionErrors.first {
            return describe(first.error, target: target, host: host)
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return (.failed, "connection refused by \(target)")
            case ECONNRESET, EPIPE: return (.failed, "connection lost to \(target)")
            default: break
            }
        }
        return (.failed, TCPDriver.describe(error, target: target, host: host))
    }

    static func reasonPhrase(_ status: Int) -> String? {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 418: "I'm a Teapot"
        case 422: "Unprocessable Content"
        case 425: "Too Early"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: nil
        }
    }
}
