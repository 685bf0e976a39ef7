extension DrillMachine {
    /// A passed step's part in the recovery window: the inventory it read, the restore it
    /// names, and any restore its passing verifies.
    mutating func noteBackups(_ ref: StepRef, report: DriverReport?, startedAt: DrillInstant, endedAt: DrillInstant) {
        guard let step = step(ref) else { return }
        if let inventory = report?.inventory, step.action.as(BackupsStep.self) != nil {
            state.inventories.append(.init(ref: ref, stepName: step.name, inventory: inventory, startedAt: startedAt, endedAt: endedAt))
        }
        // Verification first, by a later step: a step never verifies its own restore.
        for index in state.restores.indices where state.restores[index].verifiedAt == nil && state.restores[index].note == nil {
            let restore = state.restores[index]
            guard restore.ref != ref, let restoring = self.step(restore.ref) else { continue }
            let verifies = restoring.verifiedBy.map { $0 == step.name } ?? (step.mark == "recovered")
            if verifies {
                state.restores[index].verifiedBy = step.name
                state.restores[index].verifiedAt = endedAt
            }
        }
        guard case .phase = ref, let requested = step.restores?.raw else { return }
        var restore = RunState.RestoreTaken(ref: ref, stepName: step.name, requested: requested, startedAt: startedAt, endedAt: endedAt)
        if let latest = state.inventories.indices.last {
            if let point = state.inventories[latest].inventory.point(named: requested) {
                restore.point = point
                restore.inventory = latest
            } else {
                restore.note = "the latest inventory (step '\(state.inventories[latest].stepName)') holds no restore point '\(requested)'"
            }
        } else {
            restore.note = "no inventory was read before it, so what it restored is not known"
        }
        if let note = restore.note {
            state.deviations.append(.init(at: endedAt, ref: ref, message: "step '\(step.name)' restores \(requested), but \(note)"))
        }
        // A new restore replaces what the system holds: one before it, not yet verified, never will be.
        for index in state.restores.indices where state.restores[index].verifiedAt == nil && state.restores[index].note == nil {
            state.restores[index].note = "restore '\(step.name)' replaced it before anything verified it"
        }
        state.restores.append(restore)
    }
}

extension DrillMachine {
    /// Alerts a probe or guard saw, kept once each, in the order first seen (at most 500).
    mutating func noteAlerts(_ report: DriverReport, at instant: DrillInstant) {
        guard let alerts = report.alerts?.alerts, !alerts.isEmpty else { return }
        for alert in alerts where state.alertsSeen.count < 500 {
            let known = state.alertsSeen.contains { seen in
                if let a = seen.alert.fingerprint, let b = alert.fingerprint { return a == b && seen.alert.startsAt == alert.startsAt }
                return seen.alert.labels == alert.labels && seen.alert.startsAt == alert.startsAt
            }
            if !known { state.alertsSeen.append(.init(alert: alert, firstSeenAt: instant)) }
        }
    }
}
