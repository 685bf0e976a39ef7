import FiredrillCore
import Foundation

/// Alertmanager's v2 API (`GET /api/v2/alerts`), over the HTTP driver: the matchers go as
/// Alertmanager's own `filter`, the answer is read by Firedrill's JSON reader, and every alert
/// is matched again here (with `unless` and the state asked), so the verdict never rests on a
/// server's reading alone. Passes while one matches.
public struct AlertDriver: Driver {
    public var http: HTTPDriver
    /// The answer is read whole up to this size (a probe's `max_body` overrides it).
    public var responseLimit: Int

    public init(http: HTTPDriver = HTTPDriver(), responseLimit: Int = 8 << 20) {
        self.http = http
        self.responseLimit = responseLimit
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let alert = action.as(ResolvedAlert.self) else {
            return DriverReport(verdict: .error, summary: "the alert driver cannot perform: \(action.summary)")
        }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=;#")
        var query = ["active=true", "silenced=true", "inhibited=true", "unprocessed=true"]
        for matcher in alert.matchers {
            guard let encoded = matcher.description.addingPercentEncoding(withAllowedCharacters: allowed) else {
                return DriverReport(verdict: .error, summary: "the matcher \(matcher) cannot be put in a URL")
            }
            query.append("filter=\(encoded)")
        }
        let headers = PrometheusDriver.jsonHeaders(bearer: alert.bearerToken, user: alert.basicUser, password: alert.basicPassword)
        let limit = alert.maxBody ?? responseLimit
        let request = ResolvedHTTP(method: "GET", url: "\(alert.url.withoutTrailingSlash)/api/v2/alerts?\(query.joined(separator: "&"))",
                                   headers: headers, status: [200], timeout: alert.timeout, maxBody: limit)
        let response = await http.perform(.http(request), deadline: deadline, limits: DriverLimits(outputBytes: limit))
        guard response.verdict == .passed, let body = response.stdout else {
            // Down, refused, an error status: said in the HTTP driver's words, and never a "no
            // such alert" (`failed`), which a guard or a steady state expecting none would take as all clear.
            let verdict: DriverReport.Verdict = response.verdict == .cancelled || response.verdict == .timedOut ? response.verdict : .error
            return DriverReport(verdict: verdict, summary: "Alertmanager: \(response.summary)", httpStatus: response.httpStatus,
                                stdout: response.stdout.map { OutputJudge.cut($0, to: limits.outputBytes) })
        }
        let excerpt = OutputJudge.cut(body, to: limits.outputBytes)
        guard !body.truncated else {
            return DriverReport(verdict: .error, summary: "Alertmanager's answer is over \(ByteSize.describe(limit)); narrow the matchers or raise max_body",
                                httpStatus: response.httpStatus, stdout: excerpt)
        }
        let alerts: [AlertSeen]
        do {
            alerts = try AlertList.read(String(decoding: ControlCharacters.bytes(of: body.text), as: UTF8.self))
        } catch {
            return DriverReport(verdict: .error, summary: error.message, httpStatus: response.httpStatus, stdout: excerpt)
        }
        let disagreeing = AlertList.disagreeing(alerts, matchers: alert.matchers)
        if disagreeing > 0 {
            return DriverReport(verdict: .error, summary: "Alertmanager listed \(disagreeing) alert\(disagreeing == 1 ? "" : "s") for these matchers that Firedrill's reading of them does not match: they are read differently, so no verdict is given",
                                httpStatus: response.httpStatus, stdout: excerpt)
        }
        let matching = AlertList.matching(alerts, matchers: alert.matchers, unless: alert.unless, state: alert.state)
        // The newest are kept: an alert the drill caused is newer than any that was already firing.
        let kept = matching.suffix(AlertObservation.keptAlerts).map(AlertList.forRecord)
        let observation = AlertObservation(alerts: Array(kept), matched: matching.count)
        let listed = "\(alerts.count) alert\(alerts.count == 1 ? "" : "s") listed"
        guard let first = kept.first else {
            return DriverReport(verdict: .failed, summary: "no matching alert \(alert.state == .any ? "firing" : alert.state.rawValue) (\(listed))",
                                httpStatus: response.httpStatus, stdout: excerpt, alerts: observation)
        }
        let more = matching.count > 1 ? " and \(matching.count - 1) more" : ""
        return DriverReport(verdict: .passed, summary: "\(first.summary)\(more)", httpStatus: response.httpStatus, stdout: excerpt, alerts: observation)
    }
}
