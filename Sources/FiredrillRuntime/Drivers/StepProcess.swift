import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A process a step in flight has running, as recorded for whoever takes the run over should
/// the orchestrator die: by pid and start time (a reused pid is never killed), and the step's
/// cgroup when it has one (then the cgroup is what gets killed).
public struct StepProcess: Hashable, Sendable {
    /// The call in flight (`ActivityID.description`): its rows go when it ends.
    public var activity: String
    public var pid: Int32
    public var startTicks: UInt64
    /// Start times and pids only mean something on the host and boot they were read on.
    public var host: String
    public var bootID: String
    public var cgroup: String?

    public init(activity: String, pid: Int32, startTicks: UInt64, host: String, bootID: String, cgroup: String?) {
        self.activity = activity
        self.pid = pid
        self.startTicks = startTicks
        self.host = host
        self.bootID = bootID
        self.cgroup = cgroup
    }

    /// Kills what a dead orchestrator's steps left running: each recorded cgroup whole, then
    /// every recorded process still the same one and all still below it (its children, its
    /// groups and sessions). Rows from another host or boot are skipped: nothing of theirs runs here.
    /// Returns how many processes were killed.
    /// With `runID`, also the run's step cgroups beside ours: one made before its record was written.
    public static func killLeftovers(_ recorded: [StepProcess], runID: String? = nil,
                                     containment: ProcessContainment = .current) async -> Int {
        let bootID = SystemClock().bootID
        let host = ProcessInfo.processInfo.hostName
        let here = recorded.filter { $0.bootID == bootID && $0.host == host }
        var killed = 0
        var paths = Set(here.compactMap(\.cgroup))
        if let runID, case .cgroup(let base, _) = containment {
            paths.formUnion(StepCgroup.existing(of: runID, in: base).map(\.path))
        }
        for path in paths.sorted() {
            let cgroup = StepCgroup(path: path)
            guard cgroup.exists else { continue }
            killed += await cgroup.killAll()
            cgroup.remove()
        }
        let seeds = here.filter { ProcessTable.isRunning($0.pid, startTicks: $0.startTicks) }.map { ($0.pid, $0.startTicks) }
        if !seeds.isEmpty {
            killed += await DescendantTracker(seeds: seeds).killAll()
        }
        return killed
    }
}
