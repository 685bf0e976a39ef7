import FiredrillCore
import FiredrillRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Helpers shared by the driver tests: scratch files, process liveness, deadlines.
enum DriverTestSupport {
    /// A fresh directory for one test's pidfiles.
    static func scratchDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "firedrill-driver-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeScratch(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Whether `pid` is a live process; a zombie awaiting its reaper counts as gone.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Polls until every pid is gone; false if any is still alive after `limit`.
    static func waitUntilGone(_ pids: [pid_t], limit: Duration = .seconds(10)) async -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if !pids.contains(where: isAlive) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !pids.contains(where: isAlive)
    }

    /// The integers in a file once it exists and holds `count` of them (written by a test's shell).
    static func waitForPids(in path: String, count: Int, limit: Duration = .seconds(20)) async -> [pid_t]? {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                let pids = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
                if pids.count == count { return pids }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    static func deadline(in duration: Duration) -> ContinuousClock.Instant {
        ContinuousClock.now + duration
    }

    /// Kills leftovers a test started on purpose (a daemon that must survive its step).
    static func cleanUp(_ pids: [pid_t]) {
        for pid in pids where pid > 1 { _ = kill(pid, SIGKILL) }
    }

    /// Kills a whole process group a test left running, never our own.
    static func cleanUpGroup(_ pgid: pid_t) {
        guard pgid > 1, pgid != getpgrp() else { return }
        _ = kill(-pgid, SIGKILL)
    }
}
