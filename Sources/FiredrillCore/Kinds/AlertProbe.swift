import Yams

/// `alert: {alertmanager, matchers, unless, state, basic_auth, bearer_token, timeout, max_body}`:
/// passes while an alert matching every matcher (and not every `unless` one) is firing in
/// Alertmanager, in `state` (`any` by default: the drill's own silence does not hide it).
public struct AlertProbe: ActionSpec {
    public var alertmanager: Template
    public var matchers: [Silence.Matcher]
    public var unless: [Silence.Matcher]
    public var state: AlertState
    public var basicUser: Template?
    public var basicPassword: Template?
    public var bearerToken: Template?
    public var timeout: DrillDuration?
    public var maxBody: Int?

    public init(alertmanager: Template, matchers: [Silence.Matcher], unless: [Silence.Matcher] = [], state: AlertState = .any,
                basicUser: Template? = nil, basicPassword: Template? = nil, bearerToken: Template? = nil,
                timeout: DrillDuration? = nil, maxBody: Int? = nil) {
        self.alertmanager = alertmanager
        self.matchers = matchers
        self.unless = unless
        self.state = state
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.maxBody = maxBody
    }

    public static let kind = ActionKind(
        key: "alert", value: "mapping", isProbe: true, injects: .never,
        example: "{alertmanager: \"http://127.0.0.1:9093\", matchers: [{name: alertname, value: SampleServiceDown}]}",
        summary: "Passes while a matching alert is firing in Alertmanager, see [Alerts](#alerts).")
    public static let keys = ["alertmanager", "matchers", "unless", "state", "basic_auth", "bearer_token", "timeout", "max_body"]
    static let matcherKeys = ["name", "value", "regex", "negate"]
    static var matcherSchema: SchemaJSON.Object {
        SchemaJSON.list(SchemaJSON.object(matcherKeys, ["name": SchemaJSON.ref("template"), "value": SchemaJSON.ref("template"),
                                                        "regex": SchemaJSON.boolean, "negate": SchemaJSON.boolean], required: ["name", "value"]))
    }
    static var types: [String: SchemaJSON.Object] {
        [
            "alertmanager": SchemaJSON.ref("template"), "matchers": matcherSchema, "unless": matcherSchema,
            "state": SchemaJSON.oneWord(AlertState.allCases.map(\.rawValue)),
            "basic_auth": SchemaJSON.object(PrometheusProbe.basicAuthKeys, PrometheusProbe.basicAuthTypes, required: ["user"]),
            "bearer_token": SchemaJSON.ref("template"), "timeout": SchemaJSON.ref("duration"), "max_body": SchemaJSON.ref("size"),
        ]
    }
    public static var schema: SchemaJSON.Object { SchemaJSON.object(keys, types, required: ["alertmanager", "matchers"]) }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("alert", keys, types)] }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedAlert.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        guard let fields = reader.fields(entry.value, of: "alert", allowed: keys) else { return nil }
        guard let urlNode = reader.required(fields, "alertmanager"), let url = reader.template(urlNode) else { return nil }
        reader.error(ScenarioValidator.Rules.url(url), at: urlNode)
        let matchers = reader.required(fields, "matchers").map { reader.matchers($0, of: "alert.matchers") } ?? []
        let unless = fields.value("unless").map { reader.matchers($0, of: "alert.unless") } ?? []
        let state = reader.choice(fields.value("state"), AlertState.allCases.map(\.rawValue)).flatMap(AlertState.init(rawValue:)) ?? .any
        let (user, password, bearer) = reader.authorization(fields, of: "alert")
        return Action(AlertProbe(alertmanager: url, matchers: matchers, unless: unless, state: state, basicUser: user, basicPassword: password,
                                 bearerToken: bearer, timeout: reader.positiveDuration(fields.value("timeout"), key: "timeout"),
                                 maxBody: reader.size(fields.value("max_body"), key: "max_body")))
    }

    public var templates: [Template] {
        [alertmanager] + (matchers + unless).map(\.value) + [basicUser, basicPassword, bearerToken].compactMap { $0 }
    }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.url(alertmanager), at: alertmanager.location)
        for matcher in matchers + unless {
            check.error(ScenarioValidator.Rules.matcher(matcher), at: matcher.value.location)
        }
        if let timeout { check.error(ScenarioValidator.Rules.positive(timeout, key: "timeout")) }
        if let maxBody { check.error(ScenarioValidator.Rules.maxBody(maxBody, key: "max_body")) }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        func resolve(_ list: [Silence.Matcher]) throws(UnresolvedReference) -> [AlertMatcher] {
            var out: [AlertMatcher] = []
            for m in list { out.append(AlertMatcher(name: m.name, value: try scope.resolve(m.value), isRegex: m.isRegex, isEqual: m.isEqual)) }
            return out
        }
        return ResolvedAction(ResolvedAlert(
            url: try scope.resolve(alertmanager), matchers: try resolve(matchers), unless: try resolve(unless), state: state,
            basicUser: try scope.resolveOptional(basicUser), basicPassword: try scope.resolveOptional(basicPassword),
            bearerToken: try scope.resolveOptional(bearerToken), timeout: timeout, maxBody: maxBody))
    }
}

