import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a step's processes are kept findable, so a timeout, an abort or a cancel can kill all
/// of them, even those that left the process group (`setsid`, `setpgid`, double forks).
///
/// - `cgroup`: each command gets a cgroup v2 of its own, entered before the program is
///   exec'd; nothing a process does moves it out (short of writing to cgroup files, which
///   needs the same rights as ours). Killed with `cgroup.kill`, or by freezing it and
///   SIGKILLing every member until it is empty.
/// - `processTable`: where no writable cgroup v2 is mounted. The orchestrator becomes a child
///   subreaper (`PR_SET_CHILD_SUBREAPER`), so orphans re-parent to it instead of init, and the
///   step's tree is followed through /proc (parent, process group and session links) while it
///   runs.
public enum ProcessContainment: Sendable, Equatable, CustomStringConvertible {
    /// `base`: the directory step cgroups are made in; `home`: the orchestrator's own cgroup,
    /// where a step's daemons are moved back to when the step exits normally.
    case cgroup(base: String, home: String)
    case processTable

    /// `process-table` forces the fallback (tests of it, or a machine whose cgroups are managed by someone else).
    public static let environmentKey = "FIREDRILL_PROCESS_CONTAINMENT"

    /// What this process uses, decided once.
    public static let current: ProcessContainment = {
        let chosen = detect(environment: ProcessInfo.processInfo.environment)
        if chosen == .processTable { Subreaper.enable() }
        return chosen
    }()

    public var description: String {
        switch self {
        case .cgroup(let base, _): "a cgroup v2 per step under \(base)"
        case .processTable: "the process table (no writable cgroup v2 here), with this process as child subreaper"
        }
    }

    /// The line `firedrill run` prints when only the fallback is available.
    public var warning: String? {
        guard self == .processTable else { return nil }
        let why = ProcessInfo.processInfo.environment[Self.environmentKey] == "process-table"
            ? "\(Self.environmentKey)=process-table" : "no writable cgroup v2 here"
        return "step processes are tracked through the process table (\(why)): a process that leaves its step's tree and loses every link to it between two looks (200 ms) escapes a kill"
    }

    public static func detect(environment: [String: String]) -> ProcessContainment {
        if environment[environmentKey] == "process-table" { return .processTable }
        guard let home = ownCgroupDirectory() else { return .processTable }
        let base = home + "/firedrill"
        if mkdir(base, 0o755) != 0, errno != EEXIST { return .processTable }
        // Moving a process needs write access to the cgroup it leaves and the one it enters.
        guard access(base + "/cgroup.procs", W_OK) == 0, access(home + "/cgroup.procs", W_OK) == 0 else { return .processTable }
        StepCgroup.collectGarbage(in: base)
        return .cgroup(base: base, home: home)
    }

    /// Where this process's cgroup v2 is on disk: the cgroup2 mount (`/sys/fs/cgroup`, or
    /// `/sys/fs/cgroup/unified` on a hybrid layout) joined with the path in /proc/self/cgroup.
    static func ownCgroupDirectory() -> String? {
        guard let cgroups = ProcessTable.readFile("/proc/self/cgroup"),
              let line = cgroups.split(separator: "\n").first(where: { $0.hasPrefix("0::") }),
              let mounts = ProcessTable.readFile("/proc/self/mountinfo") else { return nil }
        let own = String(line.dropFirst(3))
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPER
        let candidates = mounts.split(separator: "\n").compactMap { entry -> (root: String, point: String)? in
            let halves = entry.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { return nil }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { return nil }
            return (String(fields[3]), String(fields[4]))
        }
        guard let mount = candidates.first(where: { $0.point == "/sys/fs/cgroup" }) ?? candidates.first else { return nil }
        var relative = own
        if mount.root != "/", relative.hasPrefix(mount.root) { relative = String(relative.dropFirst(mount.root.count)) }
        let path = mount.point + (relative == "/" ? "" : relative)
        var status = stat()
        guard stat(path + "/cgroup.procs", &status) == 0 else { return nil }
        return path
    }
}
