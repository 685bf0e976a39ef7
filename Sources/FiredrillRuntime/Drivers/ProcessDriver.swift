import FiredrillCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Performs `.run(argv:)` and `.shell(script:)` as real processes.
///
/// Each command runs in its own new process group with stdin from /dev/null, and in its own
/// cgroup (or, where there is none, tracked through the process table: `ProcessContainment`),
/// so a timeout, an abort or a cancel kills everything it started, including what left the
/// group with `setsid` or a double fork. A normal exit kills nothing: a `start` command may
/// legitimately leave a daemon behind.
public struct ProcessDriver: Driver {
    /// How long the output readers may keep going after the command exits: a daemon it
    /// started may hold the pipes open, and the step must not wait for the daemon.
    public var drainGrace: Duration
    /// How often the command is checked for exit, deadline and cancellation.
    public var pollInterval: Duration

    /// How the command's processes are kept track of; nil: what this machine gives (`ProcessContainment.current`).
    public var containment: ProcessContainment?
    /// How a command enters its cgroup (tests of the fallback set `.write`).
    var cgroupEntry: ChildProcess.CgroupEntry = .bornInIt

    public init(drainGrace: Duration = .milliseconds(200), pollInterval: Duration = .milliseconds(20),
                containment: ProcessContainment? = nil) {
        self.drainGrace = drainGrace
        self.pollInterval = pollInterval
        self.containment = containment
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        if let run = action.as(ResolvedRun.self) {
            await execute(argv: run.argv, deadline: deadline.continuous, limits: limits)
        } else if let shell = action.as(ResolvedShell.self) {
            await execute(argv: ["/bin/sh", "-c", shell.script], deadline: deadline.continuous, limits: limits)
        } else {
            DriverReport(verdict: .error, summary: "the process driver cannot perform: \(action.summary)")
        }
    }

    /// Runs `argv` directly (no shell); `argv[0]` is looked up in PATH unless it contains a slash.
    public func execute(argv: [String], deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        guard let program = argv.first, !program.isEmpty else {
            return DriverReport(verdict: .error, summary: "empty command")
        }
        // A C string ends at NUL: passing it on would run a different command than the one recorded.
        if let index = argv.firstIndex(where: { $0.utf8.contains(0) }) {
            return DriverReport(verdict: .error, summary: "argument \(index) contains a NUL byte, which no program can receive; not run")
        }
        let start = ContinuousClock.now
        if Task.isCancelled {
            return DriverReport(verdict: .cancelled, summary: "cancelled before starting")
        }
        if let deadline, deadline <= start {
            return DriverReport(verdict: .timedOut, summary: "timed out before starting")
        }

        let containment = containment ?? ProcessContainment.current
        let path: String
        switch ChildProcess.resolve(program) {
        case .success(let found): path = found
        case .failure(let failure): return DriverReport(verdict: .error, summary: failure.summary)
        }
        var cgroup: StepCgroup?
        if case .cgroup(let base, _) = containment {
            cgroup = StepCgroup.create(in: base, runID: StepProcessRecorder.current?.runID)
        }
        // Whatever happens, the cgroup does not outlive the call (a kill empties it, a normal exit releases its daemons).
        defer { if let cgroup, cgroup.exists, cgroup.pids().isEmpty { cgroup.remove() } }

        // The deadline holds even if this process dies while the command runs.
        let watchdog = cgroup.flatMap { cgroup in deadline.flatMap { DeadlineWatchdog.start(killing: cgroup, after: $0 - start) } }
        defer { watchdog?.stop() }
        // In its own process group (pgid = pid, set before exec, so it is never in ours), and in
        // its cgroup before the program runs: born there, or entered by the new process itself.
        let child: ChildProcess
        switch ChildProcess.spawn(path: path, argv: argv, cgroup: cgroup, entry: cgroupEntry) {
        case .success(let started): child = started
        case .failure(let failure): return DriverReport(verdict: .error, summary: failure.summary)
        }
        let supervisor = Supervisor(deadline: deadline, limit: limits.outputBytes, drainGrace: drainGrace, pollInterval: pollInterval,
                                    containment: containment, cgroup: cgroup, recorder: StepProcessRecorder.current)
        let exit = ProcessExitWatch(pid: child.pid)
        let outcome = await supervisor.supervise(child, exit: exit)
        let termination = await ChildProcess.reap(child.pid, exit: exit)
        let pgid = child.pid
        var report = DriverReport(verdict: .passed, summary: "", stdout: outcome.stdout.captured, stderr: outcome.stderr.captured)
        switch termination {
        case .exited(let code):
            report.exitStatus = code
            report.verdict = code == 0 ? .passed : .failed
            report.summary = "exit \(code)"
        case .signaled(let signal):
            report.terminationSignal = signal
            report.verdict = .failed
            report.summary = "killed by \(POSIXSignal.describe(signal))"
        }
        switch outcome.ending {
        case .exited:
            // Killed by the watchdog because this process was held back past the deadline: it timed out.
            if watchdog != nil, let deadline, ContinuousClock.now >= deadline + DeadlineWatchdog.grace,
               case .signaled(let signal) = termination, signal == SIGKILL {
                report.verdict = .timedOut
                report.summary = "timed out after \(Self.seconds(deadline - start)); killed with all it started by the deadline watchdog"
            }
        case .timedOut:
            report.verdict = .timedOut
            let allowed = deadline.map { Self.seconds($0 - start) } ?? "?"
            report.summary = "timed out after \(allowed); killed \(Self.killed(pgid, outcome.killed, byCgroup: cgroup != nil))"
        case .cancelled:
            report.verdict = .cancelled
            report.summary = "cancelled; killed \(Self.killed(pgid, outcome.killed, byCgroup: cgroup != nil))"
        }
        return report
    }

    /// "process group 412 and all it started (3 processes, by cgroup)".
    static func killed(_ pgid: pid_t, _ count: Int, byCgroup: Bool) -> String {
        "process group \(pgid) and all it started (\(count) process\(count == 1 ? "" : "es"), by \(byCgroup ? "cgroup" : "process table"))"
    }

    /// "2.0s": tenths, rounded, are enough for a person reading a timeout.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let tenths = max(0, (milliseconds + 50) / 100)
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
