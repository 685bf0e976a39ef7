/// `alerting: {priorities: {P1: {severity: critical}, ...}, causes: P2}`: how alert labels map to
/// priorities, and the highest priority this drill is meant to cause.
public struct Alerting: Hashable, Sendable, Codable {
    public var priorities: [PriorityRule]
    /// The highest priority the drill's fault should raise; an alert above it, or none reaching
    /// it, is a finding.
    public var causes: String?
    /// Whether the scenario wrote its own priorities (else a project's, recorded at the run's start, apply).
    public var prioritiesWritten: Bool
    public var location: SourceLocation

    public init(priorities: [PriorityRule] = Alerting.defaultPriorities, causes: String? = nil, prioritiesWritten: Bool = false,
                location: SourceLocation = .synthesized()) {
        self.prioritiesWritten = prioritiesWritten
        self.priorities = priorities
        self.causes = causes
        self.location = location
    }

    /// Where a scenario says nothing: the severities kube-prometheus and most teams use.
    public static let defaultPriorities = [
        PriorityRule(priority: "P1", labels: ["severity": "critical"]),
        PriorityRule(priority: "P2", labels: ["severity": "warning"]),
        PriorityRule(priority: "P2", labels: ["severity": "error"]),
        PriorityRule(priority: "P3", labels: ["severity": "info"]),
    ]

    public static let priorityNames = ["P1", "P2", "P3"]

    /// The first rule whose labels all match; nil for an alert no rule names.
    public func priority(of labels: [String: String]) -> String? {
        priorities.first { rule in rule.labels.allSatisfy { labels[$0.key] == $0.value } }?.priority
    }

    /// P1 is the highest: a lower number outranks.
    public static func rank(_ priority: String) -> Int { Int(priority.dropFirst()) ?? 99 }
}

public struct PriorityRule: Hashable, Sendable, Codable {
    public var priority: String
    /// Every one of these labels must have this value.
    public var labels: [String: String]
    public init(priority: String, labels: [String: String]) {
        self.priority = priority
        self.labels = labels
    }
}

import Yams

extension Alerting {
    /// The priorities a project sets for every scenario that does not write its own: a YAML file
    /// (`firedrill run --priorities FILE`, or `FIREDRILL_PRIORITIES`) shaped as `alerting.priorities`,
    /// `{P1: {severity: critical}, P2: [{severity: warning}, {severity: error}]}`.
    public static func projectPriorities(yaml text: String, file: String) throws(PriorityFileError) -> [PriorityRule] {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch { throw PriorityFileError(message: "\(file): not YAML: \(error)") }
        guard let map = loaded as? [String: Any] else { throw PriorityFileError(message: "\(file): expected a mapping of P1, P2 and P3 to labels") }
        var rules: [PriorityRule] = []
        for name in priorityNames {
            guard let value = map[name] else { continue }
            let items: [Any] = (value as? [Any]) ?? [value]
            for item in items {
                guard let labels = item as? [String: Any], !labels.isEmpty else {
                    throw PriorityFileError(message: "\(file): \(name) must name labels, like {severity: critical}")
                }
                rules.append(PriorityRule(priority: name, labels: labels.mapValues { "\($0)" }))
            }
        }
        for key in map.keys where !priorityNames.contains(key) {
            throw PriorityFileError(message: "\(file): unknown priority '\(key)'; give P1, P2 or P3")
        }
        guard !rules.isEmpty else { throw PriorityFileError(message: "\(file): no priorities") }
        return rules
    }

    public struct PriorityFileError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// What a run was judged by: the scenario's own priorities, else the project's its start
    /// recorded, else the default.
    public static func effective(_ scenario: Scenario, started: RunStarted?) -> Alerting {
        var alerting = scenario.alerting ?? Alerting()
        if !alerting.prioritiesWritten, let project = started?.priorities, !project.isEmpty { alerting.priorities = project }
        return alerting
    }
}
