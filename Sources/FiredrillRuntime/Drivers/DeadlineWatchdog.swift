import FiredrillSystemShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A step's deadline kept outside the orchestrator: a process of its own that kills the step's
/// cgroup two seconds after the deadline. The driver kills the step itself at the deadline;
/// the watchdog matters when no orchestrator is left to (SIGKILL, OOM, a second Ctrl-C), so no
/// command outlives its timeout by more than the grace while nobody watches it.
struct DeadlineWatchdog: Sendable {
    let pid: pid_t
    /// After the driver's own kill at the deadline, so the driver's report says what it killed
    /// (a loaded machine can hold the orchestrator's tasks back for a second).
    static let grace: Duration = .seconds(2)

    static func start(killing cgroup: StepCgroup, after remaining: Duration) -> DeadlineWatchdog? {
        let total = remaining + grace
        let seconds = String(format: "%.3f", Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)
        let pid = firedrill_spawn_watchdog(cgroup.path, seconds)
        return pid > 0 ? DeadlineWatchdog(pid: pid) : nil
    }

    /// The step ended first: the watchdog has nothing left to do. It is our child, so its pid
    /// cannot have been reused before it is reaped here.
    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
