extension RunState {
    /// An inventory read by a `backups` step: its restore points and when it was listed.
    public struct InventoryTaken: Hashable, Sendable {
        public var ref: StepRef
        public var stepName: String
        public var inventory: BackupInventory
        public var startedAt: DrillInstant
        public var endedAt: DrillInstant

        /// The wall clock at a run instant, reckoned from the listing's wall-clock reading and the
        /// monotonic timeline; nil when the listing has no wall reading.
        public func wallNs(at instant: DrillInstant) -> Int64? {
            inventory.listedWallNs.map { $0 + (instant - endedAt).nanoseconds }
        }
    }

    /// A restore a step named (`restores:`), the point it took from the latest inventory, and
    /// the step that verified it.
    public struct RestoreTaken: Hashable, Sendable {
        public var ref: StepRef
        public var stepName: String
        /// As written: `oldest`, `newest` or an id.
        public var requested: String
        public var point: RestorePoint?
        /// Index in `inventories` of the inventory the point came from.
        public var inventory: Int?
        public var startedAt: DrillInstant
        public var endedAt: DrillInstant
        /// The step that verified it, and when it passed.
        public var verifiedBy: String?
        public var verifiedAt: DrillInstant?
        /// Why it counts for nothing, when it does not (no inventory, an unknown id).
        public var note: String?
    }

    /// The latest inventory read, if any.
    public var latestInventory: InventoryTaken? { inventories.last }
}

extension RunState {
    /// An alert an `alert` probe or guard saw during the run, the first time it saw it.
    public struct AlertSighting: Hashable, Sendable {
        public var alert: AlertSeen
        public var firstSeenAt: DrillInstant
    }
}
