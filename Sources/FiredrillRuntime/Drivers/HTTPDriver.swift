import FiredrillCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Performs `.http` probes and calls through URLSession (libcurl on Linux).
///
/// Every request gets a fresh ephemeral session: no cache, no cookies, no credentials
/// carried from one step to the next.
public struct HTTPDriver: Driver {
    /// The request timeout when the step sets none.
    public var defaultTimeout: DrillDuration

    public init(defaultTimeout: DrillDuration = .seconds(30)) {
        self.defaultTimeout = defaultTimeout
    }

    public func perform(_ action: ResolvedAction, deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        guard case .http(let http) = action else {
            return DriverReport(verdict: .error, summary: "the HTTP driver cannot perform: \(action.summary)")
        }
        return await request(http, deadline: deadline, limits: limits)
    }

    public func request(_ http: ResolvedHTTP, deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        guard let url = URL(string: http.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil
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

        // FoundationNetworking truncates timeouts to whole seconds (0.5s expires at once), so
        // URLSession gets a looser bound and `race` enforces the exact one.
        let sessionTimeout = Self.wholeSecondsAbove(timeout)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData, timeoutInterval: sessionTimeout)
        request.httpMethod = http.method.uppercased()
        for header in http.headers { request.addValue(header.value, forHTTPHeaderField: header.name) }
        if let body = http.body { request.httpBody = Data(body.utf8) }
        request.httpShouldHandleCookies = false

        let session = URLSession(configuration: Self.configuration(timeout: sessionTimeout))
        defer { session.invalidateAndCancel() }

        let prepared = request
        let outcome = await Self.race(timeout: timeout) { try await Self.send(prepared, on: session) }
        switch outcome {
        case .response(let data, let response):
            return Self.judge(http, data: data, response: response, limits: limits)
        case _ where Task.isCancelled:
            return DriverReport(verdict: .cancelled, summary: "cancelled")
        case .failure(let error):
            let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
            if code == NSURLErrorTimedOut {
                return timedOut(after: timeout, deadlineBound: deadlineBound)
            }
            return DriverReport(verdict: Self.isRefusal(code) ? .failed : .error, summary: Self.describe(error, code: code, url: url))
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

    static func configuration(timeout: TimeInterval) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCredentialStorage = nil
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        return configuration
    }

    /// The whole number of seconds one past `duration`: never shorter than the real bound.
    static func wholeSecondsAbove(_ duration: Duration) -> TimeInterval {
        TimeInterval(max(0, duration.components.seconds) + 1)
    }

    /// `URLSession.data(for:)` cancels its task from inside the Swift task's cancellation
    /// handler; on Linux `URLSessionTask.cancel()` then waits on the session's queue while a
    /// completion on that queue waits on the task's status lock: a deadlock (seen in a drill
    /// whose canary write was cancelled at the disaster). Here the cancel is sent from a
    /// queue of its own, outside the handler.
    static func send(_ request: URLRequest, on session: URLSession) async throws -> (Data, URLResponse) {
        let handle = DataTaskHandle()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let response, error == nil {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: error ?? URLError(.unknown))
                    }
                }
                handle.start(task)
            }
        } onCancel: {
            DispatchQueue.global().async { handle.cancel() }
        }
    }

    /// Holds the data task so a cancellation that comes before or after it starts both stop it.
    final class DataTaskHandle: @unchecked Sendable {
        private let lock = NSLock()
        private var task: URLSessionDataTask?
        private var cancelled = false

        func start(_ task: URLSessionDataTask) {
            let cancelNow = lock.withLock {
                self.task = task
                return cancelled
            }
            task.resume()
            if cancelNow { task.cancel() }
        }

        func cancel() {
            let task = lock.withLock {
                cancelled = true
                return self.task
            }
            task?.cancel()
        }
    }

    enum Outcome: Sendable {
        case response(Data, URLResponse)
        case failure(any Error)
        case timedOut
    }

    /// Runs `send` against a timer, which is the real timeout: URLSession's own is coarse, and on
    /// Linux an idle timeout that a server trickling bytes could keep alive past the deadline.
    static func race(timeout: Duration, _ send: @escaping @Sendable () async throws -> (Data, URLResponse)) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    let (data, response) = try await send()
                    return .response(data, response)
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

    static func judge(_ http: ResolvedHTTP, data: Data, response: URLResponse, limits: DriverLimits) -> DriverReport {
        var capture = OutputCapture(limit: limits.outputBytes)
        capture.append(data)
        guard let response = response as? HTTPURLResponse else {
            return DriverReport(verdict: .error, summary: "not an HTTP response", stdout: capture.captured)
        }
        let status = response.statusCode
        let statusLine = "HTTP \(status)" + (reasonPhrase(status).map { " " + $0 } ?? "")
        var report = DriverReport(verdict: .passed, summary: statusLine, httpStatus: status, stdout: capture.captured)
        if !http.accepts(status: status) {
            report.verdict = .failed
            report.summary = "\(statusLine), expected \(expectation(http.status))"
        } else if let needle = http.bodyContains, !data.contains(Data(needle.utf8)) {
            report.verdict = .failed
            report.summary = "\(statusLine), but the body does not contain \"\(needle)\""
        }
        return report
    }

    static func expectation(_ statuses: [Int]) -> String {
        statuses.isEmpty ? "2xx" : statuses.map(String.init).joined(separator: " or ")
    }

    /// A refused or unreachable server is a probe saying no, not a failure to probe.
    static func isRefusal(_ code: Int) -> Bool {
        [NSURLErrorCannotConnectToHost, NSURLErrorNetworkConnectionLost, NSURLErrorCannotFindHost,
         NSURLErrorNotConnectedToInternet, NSURLErrorDNSLookupFailed, NSURLErrorBadServerResponse,
         NSURLErrorZeroByteResource, NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted,
         NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateHasUnknownRoot,
         NSURLErrorServerCertificateNotYetValid, NSURLErrorHTTPTooManyRedirects, NSURLErrorRedirectToNonExistentLocation,
         NSURLErrorCannotParseResponse, NSURLErrorResourceUnavailable].contains(code)
    }

    static func describe(_ error: any Error, code: Int, url: URL) -> String {
        let target = url.host.map { host in url.port.map { "\(host):\($0)" } ?? host } ?? url.absoluteString
        switch code {
        case NSURLErrorCannotConnectToHost: return "connection refused by \(target)"
        case NSURLErrorTimedOut: return "timed out"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "host not found: \(url.host ?? target)"
        case NSURLErrorNetworkConnectionLost: return "connection lost to \(target)"
        case NSURLErrorNotConnectedToInternet: return "network unreachable (offline)"
        case NSURLErrorBadServerResponse, NSURLErrorCannotParseResponse: return "bad response from \(target)"
        case NSURLErrorZeroByteResource: return "empty response from \(target)"
        case NSURLErrorSecureConnectionFailed: return "TLS handshake with \(target) failed"
        case NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
            return "untrusted TLS certificate from \(target)"
        case NSURLErrorHTTPTooManyRedirects: return "too many redirects from \(target)"
        case NSURLErrorUnsupportedURL, NSURLErrorBadURL: return "unsupported URL: \(url.absoluteString)"
        case NSURLErrorCancelled: return "request cancelled"
        default: return "request failed (\(code)): \(error.localizedDescription)"
        }
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