/// The alert query as the alert driver sends it.
public struct ResolvedAlert: ResolvedSpec {
    public var url: String
    public var matchers: [AlertMatcher]
    public var unless: [AlertMatcher]
    public var state: AlertState
    public var basicUser: String?
    public var basicPassword: String?
    public var bearerToken: String?
    public var timeout: DrillDuration?
    public var maxBody: Int?

    public init(url: String, matchers: [AlertMatcher], unless: [AlertMatcher] = [], state: AlertState = .any, basicUser: String? = nil,
                basicPassword: String? = nil, bearerToken: String? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil) {
        self.url = url
        self.matchers = matchers
        self.unless = unless
        self.state = state
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.bearerToken = bearerToken
        self.timeout = timeout
        self.maxBody = maxBody
    }

    public static let key = "alert"
    public static let performer = "alert"
    public var summary: String {
        let unlessText = unless.isEmpty ? "" : " unless {\(unless.map(\.description).joined(separator: ", "))}"
        return "alert {\(matchers.map(\.description).joined(separator: ", "))}\(unlessText) \(state.rawValue) at \(url)"
    }
    public var ownTimeout: DrillDuration? { timeout }
}

extension ScenarioReader {
    /// `[{name, value, regex, negate}, ...]`, as a silence and an alert probe write matchers.
    public mutating func matchers(_ node: Node, of what: String) -> [Silence.Matcher] {
        guard case .sequence(let items) = node else {
            error("expected a list of matchers, got \(Self.describe(node))", at: node)
            return []
        }
        var matchers: [Silence.Matcher] = []
        for item in items {
            guard let entry = fields(item, of: "matcher", allowed: AlertProbe.matcherKeys, expected: "a matcher: a mapping with 'name' and 'value'")
            else { continue }
            guard let name = required(entry, "name").flatMap({ string($0) }),
                  let value = required(entry, "value").flatMap({ template($0) }) else { continue }
            if name.isEmpty { error("a matcher's name is empty", at: item) }
            let regex = entry.value("regex").flatMap { bool($0) } ?? false
            let negate = entry.value("negate").flatMap { bool($0) } ?? false
            let matcher = Silence.Matcher(name: name, value: value, isRegex: regex, isEqual: !negate)
            error(ScenarioValidator.Rules.matcher(matcher), at: entry.value("value") ?? item)
            matchers.append(matcher)
        }
        return matchers
    }
}

extension ScenarioValidator.Rules {
    /// A regex matcher's value that is not an expression Firedrill can match (a `${...}` is checked once resolved).
    public static func matcher(_ matcher: Silence.Matcher) -> String? {
        guard matcher.isRegex, !matcher.value.raw.contains("${") else { return nil }
        if let re2 = AlertMatcher.re2Only(matcher.value.raw) {
            return "matcher \(matcher.name)'s regex uses \(re2), which Alertmanager (RE2) and POSIX read differently; write it as a bracket expression like [0-9]"
        }
        do {
            _ = try PosixRegex("^(" + matcher.value.raw + ")$")
            return nil
        } catch {
            return "matcher \(matcher.name)'s regex is not a POSIX extended regular expression: \(error.message)"
        }
    }
}
