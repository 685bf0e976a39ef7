/// What a run's end records of it for the lists (`history`, `due`): the scenario it ran, how
/// it ended, and its headline figures with their bounds and verdicts. Reading it is reading one
/// small event instead of replaying the run; `verify` checks it against the replay. Written
/// flat (nanoseconds as plain numbers) so a list of 10,000 runs decodes quickly.
public struct RunHeadline: Hashable, Sendable {
    public var scenario: String
    public var status: RunStatus
    public var rto: DrillMeasurement.Span?
    public var rpo: DrillMeasurement.Span?
    public var timeToDetect: DrillMeasurement.Span?
    public var rtoObjective: DrillMeasurement.Objective?
    public var rpoObjective: DrillMeasurement.Objective?
    public var detectObjective: DrillMeasurement.Objective?
    /// The alert whose firing set the `detected` mark; nil where a Firedrill probe did.
    public var detectedBy: String?
    /// The age at the disaster of the oldest restore point restored and verified.
    public var retention: DrillMeasurement.Span?
    public var retentionObjective: DrillMeasurement.Objective?
    public var forgetAfterObjective: DrillMeasurement.Objective?
    /// Restore points listed past `forget_after`; nil without that objective or an inventory.
    public var pastForgetAfter: Int?
    /// The latest inventory's oldest and newest restore points (Unix nanoseconds).
    public var windowOldestNs: Int64?
    public var windowNewestNs: Int64?

    public init(scenario: String, status: RunStatus, measurement: DrillMeasurement) {
        self.scenario = scenario
        self.status = status
        rto = measurement.rto
        rpo = measurement.rpo?.span
        timeToDetect = measurement.timeToDetect
        rtoObjective = measurement.rtoObjective
        rpoObjective = measurement.rpoObjective
        detectObjective = measurement.detectObjective
        detectedBy = measurement.detection?.alert.name
        retention = measurement.retention?.span
        retentionObjective = measurement.retentionObjective
        forgetAfterObjective = measurement.forgetAfterObjective
        pastForgetAfter = measurement.forgetAfterObjective?.verdict == .unmeasured ? nil : measurement.retention?.pastForgetAfter?.count
        windowOldestNs = measurement.retention?.oldest?.wallNs
        windowNewestNs = measurement.retention?.newest?.wallNs
    }

    /// No figures yet: what a reader fills in.
    public init(scenario: String, status: RunStatus) {
        self.scenario = scenario
        self.status = status
    }

    /// As `DrillMeasurement.objectivesVerdict`, from the objectives alone.
    public var objectivesVerdict: DrillMeasurement.Verdict? {
        DrillMeasurement.verdict(of: [rtoObjective, rpoObjective, detectObjective, retentionObjective, forgetAfterObjective])
    }

    public var objectivesMet: Bool? { objectivesVerdict.map { $0 == .met } }

    /// Each value that differs from `other`'s, with both ("RTO 1.2s recorded, 1.4s by replay").
    public func differences(from other: RunHeadline) -> [String] {
        func span(_ s: DrillMeasurement.Span?) -> String {
            s.map { "\($0.value.secondsText) [\($0.lower.secondsText), \($0.upper.secondsText)] resolution \($0.resolution) (\($0.resolutionSource))" } ?? "none"
        }
        func objective(_ o: DrillMeasurement.Objective?) -> String { o.map { "\($0.target) \($0.verdict.rawValue)" } ?? "none" }
        var found: [String] = []
        func compare(_ name: String, _ mine: String, _ theirs: String) {
            if mine != theirs { found.append("\(name) \(mine) recorded, \(theirs) by replay") }
        }
        compare("scenario", "'\(scenario)'", "'\(other.scenario)'")
        compare("status", status.rawValue, other.status.rawValue)
        compare("RTO", span(rto), span(other.rto))
        compare("RPO", span(rpo), span(other.rpo))
        compare("time to detect", span(timeToDetect), span(other.timeToDetect))
        compare("the RTO objective", objective(rtoObjective), objective(other.rtoObjective))
        compare("the RPO objective", objective(rpoObjective), objective(other.rpoObjective))
        compare("the detect objective", objective(detectObjective), objective(other.detectObjective))
        compare("detected by", detectedBy ?? "a Firedrill probe", other.detectedBy ?? "a Firedrill probe")
        compare("retention", span(retention), span(other.retention))
        compare("the retention objective", objective(retentionObjective), objective(other.retentionObjective))
        compare("the forget_after objective", objective(forgetAfterObjective), objective(other.forgetAfterObjective))
        func count(_ n: Int?) -> String { n.map(String.init) ?? "none" }
        compare("restore points past forget_after", count(pastForgetAfter), count(other.pastForgetAfter))
        func wall(_ ns: Int64?) -> String { ns.map { WallTime.rfc3339($0, resolutionNs: 1) } ?? "none" }
        compare("the window's oldest point", wall(windowOldestNs), wall(other.windowOldestNs))
        compare("the window's newest point", wall(windowNewestNs), wall(other.windowNewestNs))
        return found
    }
}

