/// A step's action with every `${...}` substituted: exactly what a driver performs.
public enum ResolvedAction: Hashable, Sendable, Codable {
    case run(argv: [String])
    case shell(script: String)
    case http(ResolvedHTTP)
    case tcp(host: String, port: Int, timeout: DrillDuration?)
    case kill(KillTarget, signal: String, processGroup: Bool)
    case sleep(DrillDuration)
    case prometheus(ResolvedPrometheus)

    public enum KillTarget: Hashable, Sendable, Codable {
        case pid(Int32)
        case pidfile(String)
    }

    /// One line for progress output, plans and reports.
    public var summary: String {
        switch self {
        case .run(let argv): "run " + argv.map(Self.quoted).joined(separator: " ")
        case .shell(let script): "shell " + Self.quoted(script)
        case .http(let http): "\(http.method) \(http.url)"
        case .tcp(let host, let port, _): "tcp connect \(host.contains(":") ? "[\(host)]" : host):\(port)"
        case .kill(.pid(let pid), let signal, let group): "kill -\(signal) \(group ? "process group of " : "")pid \(pid)"
        case .kill(.pidfile(let path), let signal, let group): "kill -\(signal) \(group ? "process group of " : "")pid in \(path)"
        case .sleep(let duration): "sleep \(duration)"
        case .prometheus(let prom): "PromQL \(prom.query) at \(prom.url), expect \(prom.expect)"
        }
    }

    /// The request's own time limit, for the actions that set one.
    public var ownTimeout: DrillDuration? {
        switch self {
        case .http(let http): http.timeout
        case .tcp(_, _, let timeout): timeout
        case .prometheus(let prom): prom.timeout
        case .run, .shell, .kill, .sleep: nil
        }
    }

    static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingAll("'", with: "'\\''") + "'"
    }
}

public struct ResolvedPrometheus: Hashable, Sendable, Codable {
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
}

public struct ResolvedHTTP: Hashable, Sendable, Codable {
    public var method: String
    public var url: String
    public var headers: [Pair]
    public var body: String?
    public var status: [Int]
    public var bodyContains: String?
    public var timeout: DrillDuration?
    /// The most of the response body read, in bytes; nil: `ByteSize.defaultMaxBody`.
    public var maxBody: Int?

    public struct Pair: Hashable, Sendable, Codable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, url: String, headers: [Pair] = [], body: String? = nil, status: [Int] = [],
                bodyContains: String? = nil, timeout: DrillDuration? = nil, maxBody: Int? = nil) {
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
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
