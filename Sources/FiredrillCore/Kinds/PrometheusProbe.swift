import Yams

/// `prometheus: {url, query, expect, basic_auth: {user, password}, bearer_token, timeout, max_body}`:
/// an instant PromQL query against the Prometheus HTTP API (which Thanos Query also serves),
/// judged by a comparison on its result.
public struct PrometheusProbe: ActionSpec {
    /// Base URL of Prometheus or Thanos Query, like `http://127.0.0.1:9090`.
    public var url: Template
    public var query: Template
    public var expect: PromExpectation
    public var basicUser: Template?
    public var basicPassword: Template?
    public var bearerToken: Template?
    public var timeout: DrillDuration?
    /// The most of the response read, in bytes; nil: the driver's default.
    public var maxBody: Int?

    public init(url: Template, query: Template, expect: PromExpectation = .init(), basicUser: Template? = nil,
                basicPassword: Template? = nil, bearerToken: Template? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil) {
        self.url = url
        self.query = query
        self.expect = expect
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.maxBody = maxBody
    }

    public static let kind = ActionKind(
        key: "prometheus", value: "mapping", isProbe: true, injects: .never,
        example: "{url: \"http://127.0.0.1:9090\", query: \"up{job=\\\"thanos\\\"}\", expect: \"> 0\"}",
        summary: "An instant PromQL query judged by a comparison, see [Prometheus](#prometheus).")
    public static let keys = ["url", "query", "expect", "basic_auth", "bearer_token", "timeout", "max_body"]
    static let basicAuthKeys = ["user", "password"]
    static var basicAuthTypes: [String: SchemaJSON.Object] { ["user": SchemaJSON.ref("template"), "password": SchemaJSON.ref("template")] }
    static var types: [String: SchemaJSON.Object] {
        [
            "url": SchemaJSON.ref("template"), "query": SchemaJSON.ref("template"),
            "expect": SchemaJSON.described(["type": "string"], "Like '> 0', '== 1' or 'count > 0'."),
            "basic_auth": SchemaJSON.object(basicAuthKeys, basicAuthTypes, required: ["user"]), "bearer_token": SchemaJSON.ref("template"),
            "timeout": SchemaJSON.ref("duration"), "max_body": SchemaJSON.ref("size"),
        ]
    }
    public static var schema: SchemaJSON.Object { SchemaJSON.object(keys, types, required: ["url", "query"]) }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] {
        [("prometheus", keys, types), ("basic_auth", basicAuthKeys, basicAuthTypes)]
    }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedPrometheus.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard let fields = reader.fields(entry.value, of: "prometheus", allowed: keys) else { return nil }
        guard let urlNode = reader.required(fields, "url"), let url = reader.template(urlNode) else { return nil }
        reader.error(ScenarioValidator.Rules.url(url), at: urlNode)
        guard let queryNode = reader.required(fields, "query"), let query = reader.template(queryNode) else { return nil }
        var expect = PromExpectation()
        if let node = fields.value("expect"), let text = reader.string(node) {
            if let parsed = PromExpectation(parsing: text) {
                expect = parsed
            } else {
                reader.error("expected a comparison like '> 0', '== 1' or 'count > 0', got '\(text)'", at: node)
            }
        }
        let (user, password, bearer) = reader.authorization(fields, of: "prometheus")
        return .prometheus(PrometheusProbe(
            url: url, query: query, expect: expect, basicUser: user, basicPassword: password, bearerToken: bearer,
            timeout: reader.positiveDuration(fields.value("timeout"), key: "timeout"), maxBody: reader.size(fields.value("max_body"), key: "max_body")))
    }

    public var templates: [Template] { [url, query] + [basicUser, basicPassword, bearerToken].compactMap { $0 } }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.url(url), at: url.location)
        if query.raw.trimmingSpaces.isEmpty { check.error("prometheus.query is empty", at: query.location) }
        if let timeout { check.error(ScenarioValidator.Rules.positive(timeout, key: "timeout")) }
        if let maxBody { check.error(ScenarioValidator.Rules.maxBody(maxBody, key: "max_body")) }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        .prometheus(ResolvedPrometheus(
            url: try scope.resolve(url), query: try scope.resolve(query), expect: expect,
            basicUser: try scope.resolveOptional(basicUser), basicPassword: try scope.resolveOptional(basicPassword),
            bearerToken: try scope.resolveOptional(bearerToken), timeout: timeout, maxBody: maxBody))
    }
}