extension RunHeadline: Codable {
    private enum Key: String, CodingKey {
        case scenario, status, rto, rpo, detect, rtoObjective = "rto_objective", rpoObjective = "rpo_objective"
        case detectObjective = "detect_objective", detectedBy = "detected_by"
        case retention, retentionObjective = "retention_objective", forgetAfterObjective = "forget_after_objective"
        case pastForgetAfter = "past_forget_after", windowOldestNs = "window_oldest_ns", windowNewestNs = "window_newest_ns"
    }

    /// A span as plain numbers: `{"ns":…,"lower_ns":…,"upper_ns":…,"resolution_ns":…,"resolution_source":…}`.
    private struct FlatSpan: Codable {
        var ns: Int64
        var lower_ns: Int64
        var upper_ns: Int64
        var resolution_ns: Int64
        var resolution_source: String
        init(_ s: DrillMeasurement.Span) {
            ns = s.value.nanoseconds
            lower_ns = s.lower.nanoseconds
            upper_ns = s.upper.nanoseconds
            resolution_ns = s.resolution.nanoseconds
            resolution_source = s.resolutionSource
        }
        var span: DrillMeasurement.Span {
            .init(value: .init(nanoseconds: ns), lower: .init(nanoseconds: lower_ns), upper: .init(nanoseconds: upper_ns),
                  resolution: .init(nanoseconds: resolution_ns), resolutionSource: resolution_source)
        }
    }

    /// An objective as `{"target_ns":…,"verdict":…}`.
    private struct FlatObjective: Codable {
        var target_ns: Int64
        var verdict: DrillMeasurement.Verdict
        init(_ o: DrillMeasurement.Objective) {
            target_ns = o.target.nanoseconds
            verdict = o.verdict
        }
        var objective: DrillMeasurement.Objective { .init(target: .init(nanoseconds: target_ns), verdict: verdict) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        scenario = try c.decode(String.self, forKey: .scenario)
        status = try c.decode(RunStatus.self, forKey: .status)
        rto = try c.decodeIfPresent(FlatSpan.self, forKey: .rto)?.span
        rpo = try c.decodeIfPresent(FlatSpan.self, forKey: .rpo)?.span
        timeToDetect = try c.decodeIfPresent(FlatSpan.self, forKey: .detect)?.span
        rtoObjective = try c.decodeIfPresent(FlatObjective.self, forKey: .rtoObjective)?.objective
        rpoObjective = try c.decodeIfPresent(FlatObjective.self, forKey: .rpoObjective)?.objective
        detectObjective = try c.decodeIfPresent(FlatObjective.self, forKey: .detectObjective)?.objective
        detectedBy = try c.decodeIfPresent(String.self, forKey: .detectedBy)
        retention = try c.decodeIfPresent(FlatSpan.self, forKey: .retention)?.span
        retentionObjective = try c.decodeIfPresent(FlatObjective.self, forKey: .retentionObjective)?.objective
        forgetAfterObjective = try c.decodeIfPresent(FlatObjective.self, forKey: .forgetAfterObjective)?.objective
        pastForgetAfter = try c.decodeIfPresent(Int.self, forKey: .pastForgetAfter)
        windowOldestNs = try c.decodeIfPresent(Int64.self, forKey: .windowOldestNs)
        windowNewestNs = try c.decodeIfPresent(Int64.self, forKey: .windowNewestNs)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(scenario, forKey: .scenario)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(rto.map(FlatSpan.init), forKey: .rto)
        try c.encodeIfPresent(rpo.map(FlatSpan.init), forKey: .rpo)
        try c.encodeIfPresent(timeToDetect.map(FlatSpan.init), forKey: .detect)
        try c.encodeIfPresent(rtoObjective.map(FlatObjective.init), forKey: .rtoObjective)
        try c.encodeIfPresent(rpoObjective.map(FlatObjective.init), forKey: .rpoObjective)
        try c.encodeIfPresent(detectObjective.map(FlatObjective.init), forKey: .detectObjective)
        try c.encodeIfPresent(detectedBy, forKey: .detectedBy)
        try c.encodeIfPresent(retention.map(FlatSpan.init), forKey: .retention)
        try c.encodeIfPresent(retentionObjective.map(FlatObjective.init), forKey: .retentionObjective)
        try c.encodeIfPresent(forgetAfterObjective.map(FlatObjective.init), forKey: .forgetAfterObjective)
        try c.encodeIfPresent(pastForgetAfter, forKey: .pastForgetAfter)
        try c.encodeIfPresent(windowOldestNs, forKey: .windowOldestNs)
        try c.encodeIfPresent(windowNewestNs, forKey: .windowNewestNs)
    }
}
