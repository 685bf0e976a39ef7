/// What `${...}` can name when a step runs: scenario vars (after `--var` overrides),
/// `env.NAME`, `secret.NAME`, `canary.seq`, `run.id`, `scenario.name`, and `mark.NAME` once that
/// mark is on the record.
public struct VariableScope: Hashable, Sendable {
    public var vars: [String: String]
    public var environment: [String: String]
    public var runID: String
    public var scenarioName: String
    public var canarySeq: Int?
    /// Declared secrets' values, read from the environment when the run starts or resumes.
    public var secrets: [String: String]
    /// The marks recorded so far, as Unix seconds to the millisecond (`unixSeconds`).
    public var marks: [String: String] = [:]

    public init(vars: [String: String], environment: [String: String], runID: String, scenarioName: String, canarySeq: Int? = nil,
                secrets: [String: String] = [:]) {
        self.vars = vars
        self.environment = environment
        self.runID = runID
        self.scenarioName = scenarioName
        self.canarySeq = canarySeq
        self.secrets = secrets
    }

    public func lookup(_ name: String) -> String? {
        if name.hasPrefix("env.") { return environment[String(name.dropFirst(4))] }
        if name.hasPrefix("secret.") { return secrets[String(name.dropFirst(7))] }
        if name.hasPrefix("mark.") { return marks[String(name.dropFirst(5))] }
        switch name {
        case "canary.seq": return canarySeq.map(String.init)
        case "run.id": return runID
        case "scenario.name": return scenarioName
        default: return vars[name]
        }
    }

    /// `1763700000.123`: Unix seconds to the millisecond, as PromQL's `@` and `date -d @` take them.
    public static func unixSeconds(_ wallNs: Int64) -> String {
        guard wallNs >= 0 else { return "-" + unixSeconds(-wallNs) }
        let millis = wallNs / 1_000_000
        let frac = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    public func with(canarySeq seq: Int) -> VariableScope {
        var copy = self
        copy.canarySeq = seq
        return copy
    }

    public func resolve(_ template: Template) throws(UnresolvedReference) -> String {
        try template.resolve(lookup)
    }

    /// Resolves the scenario's vars in order (each may use `env.*` and earlier vars);
    /// `overrides` (from `--var`) replace values verbatim.
    public static func resolveVars(_ vars: [Variable], overrides: [String: String], environment: [String: String],
                                   runID: String, scenarioName: String) throws(UnresolvedReference) -> [String: String] {
        var scope = VariableScope(vars: [:], environment: environment, runID: runID, scenarioName: scenarioName)
        for variable in vars {
            if let override = overrides[variable.name] {
                scope.vars[variable.name] = override
            } else {
                scope.vars[variable.name] = try scope.resolve(variable.value)
            }
        }
        for (name, value) in overrides where scope.vars[name] == nil { scope.vars[name] = value }
        return scope.vars
    }

    public func resolve(_ probe: Probe) throws(UnresolvedReference) -> ResolvedAction {
        switch probe {
        case .run(let argv):
            var words: [String] = []
            for word in argv { words.append(try resolve(word)) }
            return .run(argv: words)
        case .shell(let script):
            return .shell(script: try resolve(script))
        case .http(let http):
            var headers: [ResolvedHTTP.Pair] = []
            for header in http.headers { headers.append(.init(name: header.name, value: try resolve(header.value))) }
            return .http(ResolvedHTTP(
                method: http.method.uppercased(), url: try resolve(http.url), headers: headers,
                body: try resolveOptional(http.body), status: http.status,
                bodyContains: try resolveOptional(http.bodyContains), timeout: http.timeout, maxBody: http.maxBody))
        case .prometheus(let prom):
            return .prometheus(ResolvedPrometheus(
                url: try resolve(prom.url), query: try resolve(prom.query), expect: prom.expect,
                basicUser: try resolveOptional(prom.basicUser), basicPassword: try resolveOptional(prom.basicPassword),
                bearerToken: try resolveOptional(prom.bearerToken), timeout: prom.timeout, maxBody: prom.maxBody))
        case .tcp(let tcp):
            let address = try resolve(tcp.address)
            let (host, port) = Self.split(address)
            return .tcp(host: host, port: port ?? 0, timeout: tcp.timeout)
        }
    }

    func resolveOptional(_ template: Template?) throws(UnresolvedReference) -> String? {
        guard let template else { return nil }
        return try resolve(template)
    }

    /// "host:port", "[::1]:port".
    static func split(_ address: String) -> (String, Int?) {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        guard let colon = address.lastIndex(of: ":") else { return (address, nil) }
        return (String(address[..<colon]), Int(address[address.index(after: colon)...]))
    }

    /// The step's action resolved, or the manual instructions.
    public func resolve(_ action: StepAction) throws(UnresolvedReference) -> (action: ResolvedAction?, instructions: String?) {
        switch action {
        case .probe(let probe): return (try resolve(probe), nil)
        case .waitFor(let waitFor): return (try resolve(waitFor.probe), nil)
        case .sleep(let duration): return (.sleep(duration), nil)
        case .manual(let instructions): return (nil, try resolve(instructions))
        case .kill(let kill):
            let target: ResolvedAction.KillTarget
            switch kill.target {
            case .pid(let template):
                let text = try resolve(template)
                guard let pid = Int32(text.trimmingSpaces) else {
                    throw UnresolvedReference(name: "pid '\(text)' is not a process id", location: template.location, unterminated: false)
                }
                target = .pid(pid)
            case .pidfile(let template): target = .pidfile(try resolve(template))
            }
            return (.kill(target, signal: kill.signal, processGroup: kill.processGroup), nil)
        }
    }
}