/// The query as the Prometheus driver sends it.
public struct ResolvedPrometheus: ResolvedSpec {
    public var url: String
    public var query: String
    public var expect: PromExpectation
    public var basicUser: String?
    public var basicPassword: String?
    public var bearerToken: String?
    public var timeout: DrillDuration?
    public var maxBody: Int?
    public init(url: String, query: String, expect: PromExpectation, basicUser: String? = nil, basicPassword: String? = nil,
                bearerToken: String? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil) {
        self.maxBody = maxBody
        self.url = url
        self.query = query
        self.expect = expect
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.bearerToken = bearerToken
        self.timeout = timeout
    }

    public static let key = "prometheus"
    public static let performer = "prometheus"
    public static let isWrapped = true
    public var summary: String { "PromQL \(query) at \(url), expect \(expect)" }
    public var ownTimeout: DrillDuration? { timeout }
}

/// `> 0`, `== 1`, `<= 0.5` (every value returned must satisfy it; no data fails) or
/// `count > 0`, `count == 0` (on the number of series returned).
public struct PromExpectation: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Subject: String, Hashable, Sendable, Codable { case value, count }
    public enum Comparison: String, Hashable, Sendable, Codable, CaseIterable {
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="
        public func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .greater: lhs > rhs
            case .greaterOrEqual: lhs >= rhs
            case .less: lhs < rhs
            case .lessOrEqual: lhs <= rhs
            case .equal: lhs == rhs
            case .notEqual: lhs != rhs
            }
        }
    }
    public var subject: Subject
    public var comparison: Comparison
    public var number: Double

    public init(subject: Subject = .count, comparison: Comparison = .greater, number: Double = 0) {
        self.subject = subject
        self.comparison = comparison
        self.number = number
    }

    /// Parses `> 0`, `count >= 2`, `==1`; nil when it is none of these.
    public init?(parsing text: String) {
        var rest = Substring(text.trimmingSpaces)
        subject = .value
        if rest.hasPrefix("count") {
            subject = .count
            rest = rest.dropFirst(5).drop(while: { $0 == " " })
        }
        guard let comparison = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }).first(where: { rest.hasPrefix($0.rawValue) })
        else { return nil }
        self.comparison = comparison
        let number = rest.dropFirst(comparison.rawValue.count).drop(while: { $0 == " " })
        guard let value = Double(number), value.isFinite else { return nil }
        self.number = value
    }

    public var description: String {
        let n = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        return (subject == .count ? "count " : "") + "\(comparison.rawValue) \(n)"
    }
}

extension ScenarioReader {
    /// `basic_auth: {user, password}` or `bearer_token`, as the `prometheus` and `alert` probes take them.
    public mutating func authorization(_ fields: Fields, of what: String) -> (user: Template?, password: Template?, bearer: Template?) {
        var user: Template?, password: Template?
        if let node = fields.value("basic_auth"), let auth = self.fields(node, of: "basic_auth", allowed: PrometheusProbe.basicAuthKeys) {
            user = required(auth, "user").flatMap { template($0) }
            password = template(auth.value("password"))
        }
        let bearer = template(fields.value("bearer_token"))
        if bearer != nil, user != nil, let node = fields.value("bearer_token") {
            error("\(what) has both basic_auth and bearer_token; give one", at: node)
        }
        return (user, password, bearer)
    }
}

extension Action {
    public static func prometheus(_ prometheus: PrometheusProbe) -> Action { Action(prometheus) }
}

extension ResolvedAction {
    public static func prometheus(_ prometheus: ResolvedPrometheus) -> ResolvedAction { ResolvedAction(prometheus) }
}
