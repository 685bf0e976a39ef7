import FiredrillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Performs `.kill`: sends a signal to a process, or to its whole process group.
///
/// Never signals Firedrill itself: pids ≤ 1, our own pid and our own process group are refused.
public struct KillDriver: Driver {
    public init() {}

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let kill = action.as(ResolvedKill.self) else {
            return DriverReport(verdict: .error, summary: "the kill driver cannot perform: \(action.summary)")
        }
        if Task.isCancelled { return DriverReport(verdict: .cancelled, summary: "cancelled before sending \(kill.signal)") }
        if deadline.hasPassed { return DriverReport(verdict: .timedOut, summary: "timed out before sending \(kill.signal)") }
        return send(signal: kill.signal, to: kill.target, processGroup: kill.processGroup)
    }

    public func send(signal name: String, to target: ResolvedAction.KillTarget, processGroup: Bool) -> DriverReport {
        guard let signal = POSIXSignal.number(named: name) else {
            return DriverReport(verdict: .error, summary: "unknown signal '\(name)'; expected one of \(POSIXSignal.sendableNames)")
        }
        let signalName = POSIXSignal.name(of: signal) ?? name

        let pid: pid_t
        switch target {
        case .pid(let value):
            pid = value
        case .pidfile(let path):
            switch Self.readPidfile(path) {
            case .success(let value): pid = value
            case .failure(let problem): return DriverReport(verdict: .error, summary: problem.message)
            }
        }

        guard pid > 1 else {
            return DriverReport(verdict: .error, summary: "refusing to send \(signalName) to pid \(pid)")
        }
        guard pid != getpid() else {
            return DriverReport(verdict: .error, summary: "refusing to send \(signalName) to Firedrill itself (pid \(pid))")
        }

        guard processGroup else {
            if kill(pid, signal) == 0 {
                return DriverReport(verdict: .passed, summary: "sent \(signalName) to pid \(pid)")
            }
            return Self.failure(errno: errno, what: "process \(pid)", signalName: signalName)
        }

        let pgid = getpgid(pid)
        if pgid < 0 {
            return Self.failure(errno: errno, what: "process \(pid)", signalName: signalName)
        }
        guard pgid > 1 else {
            return DriverReport(verdict: .error, summary: "refusing to send \(signalName) to process group \(pgid) (pid \(pid))")
        }
        guard pgid != getpgrp() else {
            return DriverReport(
                verdict: .error,
                summary: "refusing to send \(signalName) to process group \(pgid) (pid \(pid)): it is Firedrill's own process group")
        }
        if kill(-pgid, signal) == 0 {
            return DriverReport(verdict: .passed, summary: "sent \(signalName) to process group \(pgid) (pid \(pid))")
        }
        return Self.failure(errno: errno, what: "process group \(pgid)", signalName: signalName)
    }

    private static func failure(errno code: Int32, what: String, signalName: String) -> DriverReport {
        switch code {
        // Nothing to signal: the target is already down, which the drill should see as a "no".
        case ESRCH: DriverReport(verdict: .failed, summary: "no \(what)")
        case EPERM: DriverReport(verdict: .error, summary: "not permitted to send \(signalName) to \(what)")
        default: DriverReport(verdict: .error, summary: "cannot send \(signalName) to \(what): \(String(cString: strerror(code)))")
        }
    }

    struct PidfileProblem: Error {
        var message: String
    }

    /// The first integer in the file, after optional whitespace.
    static func readPidfile(_ path: String) -> Result<pid_t, PidfileProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(.init(message: "cannot read pidfile \(path): \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        var count = 0
        while count < buffer.count {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0, errno == EINTR { continue }
            if got < 0 {
                return .failure(.init(message: "cannot read pidfile \(path): \(String(cString: strerror(errno)))"))
            }
            if got == 0 { break }
            count += got
        }
        let bytes = buffer[..<count].drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard !bytes.isEmpty else {
            return .failure(.init(message: "pidfile \(path) is empty"))
        }
        let digits = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard !digits.isEmpty, let pid = pid_t(String(decoding: digits, as: UTF8.self)) else {
            return .failure(.init(message: "pidfile \(path) does not start with a process id"))
        }
        return .success(pid)
    }
}
