/// The drill's measured figures, computed from a run's state alone.
public struct DrillMeasurement: Hashable, Sendable, Codable {
    /// A measured span with the interval it certainly lies in and the resolution that bounds it.
    public struct Span: Hashable, Sendable, Codable {
        public var value: DrillDuration
        public var lower: DrillDuration
        public var upper: DrillDuration
        /// What limits the precision: the probe period for a `wait_for` mark, the canary period for RPO.
        public var resolution: DrillDuration
        public var resolutionSource: String
        public init(value: DrillDuration, lower: DrillDuration, upper: DrillDuration, resolution: DrillDuration, resolutionSource: String) {
            self.value = value
            self.lower = lower
            self.upper = upper
            self.resolution = resolution
            self.resolutionSource = resolutionSource
        }
    }

    /// An objective is judged on the figure's bounds, never on its value alone.
    public enum Verdict: String, Hashable, Sendable, Codable {
        /// The upper bound is within the objective.
        case met
        /// The lower bound is past it.
        case missed
        /// The bounds straddle it: the drill cannot say.
        case undetermined
        /// No figure was measured.
        case unmeasured
    }

    public struct Objective: Hashable, Sendable, Codable {
        public var target: DrillDuration
        public var verdict: Verdict
        /// true met, false missed, nil undetermined or not measured.
        public var met: Bool? {
            switch verdict {
            case .met: true
            case .missed: false
            case .undetermined, .unmeasured: nil
            }
        }

        public init(target: DrillDuration, verdict: Verdict) {
            self.target = target
            self.verdict = verdict
        }

        /// Met only when the upper bound is within the target, missed only when the lower bound is past it.
        public init(target: DrillDuration, span: Span?, atLeast: DrillDuration? = nil) {
            self.target = target
            if let span {
                verdict = span.upper <= target ? .met : (span.lower > target ? .missed : .undetermined)
            } else if let atLeast, atLeast > target {
                verdict = .missed
            } else {
                verdict = .unmeasured
            }
        }
    }

    public struct PhaseTiming: Hashable, Sendable, Codable {
        public var name: String
        public var start: DrillInstant
        public var end: DrillInstant
        public var duration: DrillDuration { end - start }
    }

    public struct RPO: Hashable, Sendable, Codable {
        public var span: Span?
        public var acknowledgedWrites: Int
        public var failedWrites: Int
        public var lostWrites: Int
        public var highestAcknowledgedSeq: Int?
        public var highestSurvivingSeq: Int?
        /// Why RPO is unknown, when it is.
        public var unknownBecause: String?
        /// When no acknowledged write survived: the RPO is at least this (the whole canary window).
        public var atLeast: DrillDuration?
    }

    public var rto: Span?
    public var rtoUnknownBecause: String?
    public var timeToDetect: Span?
    /// The alert that set the `detected` mark, when an `alert` probe did.
    public var detection: Detection?
    /// Why time to detect is not measured though the mark was reached (an alert firing before the disaster).
    public var detectUnknownBecause: String?
    public var detectObjective: Objective?
    public var rpo: RPO?
    public var rtoObjective: Objective?
    public var rpoObjective: Objective?
    /// The recovery window, when the drill listed or restored backups.
    public var retention: Retention?
    public var retentionObjective: Objective?
    public var forgetAfterObjective: Objective?
    public var phases: [PhaseTiming]
    /// Time spent waiting on operators for manual steps.
    public var manualWait: DrillDuration

    /// missed when one was missed; else undetermined when one's bounds straddle it; else
    /// unmeasured when one has no figure; met when all were; nil without objectives.
    public var objectivesVerdict: Verdict? { Self.verdict(of: [rtoObjective, rpoObjective, detectObjective, retentionObjective, forgetAfterObjective]) }

    static func verdict(of objectives: [Objective?]) -> Verdict? {
        let verdicts = objectives.compactMap { $0?.verdict }
        if verdicts.isEmpty { return nil }
        if verdicts.contains(.missed) { return .missed }
        if verdicts.allSatisfy({ $0 == .met }) { return .met }
        return verdicts.contains(.undetermined) ? .undetermined : .unmeasured
    }

    /// true when every objective was met, false when one was missed or could not be judged, nil without objectives.
    public var objectivesMet: Bool? { objectivesVerdict.map { $0 == .met } }

    public init(scenario: Scenario, state: RunState) {
        let disaster = state.mark("disaster")
        let recovered = state.mark("recovered")
        let detected = state.mark("detected")

        if let disaster, let recovered {
            rto = Self.span(from: disaster, to: recovered)
        } else {
            rto = nil
            rtoUnknownBecause = disaster == nil ? "no disaster mark was reached" : "no recovered mark was reached"
        }
        if let disaster, let detected {
            switch Self.detection(scenario: scenario, state: state, disaster: disaster, detected: detected) {
            case .measured(let span, let detection)?:
                timeToDetect = span
                self.detection = detection
            case .stale(let why)?:
                detectUnknownBecause = why
            case nil:
                timeToDetect = Self.span(from: disaster, to: detected)
            }
        }
        if let target = scenario.objectives.detect { detectObjective = .init(target: target, span: timeToDetect) }

        if let canary = state.canary, canary.startedAt != nil {
            rpo = Self.rpo(canary: canary, disaster: disaster)
        }

        if let target = scenario.objectives.rto {
            rtoObjective = .init(target: target, span: rto)
        }
        if let target = scenario.objectives.rpo {
            rpoObjective = .init(target: target, span: rpo?.span, atLeast: rpo?.atLeast)
        }
        retention = Self.retention(state: state, disaster: disaster, forgetAfter: scenario.objectives.forgetAfter)
        if let target = scenario.objectives.retention {
            retentionObjective = Self.atLeast(target: target, span: retention?.span)
        }
        if let target = scenario.objectives.forgetAfter {
            forgetAfterObjective = Self.forgetAfterObjective(target: target, retention: retention, listed: !state.inventories.isEmpty)
        }

        var phases: [PhaseTiming] = []
        for (index, phase) in scenario.phases.enumerated() {
            let attempts = state.attempts.filter { if case .phase(index, _) = $0.ref { true } else { false } }
            guard let start = attempts.map(\.startedAt).min() else { continue }
            let end = attempts.map { $0.endedAt ?? $0.startedAt }.max() ?? start
            phases.append(.init(name: phase.name, start: start, end: end))
        }
        self.phases = phases
        manualWait = state.attempts.reduce(.zero) { total, attempt in
            guard attempt.confirmation != nil || attempt.verdict == nil,
                  let step = scenario.step(attempt.ref, ledger: state.ledger), step.action.as(ManualStep.self) != nil,
                  let end = attempt.endedAt else { return total }
            return total + (end - attempt.startedAt)
        }
    }

