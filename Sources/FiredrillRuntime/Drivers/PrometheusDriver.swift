import FiredrillCore
import Foundation

/// An instant query through the Prometheus HTTP API (`/api/v1/query`, also served by Thanos
/// Query), over the HTTP driver, judged by the probe's expectation. No data fails a value
/// comparison; `count` comparisons count the series returned.
public struct PrometheusDriver: Driver {
    public var http: HTTPDriver
    /// The response is parsed whole up to this size (a probe's `max_body` overrides it),
    /// whatever the record keeps of it; past it the driver stops reading.
    public var responseLimit: Int

    public init(http: HTTPDriver = HTTPDriver(), responseLimit: Int = 8 << 20) {
        self.http = http
        self.responseLimit = responseLimit
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let prom = action.as(ResolvedPrometheus.self) else {
            return DriverReport(verdict: .error, summary: "the prometheus driver cannot perform: \(action.summary)")
        }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=;#")
        guard let encoded = prom.query.addingPercentEncoding(withAllowedCharacters: allowed) else {
            return DriverReport(verdict: .error, summary: "the query cannot be put in a URL")
        }
        let base = prom.url.withoutTrailingSlash
        let headers = Self.jsonHeaders(bearer: prom.bearerToken, user: prom.basicUser, password: prom.basicPassword)
        // Prometheus answers 400 and 422 with a JSON error worth showing.
        let limit = prom.maxBody ?? responseLimit
        let request = ResolvedHTTP(method: "GET", url: "\(base)/api/v1/query?query=\(encoded)", headers: headers,
                                   status: [200, 400, 422, 503], timeout: prom.timeout, maxBody: limit)
        // The JSON is parsed whole, so the whole body up to the limit is kept (here, not in the record).
        let response = await http.perform(.http(request), deadline: deadline, limits: DriverLimits(outputBytes: limit))
        if let body = response.stdout, body.totalBytes > limit {
            return DriverReport(verdict: .error, summary: response.summary + "; narrow the query or raise max_body",
                                httpStatus: response.httpStatus)
        }
        guard response.verdict == .passed, let body = response.stdout else {
            return DriverReport(verdict: response.verdict == .passed ? .error : response.verdict, summary: response.summary,
                                httpStatus: response.httpStatus)
        }
        // The excerpt is cut by bytes, as captured output is, not by escaped characters.
        let raw = ControlCharacters.bytes(of: body.text)
        let end = raw.count > limits.outputBytes ? OutputCapture.endOfCompleteUTF8(Array(raw.prefix(limits.outputBytes))) : raw.count
        let excerpt = CapturedOutput(text: ControlCharacters.escaping(raw[..<end]), keptBytes: end, totalBytes: body.totalBytes)
        func report(_ verdict: DriverReport.Verdict, _ summary: String) -> DriverReport {
            DriverReport(verdict: verdict, summary: summary, httpStatus: response.httpStatus, stdout: excerpt)
        }
        guard !body.truncated else { return report(.error, "the response is over \(ByteSize.describe(limit)); narrow the query or raise max_body") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
            return report(.error, "HTTP \(response.httpStatus ?? 0): not a Prometheus API response")
        }
        guard json["status"] as? String == "success", let data = json["data"] as? [String: Any] else {
            let error = (json["error"] as? String) ?? "unknown error"
            return report(.failed, "query failed: \(json["errorType"] as? String ?? "error"): \(error)")
        }
        let values: [Double]
        switch data["resultType"] as? String {
        case "vector":
            let series = data["result"] as? [[String: Any]] ?? []
            values = series.compactMap { ($0["value"] as? [Any])?.last.flatMap(Self.number) }
        case "scalar":
            values = (data["result"] as? [Any])?.last.flatMap(Self.number).map { [$0] } ?? []
        case let other:
            return report(.error, "a \(other ?? "missing") result; an instant query for a vector or a scalar is needed")
        }
        let expect = prom.expect
        let shown = values.prefix(5).map(Self.format).joined(separator: ", ") + (values.count > 5 ? ", …" : "")
        let found = values.isEmpty ? "no data" : "\(values.count) result\(values.count == 1 ? "" : "s") (\(shown))"
        switch expect.subject {
        case .count:
            let holds = expect.comparison.holds(Double(values.count), expect.number)
            return report(holds ? .passed : .failed, "\(found); expected \(expect)")
        case .value:
            if values.isEmpty { return report(.failed, "no data; expected \(expect)") }
            let failing = values.filter { !expect.comparison.holds($0, expect.number) }
            return failing.isEmpty
                ? report(.passed, "\(found); expected \(expect)")
                : report(.failed, "\(found); \(failing.count) not \(expect)")
        }
    }

    /// `Accept: application/json` and the probe's `Authorization`, for the JSON APIs the probes ask.
    static func jsonHeaders(bearer: String?, user: String?, password: String?) -> [ResolvedHTTP.Pair] {
        var headers: [ResolvedHTTP.Pair] = [.init(name: "Accept", value: "application/json")]
        if let bearer {
            headers.append(.init(name: "Authorization", value: "Bearer \(bearer)"))
        } else if let user {
            headers.append(.init(name: "Authorization", value: "Basic \(Data("\(user):\(password ?? "")".utf8).base64EncodedString())"))
        }
        return headers
    }

    /// Prometheus sends sample values as strings ("1", "NaN", "+Inf").
    static func number(_ any: Any) -> Double? {
        if let text = any as? String { return Double(text) }
        return (any as? NSNumber)?.doubleValue
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
