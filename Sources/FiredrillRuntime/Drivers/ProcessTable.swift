import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The kernel's process table, read from /proc/PID/stat.
public enum ProcessTable {
    /// One process, with the fields that tie it to a tree (parent, group, session) and the
    /// start time that tells it from a later process given the same pid.
    public struct Entry: Hashable, Sendable {
        public var pid: pid_t
        public var state: Character
        public var ppid: pid_t
        public var pgrp: pid_t
        public var session: pid_t
        /// Clock ticks since boot (field 22).
        public var startTicks: UInt64

        /// Exited but not yet reaped: it cannot run again, so it counts as gone.
        public var isZombie: Bool { state == "Z" || state == "X" }
    }

    /// `/proc/PID/stat` parsed; nil when the process is gone.
    public static func entry(_ pid: pid_t) -> Entry? {
        guard pid > 0, let text = readFile("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// The command name sits in parentheses and may hold spaces or ")": fields start after the last ")".
    static func parse(_ text: String) -> Entry? {
        guard let open = text.firstIndex(of: " "), let close = text.lastIndex(of: ")"),
              let pid = pid_t(text[..<open]) else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field N of the line is fields[N - 3].
        guard fields.count > 19, let state = fields[0].first, let ppid = pid_t(fields[1]), let pgrp = pid_t(fields[2]),
              let session = pid_t(fields[3]), let start = UInt64(fields[19]) else { return nil }
        return Entry(pid: pid, state: state, ppid: ppid, pgrp: pgrp, session: session, startTicks: start)
    }

    /// Every process visible now.
    public static func snapshot() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name in pid_t(name).flatMap(entry) }
    }

    /// Whether the process that had `startTicks` as pid `pid` still runs (not a zombie, not a successor).
    public static func isRunning(_ pid: pid_t, startTicks: UInt64) -> Bool {
        guard let entry = entry(pid) else { return false }
        return entry.startTicks == startTicks && !entry.isZombie
    }

    /// SIGKILL to `pid` only if it is still the process that started at `startTicks`.
    @discardableResult
    public static func killIfSame(_ pid: pid_t, startTicks: UInt64) -> Bool {
        signalIfSame(pid, startTicks: startTicks, SIGKILL)
    }

    /// The check and the signal are not atomic, but a pid is reused only after the kernel went
    /// round the whole pid space, which does not happen between two system calls.
    @discardableResult
    public static func signalIfSame(_ pid: pid_t, startTicks: UInt64, _ signal: Int32) -> Bool {
        guard pid > 1, pid != getpid(), isRunning(pid, startTicks: startTicks) else { return false }
        return kill(pid, signal) == 0
    }

    /// 10 ms between looks while killing: a real sleep even in a cancelled task, whose
    /// `Task.sleep` would return at once and turn the wait into a busy loop.
    static func nap() async {
        if Task.isCancelled { usleep(10_000) } else { try? await Task.sleep(for: .milliseconds(10)) }
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var length = 0
        while length < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + length, $0.count - length) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            length += n
        }
        return String(decoding: bytes[..<length], as: UTF8.self)
    }
}
