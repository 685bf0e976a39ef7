import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file naming the running `serve` process, as `pg_ctl` uses postmaster.pid.
struct Pidfile: Sendable {
    let path: String

    /// Written atomically, so `stop` never reads a half-written pid.
    func write(_ pid: pid_t) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try DurableFile.makeDirectory(directory) }
        try DurableFile.atomicWrite(Array("\(pid)\n".utf8), to: path)
    }

    func read() throws -> pid_t {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SampleServiceError("no pidfile at \(path); is the service running?")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = pid_t(text), pid > 0 else {
            throw SampleServiceError("pidfile \(path) does not hold a pid: \(text.debugDescription)")
        }
        return pid
    }

    /// Removes the pidfile only while it still names `pid`, so a stopping process never deletes
    /// the pidfile of a newer one.
    func remove(ifItNames pid: pid_t) {
        if (try? read()) == pid { unlink(path) }
    }
}
