import FiredrillSystemShims
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// This process as child subreaper (the fallback containment): an orphan anywhere below it
/// re-parents to it rather than to init, so a step's double-forked processes stay below the
/// orchestrator and findable in the process table. Those adopted processes become its
/// children, so it must also reap them once they exit, or they would linger as zombies.
public enum Subreaper {
    private static let state = State()

    /// Sets `PR_SET_CHILD_SUBREAPER` once and starts reaping adopted processes.
    public static func enable() {
        state.enableOnce()
    }

    public static var isEnabled: Bool { state.enabled }

    /// Processes a step left behind that re-parented to us: reaped when they exit.
    static func adopt(_ processes: [(pid: pid_t, startTicks: UInt64)]) {
        state.adopt(processes.filter { ProcessTable.entry($0.pid)?.ppid == getpid() }.map(\.pid))
    }

    /// Reaps the adopted processes that have exited. Only these: the others are children
    /// someone in this process waits for (swift-subprocess, Foundation's Process).
    static func reapAdopted() {
        state.reap()
    }

    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var enabled = false
        private var adopted: Set<pid_t> = []

        func enableOnce() {
            lock.lock()
            defer { lock.unlock() }
            guard !enabled else { return }
            enabled = firedrill_set_child_subreaper() == 0
            guard enabled else { return }
            Thread.detachNewThread {
                while true {
                    Subreaper.reapAdopted()
                    usleep(200_000)
                }
            }
        }

        func adopt(_ pids: [pid_t]) {
            lock.lock()
            adopted.formUnion(pids)
            lock.unlock()
        }

        func reap() {
            lock.lock()
            let pids = adopted
            lock.unlock()
            var done: [pid_t] = []
            for pid in pids {
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result < 0 && errno == ECHILD) { done.append(pid) }
            }
            guard !done.isEmpty else { return }
            lock.lock()
            adopted.subtract(done)
            lock.unlock()
        }
    }
}
