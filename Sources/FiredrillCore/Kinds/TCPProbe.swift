import Yams

/// `tcp: host:port` or `tcp: {address, timeout}`: passes when a TCP connection opens.
public struct TCPProbe: ActionSpec {
    /// "host:port", "[v6]:port".
    public var address: Template
    public var timeout: DrillDuration?
    public init(address: Template, timeout: DrillDuration? = nil) {
        self.address = address
        self.timeout = timeout
    }

    public static let kind = ActionKind(
        key: "tcp", value: "`host:port` string or mapping", isProbe: true, injects: .never, example: "\"127.0.0.1:5432\"",
        summary: "Opens a TCP connection, see below.")
    public static let keys = ["address", "timeout"]
    static var types: [String: SchemaJSON.Object] { ["address": SchemaJSON.ref("template"), "timeout": SchemaJSON.ref("duration")] }
    public static var schema: SchemaJSON.Object {
        ["oneOf": [SchemaJSON.ref("template"), SchemaJSON.object(keys, types, required: ["address"])]]
    }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("tcp", keys, types)] }
    public static var resolvedForms: [any ResolvedSpec.Type] { [ResolvedTCP.self] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        if case .scalar = node {
            guard !ScenarioReader.isNull(node) else { return reader.missingValue(entry, "an address like host:port") }
            guard let address = reader.template(node) else { return nil }
            reader.error(ScenarioValidator.Rules.tcpAddress(address), at: node)
            return .tcp(TCPProbe(address: address))
        }
        guard let fields = reader.fields(node, of: "tcp", allowed: keys, expected: "an address like host:port or a mapping with 'address'") else {
            return nil
        }
        guard let addressNode = reader.required(fields, "address"), let address = reader.template(addressNode) else { return nil }
        reader.error(ScenarioValidator.Rules.tcpAddress(address), at: addressNode)
        return .tcp(TCPProbe(address: address, timeout: reader.positiveDuration(fields.value("timeout"), key: "timeout")))
    }

    public var templates: [Template] { [address] }

    public func check(_ check: inout ActionCheck) {
        check.error(ScenarioValidator.Rules.tcpAddress(address), at: address.location)
        if let timeout { check.error(ScenarioValidator.Rules.positive(timeout, key: "timeout")) }
    }

    public func resolved(in scope: VariableScope) throws(UnresolvedReference) -> ResolvedAction? {
        let (host, port) = Self.split(try scope.resolve(address))
        return .tcp(host: host, port: port ?? 0, timeout: timeout)
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
}

/// A connection to open, as the TCP driver opens it.
public struct ResolvedTCP: ResolvedSpec {
    public var host: String
    public var port: Int
    public var timeout: DrillDuration?
    public init(host: String, port: Int, timeout: DrillDuration? = nil) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    public static let key = "tcp"
    public static let performer = "tcp"
    public var summary: String { "tcp connect \(host.contains(":") ? "[\(host)]" : host):\(port)" }
    public var ownTimeout: DrillDuration? { timeout }
}

extension ScenarioValidator.Rules {
    /// `host:port` or `[v6]:port`, checked when it holds no `${...}`.
    public static func tcpAddress(_ address: Template) -> String? {
        guard isLiteral(address) else { return nil }
        let text = address.raw
        let problem = "expected an address like host:port, got '\(text)'"
        guard let colon = text.lastIndex(of: ":") else { return problem }
        var host = text[..<colon]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return problem }
            host = host.dropFirst().dropLast()
        } else if host.contains(":") {
            return problem
        }
        guard !host.isEmpty, !host.contains(" "), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return problem }
        return nil
    }
}

extension Action {
    public static func tcp(_ tcp: TCPProbe) -> Action { Action(tcp) }
}

extension ResolvedAction {
    public static func tcp(host: String, port: Int, timeout: DrillDuration?) -> ResolvedAction {
        ResolvedAction(ResolvedTCP(host: host, port: port, timeout: timeout))
    }
}
