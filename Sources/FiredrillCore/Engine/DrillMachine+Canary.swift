extension DrillMachine {
    mutating func canaryWritten(_ written: CanaryWritten, at now: DrillInstant) -> [DrillAction] {
        guard var canary = state.canary else { return impossible("a canary write, and the scenario has no canary", at: now) }
        canary.writes.append(.init(seq: written.seq, acknowledged: written.report.passed, startedAt: written.startedAt,
                                   endedAt: written.endedAt, summary: written.report.summary))
        if canary.outstanding == written.seq { canary.outstanding = nil }
        var actions: [DrillAction] = []
        if !canary.stopped, canary.outstanding == nil, let start = canary.startedAt {
            // Writes keep to the period's grid; a slow write skips slots instead of bunching up.
            var slot = Int64(canary.slot + 1)
            while start + canary.every * slot < written.endedAt { slot += 1 }
            canary.slot = Int(slot)
            let seq = canary.nextSeq
            canary.nextSeq += 1
            canary.outstanding = seq
            actions.append(.writeCanary(seq: seq, at: start + canary.every * slot))
        }
        state.canary = canary
        return actions + finishIfDone(at: now)
    }

    mutating func stopCanary(at now: DrillInstant) -> [DrillAction] {
        guard var canary = state.canary, canary.startedAt != nil, !canary.stopped else { return [] }
        canary.stopped = true
        canary.stoppedAt = now
        // A cancelled write may never report back; the run must not wait for it.
        let outstanding = canary.outstanding
        canary.outstanding = nil
        state.canary = canary
        return outstanding.map { [.cancel(.canaryWrite($0))] } ?? []
    }

    mutating func requestCanaryRead() -> [DrillAction] {
        guard var canary = state.canary, canary.startedAt != nil, !canary.readRequested, state.abort == nil else { return [] }
        canary.readRequested = true
        state.canary = canary
        return [.readCanary]
    }

    /// Marks drive the canary: writes stop at `disaster`; the read happens at `recovered`.
    mutating func markReached(_ name: String, at now: DrillInstant) -> [DrillAction] {
        switch name {
        case "disaster": notify(.disaster) + stopCanary(at: now)
        case "recovered": notify(.recovered) + requestCanaryRead()
        default: []
        }
    }
}
