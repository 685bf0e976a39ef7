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
    public func matches(_ labels: [String: String]) -> Bool {
        let label = labels[name] ?? ""
        let holds: Bool
        if isRegex {
            holds = (try? PosixRegex("^(" + value + ")$"))?.matches(label) ?? false
        } else {
            holds = label == value
        }
        return holds == isEqual
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

    public static func read(_ text: String) throws(ReadError) -> [AlertSeen] {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw ReadError(message: "Alertmanager's answer is \(error.description)") }
        guard case .array(let items) = root else { throw ReadError(message: "expected Alertmanager's list of alerts, got \(root.kindName)") }
        var alerts: [AlertSeen] = []
        for (index, item) in items.enumerated() {
            guard case .object(let members)? = item["labels"] else { throw ReadError(message: "alert \(index + 1) has no labels") }
            var labels: [String: String] = [:]
            for (name, value) in members { labels[name] = value.text.map { String($0.prefix(256)) } ?? "" }
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
        alerts.filter { alert in
            guard state.admits(alert.state) else { return false }
            guard matchers.allSatisfy({ $0.matches(alert.labels) }) else { return false }
            return unless.isEmpty || !unless.allSatisfy { $0.matches(alert.labels) }
        }.sorted { ($0.startsAtNs ?? .max, $0.name) < ($1.startsAtNs ?? .max, $1.name) }
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
