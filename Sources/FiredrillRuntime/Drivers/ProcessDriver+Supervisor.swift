import FiredrillCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessDriver {
    /// Watches one running command: drains stdout and stderr concurrently, and kills the
    /// command with all it started (its cgroup, or its tree in the process table) when the
    /// deadline passes or the task is cancelled.
    struct Supervisor: Sendable {
        let deadline: ContinuousClock.Instant?
        let limit: Int
        let drainGrace: Duration
        let pollInterval: Duration
        let containment: ProcessContainment
        /// The command's cgroup; nil: tracked through the process table.
        let cgroup: StepCgroup?
        let recorder: StepProcessRecorder?

        /// The process table is read this many polls apart (a scan reads every /proc/PID/stat).
        static let pollsPerScan = 10

        enum Ending: Sendable { case exited, timedOut, cancelled }

        struct Outcome: Sendable {
            var ending: Ending
            var stdout: OutputCapture
            var stderr: OutputCapture
            /// Processes killed at a timeout or cancel.
            var killed = 0
        }

        func supervise(_ child: ChildProcess, exit: ProcessExitWatch?) async -> Outcome {
            let output = OutputPump(stdout: child.stdout, stderr: child.stderr, limit: limit)
            if output == nil { close(child.stdout); close(child.stderr) }
            let (ending, killed) = await watch(pid: child.pid, exit: exit)
            guard let output else {
                return Outcome(ending: ending, stdout: OutputCapture(limit: limit), stderr: OutputCapture(limit: limit), killed: killed)
            }
            // The command is gone (or its group killed). Whatever still holds the pipes open
            // is a daemon it left behind: give the reader a moment for buffered output, then stop.
            let drainGrace = drainGrace
            // Most often both pipes closed with the command: no grace to wait out.
            if output.isEnded { return Outcome(ending: ending, stdout: output.stdout, stderr: output.stderr, killed: killed) }
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await output.untilEnd(); return true }
                group.addTask {
                    try? await Task.sleep(for: drainGrace)
                    return false
                }
                while let ended = await group.next() {
                    if ended { group.cancelAll() } else { output.stop() }
                }
            }
            return Outcome(ending: ending, stdout: output.stdout, stderr: output.stderr, killed: killed)
        }

        /// Returns once the command's main process has exited, or after killing all it started
        /// because the deadline passed or the task was cancelled.
        private func watch(pid: pid_t, exit: ProcessExitWatch?) async -> (Ending, killed: Int) {
            let tracker = cgroup == nil ? DescendantTracker(root: pid) : nil
            if let recorder {
                let start = ProcessTable.entry(pid)?.startTicks ?? 0
                recorder.record(recorder.rows([(pid, start)], cgroup: cgroup))
            }
            // With a cgroup the rows go with the attempt's end (StepProcessRecorder.clear).
            defer { if cgroup == nil { recorder?.clear() } }
            // Woken by the exit itself; the nap only bounds the deadline, cancellation and scans.
            var polls = 0
            while true {
                if Self.hasExited(pid) {
                    release(tracker)
                    return (.exited, 0)
                }
                if Task.isCancelled { return (.cancelled, await killAll(pid, tracker)) }
                var nap = pollInterval
                if let deadline {
                    let left = deadline - .now
                    if left <= .zero { return (.timedOut, await killAll(pid, tracker)) }
                    nap = min(nap, left)
                }
                polls += 1
                if let tracker, polls % Self.pollsPerScan == 0 {
                    let found = tracker.scan()
                    if let recorder, !found.isEmpty { recorder.record(recorder.rows(found, cgroup: nil)) }
                }
                if let exit { await exit.wait(upTo: nap) } else { try? await Task.sleep(for: nap) }
            }
        }

        /// The whole cgroup, or every process tracked; the group too, whatever happens.
        private func killAll(_ pid: pid_t, _ tracker: DescendantTracker?) async -> Int {
            defer { Self.killGroup(pid) }
            if let cgroup {
                let killed = await cgroup.killAll()
                cgroup.remove()
                return killed
            }
            // Before the group goes: its members' children are found through them.
            return await tracker?.killAll() ?? 1
        }

        /// A normal exit: what the command left running stays (a daemon), outside any step's tracking.
        private func release(_ tracker: DescendantTracker?) {
            if let cgroup, case .cgroup(_, let home) = containment {
                cgroup.release(to: home)
            } else if let tracker, Subreaper.isEnabled {
                tracker.scan()
                Subreaper.adopt(tracker.members.filter { $0.pid != tracker.root })
            }
        }

        /// Whether `pid` has exited, without reaping it: `ChildProcess.reap` does, once the supervisor is done with it.
        static func hasExited(_ pid: pid_t) -> Bool {
            while true {
                var info = siginfo_t()
                if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 {
                    return info.si_signo == SIGCHLD
                }
                if errno == EINTR { continue }
                // ECHILD: nothing left to wait for.
                return true
            }
        }

        /// SIGKILL to the whole group; the pid itself too, should the group be gone or not ours to signal.
        static func killGroup(_ pgid: pid_t) {
            if kill(-pgid, SIGKILL) != 0 {
                _ = kill(pgid, SIGKILL)
            }
        }
    }
}
