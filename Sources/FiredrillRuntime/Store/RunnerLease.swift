import FiredrillCore
import Foundation

/// The process driving a run. One at a time: a second `run` of the scenario or a `resume`
/// of a live run is refused, naming the holder.
public struct RunnerLease: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var sinceWallNs: Int64
    /// The host's boot id and the process's start time: tells the holder from a later process given the same pid.
    public var token: String

    public init(pid: Int32, host: String, sinceWallNs: Int64, token: String) {
        self.pid = pid
        self.host = host
        self.sinceWallNs = sinceWallNs
        self.token = token
    }

    /// This process, now.
    public static func current(wallNs: Int64) -> RunnerLease {
        let pid = getpid()
        return RunnerLease(pid: pid, host: ProcessInfo.processInfo.hostName, sinceWallNs: wallNs, token: token(of: pid) ?? "")
    }

    public var description: String { "pid \(pid) on \(host), since \(WallTime.human(sinceWallNs))" }

    /// Whether the holder is this host's process it claims to be and still runs. Nil when it
    /// runs on another host, which cannot be checked from here.
    public var isLive: Bool? {
        guard host == ProcessInfo.processInfo.hostName else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        return Self.token(of: pid) == token
    }

    /// `BOOT_ID:START_TICKS` from /proc; nil when the process is gone.
    static func token(of pid: Int32) -> String? {
        ProcessTable.entry(pid).map { SystemClock().bootID + ":" + String($0.startTicks) }
    }
}

/// Why a run cannot be driven by this process.
public enum LeaseError: Error, CustomStringConvertible, Equatable {
    /// A live process on this host drives it.
    case held(runID: String, by: RunnerLease)
    /// A process on another host holds it; `--force` takes it.
    case otherHost(runID: String, by: RunnerLease)
    /// A runner on another host renews its lease (a shared record's heartbeat): it is alive.
    case renewed(runID: String, by: RunnerLease, renewedSecondsAgo: Double, expiresInSeconds: Double)
    /// Another run of the same scenario has not finished.
    case scenarioBusy(scenario: String, runID: String, status: RunStatus, by: RunnerLease?)

    public var description: String {
        switch self {
        case .held(let id, let lease):
            "run \(id) is being driven by \(lease); wait for it, or stop it with `firedrill abort \(id) --by NAME`"
        case .otherHost(let id, let lease):
            "run \(id) is held by \(lease), which cannot be checked from this host; if that process is gone, take the run over with `firedrill resume \(id) --force`"
        case .renewed(let id, let lease, let ago, let left):
            "run \(id) is being driven by \(lease), which renewed its lease \(String(format: "%.1f", ago)) s ago; if that runner is gone, its lease expires in \(String(format: "%.1f", max(0, left))) s and `firedrill resume \(id)` takes the run over then (--force does not take a lease that is still renewed)"
        case .scenarioBusy(let scenario, let id, let status, let lease?):
            "scenario '\(scenario)' is already being drilled: run \(id) (\(status.rawValue)) is driven by \(lease)"
        case .scenarioBusy(let scenario, let id, let status, nil):
            "scenario '\(scenario)' has an unfinished run \(id) (\(status.rawValue)); carry it on with `firedrill resume \(id)` or stop it with `firedrill abort \(id) --by NAME` before starting another"
        }
    }
}
