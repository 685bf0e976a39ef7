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

    /// Runs `binary` on a free 127.0.0.1 port in a folder of its own (`arguments` gets the folder
    /// and the port), waits until `isReady` passes for its base URL, runs `body`, then kills it.
    static func withLoopbackServer(_ binary: String, named name: String, readyWithin limit: Duration,
                                   arguments: (_ dir: String, _ port: Int) throws -> [String],
                                   isReady: (_ base: String) async -> Bool,
                                   _ body: (_ base: String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = try arguments(dir, port)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: a graceful shutdown would hold a thread of the test pool for seconds.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        let end = ContinuousClock.now + limit
        var ready = false
        while !ready, ContinuousClock.now < end {
            ready = await isReady(base)
            if !ready { try await Task.sleep(for: .milliseconds(200)) }
        }
        guard ready else { throw DriverTestFailure("\(name) on \(base) was not ready after \(limit)") }
        try await body(base)
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

    static func deadline(in duration: Duration) -> Deadline {
        .after(duration)
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
