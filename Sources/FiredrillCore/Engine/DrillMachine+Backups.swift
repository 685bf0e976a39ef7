extension DrillMachine {
    /// A passed step's part in the recovery window: the inventory it read, the restore it
    /// names, and any restore its passing verifies.
    mutating func noteBackups(_ ref: StepRef, report: DriverReport?, startedAt: DrillInstant, endedAt: DrillInstant) {
        guard let step = step(ref) else { return }
        if let inventory = report?.inventory, step.action.as(BackupsStep.self) != nil {
            state.inventories.append(.init(ref: ref, stepName: step.name, inventory: inventory, startedAt: startedAt, endedAt: endedAt))
        }
        // Verification first: a step that restores does not verify itself unless it is the recovered mark.
        for index in state.restores.indices where state.restores[index].verifiedAt == nil {
            let restore = state.restores[index]
            guard let restoring = self.step(restore.ref) else { continue }
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
        if step.verifiedBy == nil, step.mark == "recovered" {
            restore.verifiedBy = step.name
            restore.verifiedAt = endedAt
        }
        state.restores.append(restore)
    }
}
