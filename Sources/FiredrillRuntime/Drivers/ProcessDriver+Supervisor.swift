import FiredrillCore
import Subprocess
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessDriver {
    /// Watches one running command: drains stdout and stderr concurrently, and kills the
    /// command's process group when the deadline passes or the task is cancelled.
    struct Supervisor: Sendable {
        let deadline: ContinuousClock.Instant?
        let limit: Int
        let drainGrace: Duration
        let pollInterval: Duration

        enum Ending: Sendable { case exited, timedOut, cancelled }

        struct Outcome: Sendable {
            var ending: Ending
            var stdout: OutputCapture
            var stderr: OutputCapture
        }

        private enum Piece: Sendable {
            case stdout(OutputCapture)
            case stderr(OutputCapture)
            case graceOver
        }

        func supervise(_ execution: Execution<NoInput, SequenceOutput, SequenceOutput>) async -> Outcome {
            let pid = execution.processIdentifier.value
            let stdoutStream = execution.standardOutput
            let stderrStream = execution.standardError
            let limit = limit
            let drainGrace = drainGrace
            return await withTaskGroup(of: Piece.self) { group in
                group.addTask { .stdout(await Self.drain(stdoutStream, limit: limit)) }
                group.addTask { .stderr(await Self.drain(stderrStream, limit: limit)) }

                let ending = await watch(pid: pid)

                // The command is gone (or its group killed). Whatever still holds the pipes open
                // is a daemon it left behind: give the readers a moment for buffered output, then stop.
                group.addTask {
                    try? await Task.sleep(for: drainGrace)
                    return .graceOver
                }
                var stdout = OutputCapture(limit: limit)
                var stderr = OutputCapture(limit: limit)
                var readers = 2
                while let piece = await group.next() {
                    switch piece {
                    case .stdout(let capture): stdout = capture; readers -= 1
                    case .stderr(let capture): stderr = capture; readers -= 1
                    case .graceOver: group.cancelAll()
                    }
                    if readers == 0 { group.cancelAll() }
                }
                return Outcome(ending: ending, stdout: stdout, stderr: stderr)
            }
        }

        /// Returns once the command's main process has exited, or after killing its group
        /// because the deadline passed or the task was cancelled.
        private func watch(pid: pid_t) async -> Ending {
            while true {
                if Self.hasExited(pid) { return .exited }
                if Task.isCancelled {
                    Self.killGroup(pid)
                    return .cancelled
                }
                var nap = pollInterval
                if let deadline {
                    let left = deadline - .now
                    if left <= .zero {
                        Self.killGroup(pid)
                        return .timedOut
                    }
                    nap = min(nap, left)
                }
                try? await Task.sleep(for: nap)
            }
        }

        /// Whether `pid` has exited, without reaping it: Subprocess reaps it after the body returns.
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

        static func drain(_ stream: SubprocessOutputSequence, limit: Int) async -> OutputCapture {
            var capture = OutputCapture(limit: limit)
            do {
                for try await buffer in stream {
                    buffer.withUnsafeBytes { capture.append($0) }
                    if Task.isCancelled { break }
                }
            } catch {
                // A read error ends the capture; what was read so far is still evidence.
            }
            return capture
        }
    }
}