    /// From one mark to a later one: the value is between the marks' instants, the bounds
    /// the widest and narrowest the marks' own bounds allow.
    static func span(from start: Mark, to end: Mark) -> Span {
        let resolution = [start.probeInterval, end.probeInterval].compactMap { $0 }.max()
        let widest = max(end.upper - end.lower, start.upper - start.lower)
        let periods = [start, end].compactMap(\.probePeriod)
        let source = resolution == nil ? "step duration"
            : periods.isEmpty ? "probe period" : "probe spacing achieved (period \(periods.min()!))"
        return Span(
            value: end.at - start.at,
            lower: end.lower - start.upper,
            upper: end.upper - start.lower,
            resolution: resolution ?? widest.wholeMillisecondsUp,
            resolutionSource: source
        )
    }

    /// RPO: the disaster instant minus the acknowledgement of the newest acknowledged write
    /// that survived; 0 when no acknowledged write was lost.
    static func rpo(canary: RunState.Canary, disaster: Mark?) -> RPO {
        let acknowledged = canary.writes.filter(\.acknowledged).sorted { $0.seq < $1.seq }
        var result = RPO(span: nil, acknowledgedWrites: acknowledged.count, failedWrites: canary.writes.count - acknowledged.count,
                         lostWrites: 0, highestAcknowledgedSeq: acknowledged.last?.seq, highestSurvivingSeq: nil)
        guard let disaster else { result.unknownBecause = "no disaster mark was reached"; return result }
        guard let read = canary.read else { result.unknownBecause = "the canary was not read back"; return result }
        guard read.report.passed else {
            result.unknownBecause = "the canary read failed: \(read.report.summary)"
            return result
        }
        guard let surviving = read.highestSeq else {
            result.unknownBecause = "the canary read's output holds no sequence number (a whole, non-negative number): \(read.report.summary)"
            return result
        }
        result.highestSurvivingSeq = surviving
        // Nothing acknowledged, nothing known to lose: a read proves no point in time.
        guard !acknowledged.isEmpty else {
            result.unknownBecause = "no canary write was acknowledged (\(canary.writes.count) sent), so no recovery point can be measured"
            return result
        }
        // Every sequence number handed out may have landed, even a write cancelled in flight.
        let highestWritten = max(canary.nextSeq - 1, canary.writes.map(\.seq).max() ?? 0)
        if surviving > highestWritten {
            result.unknownBecause = "the canary read returned \(surviving), above the highest sequence number ever written (\(highestWritten)): the read is wrong, so RPO is not measured"
            return result
        }
        let lost = acknowledged.filter { $0.seq > surviving }
        result.lostWrites = lost.count
        let (resolution, source) = Self.spacing(of: canary.writes.map(\.endedAt), period: canary.every, name: "canary")
        let zero = Span(value: .zero, lower: .zero, upper: resolution, resolution: resolution, resolutionSource: source)
        guard !lost.isEmpty else { result.span = zero; return result }
        if let newest = acknowledged.last(where: { $0.seq <= surviving }) {
            // For a continuous workload the last surviving instant lies between this write's
            // acknowledgement and the first lost write's: a lost write may have been in flight (held
            // by a lock, queued) past the recovery point, so only its acknowledgement bounds it.
            let value = disaster.at - newest.endedAt
            let firstLost = lost.first.map { disaster.at - $0.endedAt } ?? value
            result.span = Span(value: value, lower: max(.zero, min(firstLost, value)), upper: value,
                               resolution: resolution, resolutionSource: source)
        } else if let start = canary.startedAt {
            // Older data may be lost too: a lower bound, with no upper one.
            result.atLeast = disaster.at - start
            result.unknownBecause = "no acknowledged write survived: at least the whole canary window (\((disaster.at - start).secondsText)) was lost"
        }
        return result
    }

    /// The spacing actually achieved between consecutive samples (writes that took longer than
    /// the period land further apart), never finer than the period asked for.
    public static func spacing(of instants: [DrillInstant], period: DrillDuration, name: String) -> (DrillDuration, String) {
        let sorted = instants.sorted()
        let widest = (zip(sorted, sorted.dropFirst()).map { $1 - $0 }.max() ?? period).wholeMillisecondsUp
        return widest > period ? (widest, "\(name) spacing achieved (period \(period))") : (period, "\(name) period")
    }
}

extension DrillMeasurement.Verdict {
    /// For summaries: what is not met stands out.
    public var summaryWord: String {
        switch self {
        case .met: "met"
        case .missed: "MISSED"
        case .undetermined: "UNDETERMINED (its bounds straddle the objective)"
        case .unmeasured: "NOT MEASURED"
        }
    }
}

