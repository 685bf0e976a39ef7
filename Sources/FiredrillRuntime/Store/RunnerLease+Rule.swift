import FiredrillCore

// The lease rule, for every store: who may take a run's lease, who may give it up, and which
// holder a busy scenario names. Stores keep the lease; whether they may change it is decided here.

extension RunnerLease {
    /// The same process: a lease it takes again renews its own.
    public func isSameProcess(as other: RunnerLease) -> Bool { pid == other.pid && host == other.host }

    /// Whether `claimant` may take the run's lease from `holder`: it may unless a live process on
    /// this host holds it (`held`), or a process on another host, which cannot be checked from
    /// here, holds it and `force` is not given (`otherHost`). A holder gone from this host is
    /// replaced. Returns the holder replaced: nil when the run was free or `claimant` held it.
    public static func takeOver(_ runID: String, from holder: RunnerLease?, by claimant: RunnerLease, force: Bool,
                                isLive: (RunnerLease) -> Bool? = { $0.isLive }) throws(LeaseError) -> RunnerLease? {
        guard let holder, !holder.isSameProcess(as: claimant) else { return nil }
        switch isLive(holder) {
        case true?: throw .held(runID: runID, by: holder)
        case nil where !force: throw .otherHost(runID: runID, by: holder)
        default: return holder
        }
    }

    /// Whether `pid` may give the run up: only its holder, so that an orchestrator whose run was
    /// taken over does not free it from under the one that took it.
    public static func mayRelease(_ holder: RunnerLease?, pid: Int32) -> Bool { holder?.pid == pid }
}

extension LeaseError {
    /// Why no run of a scenario may start while one of `runs` (the scenario's) is unfinished:
    /// names the newest unfinished run and its holder, unless that holder is gone from this
    /// host (nobody drives the run then, and `resume` can). Nil when every run is over.
    public static func scenarioBusy(among runs: [RunRecord],
                                    isLive: (RunnerLease) -> Bool? = { $0.isLive }) -> LeaseError? {
        guard let other = runs.filter({ !$0.status.isFinal }).sorted(by: RunProjection.newestFirst).first else { return nil }
        let holder = other.runner.flatMap { isLive($0) == false ? nil : $0 }
        return .scenarioBusy(scenario: other.scenario, runID: other.id, status: other.status, by: holder)
    }
}
