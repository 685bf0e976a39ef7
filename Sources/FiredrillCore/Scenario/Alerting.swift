/// `alerting: {priorities: {P1: {severity: critical}, ...}, causes: P2}`: how alert labels map to
/// priorities, and the highest priority this drill is meant to cause.
public struct Alerting: Hashable, Sendable, Codable {
    public var priorities: [PriorityRule]
    /// The highest priority the drill's fault should raise; an alert above it, or none reaching
    /// it, is a finding.
    public var causes: String?
    public var location: SourceLocation

    public init(priorities: [PriorityRule] = Alerting.defaultPriorities, causes: String? = nil, location: SourceLocation = .synthesized()) {
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
