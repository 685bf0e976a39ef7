import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The fallback containment: follows one command's processes through the process table while
/// it runs. A process belongs to the command when its parent does, when it is in a process
/// group or session led by one of them (a `setsid`/`setpgid` child keeps its children there
/// after it exits), or, with this process as subreaper, when it is an orphan re-parented to us
/// that started after the command and is no command's main process (a double fork whose middle
/// process was never seen). Once seen, a process stays known by pid and start time.
final class DescendantTracker: @unchecked Sendable {
    let root: pid_t
    let rootStart: UInt64
    private let lock = NSLock()
    private var known: [pid_t: UInt64]
    /// Groups and sessions led by a known process, kept after the leader exits.
    private var leaders: Set<pid_t>

    /// Orphans re-parented to this process are taken as the command's only while it runs here.
    private let adoptsOrphans: Bool

    /// Follows the command whose main process (its own group leader) is `root`, spawned by us.
    init?(root: pid_t) {
        guard let entry = ProcessTable.entry(root) else { return nil }
        self.root = root
        rootStart = entry.startTicks
        known = [root: entry.startTicks]
        leaders = [root]
        adoptsOrphans = true
        Self.mains.insert(root)
    }

    /// Follows what is left of another orchestrator's commands: these processes and all below them.
    init(seeds: [(pid: pid_t, startTicks: UInt64)]) {
        root = 0
        rootStart = seeds.map(\.startTicks).min() ?? 0
        known = Dictionary(seeds.map { ($0.pid, $0.startTicks) }, uniquingKeysWith: { first, _ in first })
        // A recorded process that leads its group or session takes that group or session.
        leaders = Set(seeds.compactMap { seed in
            ProcessTable.entry(seed.pid).flatMap { $0.startTicks == seed.startTicks && ($0.pgrp == $0.pid || $0.session == $0.pid) ? $0.pid : nil }
        })
        adoptsOrphans = false
    }

    deinit { if root > 0 { Self.mains.remove(root) } }

    /// Known processes, with their start times.
    var members: [(pid: pid_t, startTicks: UInt64)] {
        lock.lock()
        defer { lock.unlock() }
        return known.map { ($0.key, $0.value) }
    }

    /// One pass over the process table, repeated until it finds nobody new.
    /// Returns the processes it found that were not known before.
    @discardableResult
    func scan(_ table: [ProcessTable.Entry] = ProcessTable.snapshot()) -> [(pid: pid_t, startTicks: UInt64)] {
        lock.lock()
        defer { lock.unlock() }
        let me = getpid()
        let adopting = adoptsOrphans && Subreaper.isEnabled
        let mains = Self.mains.all
        var found: [(pid: pid_t, startTicks: UInt64)] = []
        var added = true
        while added {
            added = false
            for entry in table where known[entry.pid] != entry.startTicks && entry.startTicks >= rootStart && !entry.isZombie {
                let parentKnown = known[entry.ppid].map { $0 <= entry.startTicks } ?? false
                let ledByKnown = leaders.contains(entry.pgrp) || leaders.contains(entry.session)
                let orphan = adopting && entry.ppid == me && !mains.contains(entry.pid)
                guard parentKnown || ledByKnown || orphan else { continue }
                known[entry.pid] = entry.startTicks
                found.append((entry.pid, entry.startTicks))
                if entry.pgrp == entry.pid || entry.session == entry.pid { leaders.insert(entry.pid) }
                added = true
            }
        }
        return found
    }

    /// SIGKILLs every known process and whatever they started meanwhile, until a scan finds
    /// none alive (or `limit` passed). Returns how many were killed.
    @discardableResult
    func killAll(limit: Duration = .seconds(10)) async -> Int {
        var killed: Set<pid_t> = []
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            scan()
            guard !members.contains(where: { ProcessTable.isRunning($0.pid, startTicks: $0.startTicks) }) else {
                // Stop them first, then look again, so none forks between our reading the table and the kill.
                for member in members { ProcessTable.signalIfSame(member.pid, startTicks: member.startTicks, SIGSTOP) }
                scan()
                for member in members where ProcessTable.killIfSame(member.pid, startTicks: member.startTicks) { killed.insert(member.pid) }
                await ProcessTable.nap()
                continue
            }
            break
        }
        // Those re-parented to us are ours to reap.
        Subreaper.adopt(members.filter { $0.pid != root })
        Subreaper.reapAdopted()
        return killed.count
    }

    /// The command's main processes: children we spawned, never mistaken for adopted orphans.
    private static let mains = PidSet()

    private final class PidSet: @unchecked Sendable {
        private let lock = NSLock()
        private var pids: Set<pid_t> = []
        func insert(_ pid: pid_t) { lock.lock(); pids.insert(pid); lock.unlock() }
        func remove(_ pid: pid_t) { lock.lock(); pids.remove(pid); lock.unlock() }
        var all: Set<pid_t> { lock.lock(); defer { lock.unlock() }; return pids }
    }
}
