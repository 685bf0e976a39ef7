import Yams

/// `http: {url, method, headers, body, status, body_contains, timeout, max_body}`: one request,
/// passing when the status is accepted and the body holds `body_contains`.
public struct HTTPProbe: OutputCheckable {
    public var method: String
    public var url: Template
    public var headers: [Header]
    public var body: Template?
    /// Accepted status codes; empty means any 2xx.
    public var status: [Int]
    public var bodyContains: Template?
    /// For one request; the step's timeout still bounds the whole step.
    public var timeout: DrillDuration?
    /// The most of the response body read, in bytes; nil: `ByteSize.defaultMaxBody`.
    public var maxBody: Int?
    public var output: [OutputCheck] = []

    public struct Header: Hashable, Sendable, Codable {
        public var name: String
        public var value: Template
        public init(name: String, value: Template) {
            self.name = name
            self.value = value
        }
    }

    public init(
        method: String = "GET", url: Template, headers: [Header] = [], body: Template? = nil,
        status: [Int] = [], bodyContains: Template? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.status = status
        self.bodyContains = bodyContains
        self.timeout = timeout
        self.maxBody = maxBody
    }

    public static let kind = ActionKind(
        key: "http", value: "mapping", isProbe: true, injects: .unlessSafeMethod,
        example: "{url: \"http://127.0.0.1:8080/health\", status: 200}", summary: "One HTTP request, see below.")
    public static let keys = ["method", "url", "headers", "body", "status", "body_contains", "timeout", "max_body"]
    public static var schema: SchemaJSON.Object { SchemaJSON.object(keys, types, required: ["url"]) }
    static var types: [String: SchemaJSON.Object] {
        let status = SchemaJSON.integer(minimum: 100, maximum: 599)
        return [
            "method": ["type": "string"], "url": SchemaJSON.ref("template"), "headers": SchemaJSON.ref("headers"), "body": SchemaJSON.ref("template"),
            "status": ["oneOf": [status, SchemaJSON.list(status)]],
            "body_contains": SchemaJSON.ref("template"), "timeout": SchemaJSON.ref("duration"), "max_body": SchemaJSON.ref("size"),
        ]
    }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("http", keys, types)] }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedHTTP.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard let fields = reader.fields(node, of: "http", allowed: keys) else { return nil }
        var method = "GET"
        if let node = fields.value("method"), let value = reader.string(node) {
            reader.error(ScenarioValidator.Rules.httpMethod(value), at: node)
            method = value.uppercased()
        }
        var url = Template("", at: reader.location(of: node))
        if let node = reader.required(fields, "url"), let value = reader.template(node) {
            reader.error(ScenarioValidator.Rules.url(value), at: node)
            url = value
        }
        var headers: [Header] = []
        if let node = fields.value("headers"),
           let entries = reader.fields(node, of: "headers", allowed: nil, expected: "a mapping of header names to values")?.entries {
            for entry in entries {
                if let value = reader.template(entry.value) { headers.append(.init(name: entry.key, value: value)) }
            }
        }
        var status: [Int] = []
        if let node = fields.value("status") {
            let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
            for item in items {
                guard case .scalar(let scalar) = item, let code = Int(scalar.string) else {
                    reader.error("expected an HTTP status code like 200, got \(ScenarioReader.describe(item))", at: item)
                    continue
                }
                reader.error(ScenarioValidator.Rules.httpStatus(code), at: item)
                status.append(code)
            }
        }
        return .http(HTTPProbe(
            method: method, url: url, headers: headers, body: reader.template(fields.value("body")), status: status,
            bodyContains: reader.template(fields.value("body_contains")),
            timeout: reader.positiveDuration(fields.value("timeout"), key: "timeout"),
            maxBody: reader.size(fields.value("max_body"), key: "max_body")))
    }

    public var templates: [Template] { [url] + headers.map(\.value) + [body, bodyContains].compactMap { $0 } + output.flatMap(\.templates) }

    public var isInjecting: Bool { ActionKind.injects(Self.kind.key, method: method) }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.httpMethod(method))
        check.error(ScenarioValidator.Rules.url(url), at: url.location)
        for code in status { check.error(ScenarioValidator.Rules.httpStatus(code)) }
        if let timeout { check.error(ScenarioValidator.Rules.positive(timeout, key: "timeout")) }
        if let maxBody { check.error(ScenarioValidator.Rules.maxBody(maxBody, key: "max_body")) }
        checkOutput(&check)
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        var resolvedHeaders: [ResolvedHTTP.Pair] = []
        for header in headers { resolvedHeaders.append(.init(name: header.name, value: try scope.resolve(header.value))) }
        return .http(ResolvedHTTP(
            method: method.uppercased(), url: try scope.resolve(url), headers: resolvedHeaders,
            body: try scope.resolveOptional(body), status: status,
            bodyContains: try scope.resolveOptional(bodyContains), timeout: timeout, maxBody: maxBody,
            output: .of(try resolvedChecks(in: scope))))
    }
}

/// One request, as the HTTP driver sends it.
public struct ResolvedHTTP: OutputReading {
    public var method: String
    public var url: String
    public var headers: [Pair]
    public var body: String?
    public var status: [Int]
    public var bodyContains: String?
    public var timeout: DrillDuration?
    /// The most of the response body read, in bytes; nil: `ByteSize.defaultMaxBody`.
    public var maxBody: Int?
    public var output: ResolvedOutput?

    public struct Pair: Hashable, Sendable, Codable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, url: String, headers: [Pair] = [], body: String? = nil, status: [Int] = [],
                bodyContains: String? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil, output: ResolvedOutput? = nil) {
        self.output = output
        self.maxBody = maxBody
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.status = status
        self.bodyContains = bodyContains
        self.timeout = timeout
    }

    public func accepts(status code: Int) -> Bool {
        status.isEmpty ? (200..<300).contains(code) : status.contains(code)
    }

    public static let key = "http"
    public static let performer = "http"
    public static let isWrapped = true
    public var summary: String { "\(method) \(url)" + (output?.summarySuffix ?? "") }
    public var ownTimeout: DrillDuration? { timeout }
    public var isInjecting: Bool { output?.inventory == nil && ActionKind.injects(Self.key, method: method) }
}

extension ScenarioValidator.Rules {
    public static func httpStatus(_ code: Int) -> String? {
        (100...599).contains(code) ? nil : "HTTP status must be between 100 and 599, got \(code)"
    }

    public static func httpMethod(_ method: String) -> String? {
        let valid = !method.isEmpty && method.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) }
        return valid ? nil : "expected an HTTP method like GET or POST, got '\(method)'"
    }
}

extension Action {
    public static func http(_ http: HTTPProbe) -> Action { Action(http) }
}

extension ResolvedAction {
    public static func http(_ http: ResolvedHTTP) -> ResolvedAction { ResolvedAction(http) }
}
