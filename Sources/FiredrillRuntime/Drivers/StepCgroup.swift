import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One command's cgroup v2: every process it starts stays in it, whatever it does to its
/// process group or session.
public struct StepCgroup: Sendable, Hashable {
    public let path: String

    public init(path: String) { self.path = path }

    private static let counter = Counter()

    /// A new, empty cgroup under `base`, named after the run when there is one; nil if the kernel refuses.
    static func create(in base: String, runID: String?) -> StepCgroup? {
        let path = "\(base)/\(runID.map(prefix) ?? "")p\(getpid())-\(counter.next())"
        guard mkdir(path, 0o755) == 0 else { return nil }
        return StepCgroup(path: path)
    }

    /// `run-RUN-`: a step's cgroup names its run, so a takeover finds it even when the
    /// orchestrator died before recording it.
    static func prefix(_ runID: String) -> String {
        "run-" + runID.filter { $0.isLetter || $0.isNumber || $0 == "-" } + "-"
    }

    /// The step cgroups of `runID` under `base` (a normal exit removes its cgroup, so these are steps in flight).
    static func existing(of runID: String, in base: String) -> [StepCgroup] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return names.filter { $0.hasPrefix(prefix(runID)) }.map { StepCgroup(path: base + "/" + $0) }
    }

    /// Removes the empty cgroups left by orchestrators that died (a kill -9 mid-command leaves
    /// its cgroup behind). Only those of a creator that is gone: a live one may have just made
    /// one, not yet entered; and rmdir refuses a cgroup that still holds a process.
    static func collectGarbage(in base: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
            let parts = name.split(separator: "-")
            guard parts.count >= 2, parts[parts.count - 2].hasPrefix("p"),
                  let creator = pid_t(parts[parts.count - 2].dropFirst()), creator > 0 else { continue }
            if kill(creator, 0) != 0, errno == ESRCH { _ = rmdir(base + "/" + name) }
        }
    }

    /// The processes in it now (zombies are not listed).
    public func pids() -> [pid_t] {
        (ProcessTable.readFile(path + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    public var exists: Bool { access(path + "/cgroup.procs", F_OK) == 0 }

    /// Kills everything in it and waits until it is empty (or `limit` passed): `cgroup.kill`
    /// where the kernel has it (5.14), else freeze it, so nothing forks in between, and
    /// SIGKILL each member until none is left. Returns how many processes it held.
    @discardableResult
    public func killAll(limit: Duration = .seconds(10)) async -> Int {
        let held = Set(pids())
        var seen = held
        let hasKill = access(path + "/cgroup.kill", F_OK) == 0
        if hasKill { _ = Self.write("1", to: path + "/cgroup.kill") } else { _ = Self.write("1", to: path + "/cgroup.freeze") }
        let end = ContinuousClock.now + limit
        while true {
            let left = pids()
            seen.formUnion(left)
            if left.isEmpty || ContinuousClock.now >= end { break }
            if !hasKill { for pid in left where pid > 1 && pid != getpid() { _ = kill(pid, SIGKILL) } }
            await ProcessTable.nap()
        }
        return seen.count
    }

    /// A step that exited normally keeps what it left running (a daemon it started on
    /// purpose): those processes move to `home`, the orchestrator's own cgroup, where they would
    /// have been without Firedrill, and the empty cgroup is removed.
    public func release(to home: String) {
        for _ in 0..<100 {
            let left = pids()
            if left.isEmpty { break }
            for pid in left { _ = Self.write("\(pid)", to: home + "/cgroup.procs") }
        }
        remove()
    }

    /// rmdir; an empty cgroup may still be busy for a moment while its last member is released.
    @discardableResult
    public func remove() -> Bool {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return true }
            usleep(2_000)
        }
        return false
    }

    /// One write(2) of `text`, as cgroup files want; returns errno, 0 on success.
    static func write(_ text: String, to file: String) -> Int32 {
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count ? 0 : errno
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
