/// A label matcher, as a silence writes it: `name` `=`, `!=`, `=~` or `!~` `value`, the regex
/// anchored at both ends as Alertmanager anchors it.
public struct AlertMatcher: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var value: String
    public var isRegex: Bool
    public var isEqual: Bool
    public init(name: String, value: String, isRegex: Bool = false, isEqual: Bool = true) {
        self.name = name
        self.value = value
        self.isRegex = isRegex
        self.isEqual = isEqual
    }

    /// `severity=~"crit.*"`: Alertmanager's filter syntax, with `"` and `\` escaped.
    public var description: String {
        let op = isRegex ? (isEqual ? "=~" : "!~") : (isEqual ? "=" : "!=")
        let escaped = value.unicodeScalars.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined()
        return "\(name)\(op)\"\(escaped)\""
    }

    /// Whether `labels` satisfy it; a label that is absent is the empty string, as in Alertmanager.
    /// A regex that does not compile matches nothing (the scenario's check refuses it first).
    public func matches(_ labels: [String: String]) -> Bool { compiled().matches(labels) }

    /// Compiled once, to match many alerts.
    public func compiled() -> Compiled { Compiled(matcher: self, regex: isRegex ? try? PosixRegex("^(" + value + ")$") : nil) }

    public struct Compiled: Sendable {
        public let matcher: AlertMatcher
        let regex: PosixRegex?
        public func matches(_ labels: [String: String]) -> Bool {
            let label = labels[matcher.name] ?? ""
            let holds = matcher.isRegex ? (regex?.matches(label) ?? false) : label == matcher.value
            return holds == matcher.isEqual
        }
    }

    /// RE2 syntax a POSIX expression reads differently (`\d` is a literal `d` there): refused,
    /// since Alertmanager reads the matcher as RE2 and Firedrill checks it again as POSIX.
    public static func re2Only(_ value: String) -> String? {
        if value.contains("(?") { return "'(?' (RE2 flags and groups)" }
        var escaped = false
        for c in value.unicodeScalars {
            if escaped {
                if ("a"..."z").contains(c) || ("A"..."Z").contains(c) { return "'\\\(c)' (an RE2 class or escape)" }
                escaped = false
            } else if c == "\\" {
                escaped = true
            }
        }
        return nil
    }
}

/// One alert as Alertmanager's v2 API lists it: what the record keeps of it.
public struct AlertSeen: Hashable, Sendable, Codable {
    public var labels: [String: String]
    /// As Alertmanager wrote it, and in Unix nanoseconds with its resolution.
    public var startsAt: String
    public var startsAtNs: Int64?
    public var startsAtResolutionNs: Int64?
    public var endsAt: String?
    /// `active`, `suppressed` or `unprocessed`.
    public var state: String
    public var silencedBy: [String]
    public var inhibitedBy: [String]
    public var receivers: [String]
    public var fingerprint: String?

    public init(labels: [String: String], startsAt: String, endsAt: String? = nil, state: String, silencedBy: [String] = [],
                inhibitedBy: [String] = [], receivers: [String] = [], fingerprint: String? = nil) {
        self.labels = labels
        self.startsAt = startsAt
        // Before 1970 is no alert's start (Go's zero time is year 1), and ages reckoned from it would overflow.
        let parsed = WallTime.parseRFC3339(startsAt).flatMap { $0.ns >= 0 ? $0 : nil }
        startsAtNs = parsed?.ns
        startsAtResolutionNs = parsed?.resolutionNs
        self.endsAt = endsAt
        self.state = state
        self.silencedBy = silencedBy
        self.inhibitedBy = inhibitedBy
        self.receivers = receivers
        self.fingerprint = fingerprint
    }

    public var name: String { labels["alertname"] ?? "(no alertname)" }

    /// `SampleServiceDown (severity critical) suppressed, receivers oncall-p1`.
    public var summary: String {
        let severity = labels["severity"].map { " (severity \($0))" } ?? ""
        let receivers = receivers.isEmpty ? "" : ", receivers \(receivers.joined(separator: ", "))"
        return "\(name)\(severity) \(state) since \(startsAt)\(receivers)"
    }
}

