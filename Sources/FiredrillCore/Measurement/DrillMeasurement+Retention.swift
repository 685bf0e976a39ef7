extension DrillMeasurement {
    /// The recovery window as the drill proved it: the oldest restore point it restored and
    /// verified, its age at the disaster, the window the latest inventory lists, and the restore
    /// points held past `forget_after`.
    public struct Retention: Hashable, Sendable, Codable {
        /// The age at the disaster of the oldest restore point restored and verified.
        public var span: Span?
        public var restored: RestorePoint?
        /// Why it is not measured, when it is not.
        public var unknownBecause: String?
        /// The latest inventory's oldest and newest restore points: the window it says it holds.
        public var oldest: RestorePoint?
        public var newest: RestorePoint?
        public var pointsListed: Int
        /// Restore points older than `forget_after` when listed (ids, oldest first); nil without that objective.
        public var pastForgetAfter: [RestorePoint]?
        /// Restore points whose age's bounds straddle `forget_after`.
        public var straddlingForgetAfter: [RestorePoint]?
        /// The oldest restore point any inventory listed, and its age then: what `forget_after` judges.
        public var oldestHeld: RestorePoint?
        public var oldestHeldAge: Span?
    }

    /// Met when the lower bound reaches the target (the point was at least that old), missed
    /// when the upper bound falls short of it.
    static func atLeast(target: DrillDuration, span: Span?) -> Objective {
        guard let span else { return Objective(target: target, verdict: .unmeasured) }
        return Objective(target: target, verdict: span.lower >= target ? .met : (span.upper < target ? .missed : .undetermined))
    }

    static func retention(state: RunState, disaster: Mark?, forgetAfter: DrillDuration?) -> Retention? {
        guard !state.inventories.isEmpty || !state.restores.isEmpty else { return nil }
        let latest = state.inventories.last?.inventory
        var result = Retention(oldest: latest?.oldest, newest: latest?.newest, pointsListed: latest?.points.count ?? 0)
        var best: (Span, RestorePoint)?
        var reasons: [String] = []
        for restore in state.restores {
            guard let point = restore.point, let index = restore.inventory, let inventory = state.inventories[safe: index] else {
                reasons.append("step '\(restore.stepName)': \(restore.note ?? "no restore point is known")")
                continue
            }
            if let note = restore.note, restore.verifiedAt == nil {
                reasons.append("the restore of \(point.id) (step '\(restore.stepName)') was not verified: \(note)")
                continue
            }
            guard restore.verifiedAt != nil else {
                reasons.append("the restore of \(point.id) (step '\(restore.stepName)') was not verified")
                continue
            }
            guard let disaster else { reasons.append("no disaster mark was reached"); continue }
            guard let at = inventory.wallNs(at: disaster.at), let lower = inventory.wallNs(at: disaster.lower),
                  let upper = inventory.wallNs(at: disaster.upper) else {
                reasons.append("the inventory of step '\(inventory.stepName)' has no wall-clock reading")
                continue
            }
            let markWidth = (disaster.upper - disaster.lower).wholeMillisecondsUp
            let resolution = DrillDuration(nanoseconds: max(point.resolutionNs, markWidth.nanoseconds))
            let source = point.resolutionNs >= markWidth.nanoseconds
                ? "restore point time as \(inventory.inventory.format) writes it" : "step duration"
            let span = Span(value: .init(nanoseconds: at - point.wallNs), lower: .init(nanoseconds: lower - point.wallNs - point.resolutionNs),
                            upper: .init(nanoseconds: upper - point.wallNs), resolution: resolution, resolutionSource: source)
            if best.map({ span.value > $0.0.value }) ?? true { best = (span, point) }
        }
        if let best {
            result.span = best.0
            result.restored = best.1
        } else {
            result.unknownBecause = reasons.first ?? "no step restored a restore point (restores:)"
        }
        for taken in state.inventories {
            guard let end = taken.inventory.listedWallNs, let point = taken.inventory.oldest else { continue }
            let start = end - (taken.endedAt - taken.startedAt).nanoseconds
            let age = Span(value: .init(nanoseconds: end - point.wallNs), lower: .init(nanoseconds: start - point.wallNs - point.resolutionNs),
                           upper: .init(nanoseconds: end - point.wallNs),
                           resolution: .init(nanoseconds: max(point.resolutionNs, (taken.endedAt - taken.startedAt).wholeMillisecondsUp.nanoseconds)),
                           resolutionSource: "restore point time as \(taken.inventory.format) writes it, and the listing's duration")
            if result.oldestHeldAge.map({ age.value > $0.value }) ?? true {
                result.oldestHeld = point
                result.oldestHeldAge = age
            }
        }
        if let forgetAfter {
            var past: [String: RestorePoint] = [:]
            var straddling: [String: RestorePoint] = [:]
            for taken in state.inventories {
                guard let end = taken.inventory.listedWallNs else { continue }
                let start = end - (taken.endedAt - taken.startedAt).nanoseconds
                for point in taken.inventory.points + (taken.inventory.skippedPoints ?? []) {
                    let lower = start - point.wallNs - point.resolutionNs
                    let upper = end - point.wallNs
                    if lower > forgetAfter.nanoseconds { past[point.id] = point } else if upper > forgetAfter.nanoseconds { straddling[point.id] = point }
                }
            }
            for id in past.keys { straddling[id] = nil }
            let order: (RestorePoint, RestorePoint) -> Bool = { ($0.wallNs, $0.id) < ($1.wallNs, $1.id) }
            result.pastForgetAfter = past.values.sorted(by: order)
            result.straddlingForgetAfter = straddling.values.sorted(by: order)
        }
        return result
    }

    /// Missed when a listed restore point is certainly older than `forget_after`, met when every
    /// one is certainly younger, undetermined otherwise; unmeasured when nothing was listed.
    static func forgetAfterObjective(target: DrillDuration, retention: Retention?, listed: Bool) -> Objective {
        guard listed, let retention, let past = retention.pastForgetAfter else { return Objective(target: target, verdict: .unmeasured) }
        if !past.isEmpty { return Objective(target: target, verdict: .missed) }
        return Objective(target: target, verdict: (retention.straddlingForgetAfter ?? []).isEmpty ? .met : .undetermined)
    }
}
