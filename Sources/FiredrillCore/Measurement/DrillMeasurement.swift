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
    }

    public struct Objective: Hashable, Sendable, Codable {
        public var target: DrillDuration
        /// nil when the figure could not be measured.
        public var met: Bool?
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
    }

    public var rto: Span?
    public var rtoUnknownBecause: String?
    public var timeToDetect: Span?
    public var rpo: RPO?
    public var rtoObjective: Objective?
    public var rpoObjective: Objective?
    public var phases: [PhaseTiming]
    /// Time spent waiting on operators for manual steps.
    public var manualWait: DrillDuration

    /// true when every objective was met, false when one was missed or could not be measured, nil without objectives.
    public var objectivesMet: Bool? {
        let objectives = [rtoObjective, rpoObjective].compactMap { $0 }
        if objectives.isEmpty { return nil }
        return objectives.allSatisfy { $0.met == true }
    }

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
        if let disaster, let detected { timeToDetect = Self.span(from: disaster, to: detected) }

        if let canary = state.canary, canary.startedAt != nil {
            rpo = Self.rpo(canary: canary, disaster: disaster)
        }

        if let target = scenario.objectives.rto {
            rtoObjective = .init(target: target, met: rto.map { $0.value <= target })
        }
        if let target = scenario.objectives.rpo {
            rpoObjective = .init(target: target, met: rpo?.span.map { $0.value <= target })
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
                  let step = scenario.step(attempt.ref, ledger: state.ledger), case .manual = step.action,
                  let end = attempt.endedAt else { return total }
            return total + (end - attempt.startedAt)
        }
    }

    /// From one mark to a later one: the value is between the marks' instants, the bounds
    /// the widest and narrowest the marks' own bounds allow.
    static func span(from start: Mark, to end: Mark) -> Span {
        let resolution = [start.probeInterval, end.probeInterval].compactMap { $0 }.max()
        let widest = max(end.upper - end.lower, start.upper - start.lower)
        return Span(
            value: end.at - start.at,
            lower: end.lower - start.upper,
            upper: end.upper - start.lower,
            resolution: resolution ?? widest,
            resolutionSource: resolution != nil ? "probe period" : "step duration"
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
        guard read.report.passed, let surviving = read.highestSeq else {
            result.unknownBecause = "the canary read failed: \(read.report.summary)"
            return result
        }
        result.highestSurvivingSeq = surviving
        let lost = acknowledged.filter { $0.seq > surviving }
        result.lostWrites = lost.count
        let zero = Span(value: .zero, lower: .zero, upper: canary.every, resolution: canary.every, resolutionSource: "canary period")
        guard !lost.isEmpty else { result.span = zero; return result }
        if let newest = acknowledged.last(where: { $0.seq <= surviving }) {
            // For a continuous workload the last surviving instant lies between this write's
            // acknowledgement and the start of the first lost write: those are the bounds.
            let value = disaster.at - newest.endedAt
            let firstLost = lost.first.map { disaster.at - $0.startedAt } ?? value
            result.span = Span(value: value, lower: max(.zero, min(firstLost, value)), upper: value,
                               resolution: canary.every, resolutionSource: "canary period")
        } else if let start = canary.startedAt {
            let value = disaster.at - start
            result.span = Span(value: value, lower: value, upper: value, resolution: canary.every, resolutionSource: "canary period")
            result.unknownBecause = "no acknowledged write survived: at least the whole canary window was lost"
        }
        return result
    }
}
