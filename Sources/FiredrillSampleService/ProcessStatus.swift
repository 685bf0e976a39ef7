import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `/proc` says about a process that is not necessarily our child.
enum ProcessStatus {
    /// True while `pid` exists and has not exited; a zombie (exited, not yet reaped) counts as exited.
    static func isRunning(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return kill(pid, 0) == 0 || errno == EPERM
        }
        // The state follows the parenthesised command name, which may itself contain spaces or ')'.
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// The process's argv, empty when it cannot be read.
    static func arguments(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The absolute path of the running executable.
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return path
        }
        return DurableFile.absolute(CommandLine.arguments[0])
    }
}
