extension DrillMeasurement {
    /// How the outage was found when an `alert` probe set the `detected` mark: the alert that
    /// fired first, as Alertmanager listed it, and the time from the disaster to its firing.
    public struct Detection: Hashable, Sendable, Codable {
        public var alert: AlertSeen
        /// The step whose probe saw it.
        public var stepName: String
        /// When the alert's own `startsAt` is later than the probe saw it: the clocks disagree, and
        /// the figure rests on the probe's observation alone.
        public var clockNote: String?
    }

    /// Time to detect through the alerting chain: from the disaster to the alert's `startsAt`,
    /// bounded below by `startsAt` against the disaster's latest instant and above by when the
    /// probe saw it; its resolution is the probe's spacing. nil when the mark is not an alert's.
    enum DetectionResult {
        case measured(Span, Detection)
        /// The alert the probe saw was firing before the disaster: it found nothing the drill did.
        case stale(String)
    }

    static func detection(scenario: Scenario, state: RunState, disaster: Mark, detected: Mark) -> DetectionResult? {
        guard let step = scenario.step(detected.ref, ledger: state.ledger) else { return nil }
        let probe = step.action.as(WaitFor.self)?.probe ?? step.action
        guard probe.as(AlertProbe.self) != nil,
              let attempt = state.attempts.last(where: { $0.ref == detected.ref && $0.verdict == .passed }),
              let observation = attempt.report?.alerts, let seenWall = observation.observedWallNs, let end = attempt.endedAt,
              observation.alerts.contains(where: { $0.startsAtNs != nil }) else { return nil }
        // The wall clock at a run instant, from the poll's reading and the monotonic clock since.
        func wall(_ instant: DrillInstant) -> Int64 { seenWall &+ (instant - end).nanoseconds }
        // Only an alert that started at or after the disaster (its resolution allowing) was caused by it.
        let since = wall(disaster.lower)
        guard let alert = observation.alerts.first(where: { ($0.startsAtNs ?? .min) &+ ($0.startsAtResolutionNs ?? 0) >= since }),
              let firedNs = alert.startsAtNs else {
            let stale = observation.alerts.first { $0.startsAtNs != nil }!
            return .stale("the alert the probe saw, \(stale.name), was firing before the disaster (since \(stale.startsAt)): it measures nothing the drill did")
        }
        let seenBy = wall(detected.upper)
        var note: String?
        var fired = firedNs
        var firedEarliest = firedNs &- (alert.startsAtResolutionNs ?? 0)
        if fired > seenBy {
            note = "the alert's startsAt (\(alert.startsAt)) is after the probe saw it: Alertmanager's clock and this host's disagree, so the figure is when the probe saw it"
            fired = wall(detected.at)
            // It appeared some time after the last probe that did not see it.
            firedEarliest = wall(detected.lower)
        }
        let resolution = max(detected.probeInterval ?? .zero, DrillDuration(nanoseconds: alert.startsAtResolutionNs ?? 0))
        let source = detected.probePeriod != nil ? "alert probe spacing achieved (period \(detected.probePeriod!))" : "alert probe period"
        let span = Span(value: .init(nanoseconds: fired &- wall(disaster.at)),
                        lower: .init(nanoseconds: max(0, firedEarliest &- wall(disaster.upper))),
                        upper: .init(nanoseconds: seenBy &- wall(disaster.lower)), resolution: resolution, resolutionSource: source)
        return .measured(span, Detection(alert: alert, stepName: step.name, clockNote: note))
    }
}