/// What one poll of Alertmanager saw: the alerts that matched, and when (wall clock, read by
/// the driver at the answer).
public struct AlertObservation: Hashable, Sendable, Codable {
    public var alerts: [AlertSeen]
    /// How many matched, when more than the record keeps.
    public var matched: Int
    public var observedWallNs: Int64?
    public init(alerts: [AlertSeen], matched: Int? = nil, observedWallNs: Int64? = nil) {
        self.alerts = alerts
        self.matched = matched ?? alerts.count
        self.observedWallNs = observedWallNs
    }

    /// At most this many alerts are kept per poll, each label value cut to 256 characters.
    public static let keptAlerts = 50
}

/// Alertmanager's `GET /api/v2/alerts` answer, read and judged.
public enum AlertList {
    public struct ReadError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// An answer listing more alerts than this is refused, not matched for minutes.
    public static let maxAlerts = 20_000

    public static func read(_ text: String) throws(ReadError) -> [AlertSeen] {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw ReadError(message: "Alertmanager's answer is \(error.description)") }
        guard case .array(let items) = root else { throw ReadError(message: "expected Alertmanager's list of alerts, got \(root.kindName)") }
        guard items.count <= maxAlerts else {
            throw ReadError(message: "Alertmanager listed \(items.count) alerts, over the \(maxAlerts) read; narrow the matchers")
        }
        var alerts: [AlertSeen] = []
        for (index, item) in items.enumerated() {
            guard case .object(let members)? = item["labels"] else { throw ReadError(message: "alert \(index + 1) has no labels") }
            var labels: [String: String] = [:]
            for (name, value) in members { labels[name] = value.text ?? "" }
            guard let startsAt = item["startsAt"]?.text else { throw ReadError(message: "alert \(index + 1) (\(labels["alertname"] ?? "?")) has no startsAt") }
            func names(_ node: JSONValue?) -> [String] {
                guard case .array(let list)? = node else { return [] }
                return list.prefix(20).compactMap { $0.text ?? $0["name"]?.text }
            }
            let status = item["status"]
            alerts.append(AlertSeen(labels: labels, startsAt: startsAt, endsAt: item["endsAt"]?.text, state: status?["state"]?.text ?? "unknown",
                                    silencedBy: names(status?["silencedBy"]), inhibitedBy: names(status?["inhibitedBy"]),
                                    receivers: names(item["receivers"]), fingerprint: item["fingerprint"]?.text))
        }
        return alerts
    }

    /// The alerts that match every matcher, none of the `unless` ones (all of which must match
    /// to exclude), in `state` (`any`: active or suppressed).
    public static func matching(_ alerts: [AlertSeen], matchers: [AlertMatcher], unless: [AlertMatcher], state: AlertState) -> [AlertSeen] {
        let must = matchers.map { $0.compiled() }
        let except = unless.map { $0.compiled() }
        return alerts.filter { alert in
            guard state.admits(alert.state) else { return false }
            guard must.allSatisfy({ $0.matches(alert.labels) }) else { return false }
            return except.isEmpty || !except.allSatisfy { $0.matches(alert.labels) }
        }.sorted { ($0.startsAtNs ?? .max, $0.name) < ($1.startsAtNs ?? .max, $1.name) }
    }

    /// How many of the alerts Alertmanager listed for these matchers Firedrill's own reading of
    /// them does not match: more than none means the two read the matchers differently.
    public static func disagreeing(_ alerts: [AlertSeen], matchers: [AlertMatcher]) -> Int {
        let must = matchers.map { $0.compiled() }
        return alerts.filter { alert in !must.allSatisfy { $0.matches(alert.labels) } }.count
    }

    /// The record's copy: each label value cut to 256 characters (matching used them whole).
    public static func forRecord(_ alert: AlertSeen) -> AlertSeen {
        var kept = alert
        kept.labels = alert.labels.mapValues { $0.count > 256 ? String($0.prefix(256)) + "…" : $0 }
        return kept
    }
}

/// Which alerts count as firing: `active` (paging), `suppressed` (silenced or inhibited, still
/// firing), or `any` of the two.
public enum AlertState: String, Hashable, Sendable, Codable, CaseIterable {
    case active, suppressed, any

    public func admits(_ state: String) -> Bool {
        switch self {
        case .active: state == "active"
        case .suppressed: state == "suppressed"
        case .any: state == "active" || state == "suppressed"
        }
    }
}
