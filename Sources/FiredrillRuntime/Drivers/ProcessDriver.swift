import FiredrillCore
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
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

    public init(drainGrace: Duration = .milliseconds(200), pollInterval: Duration = .milliseconds(20),
                containment: ProcessContainment? = nil) {
        self.drainGrace = drainGrace
        self.pollInterval = pollInterval
        self.containment = containment
    }

    /// Run by /bin/sh in the new process before the command is exec'd: `echo` is a builtin, so
    /// the shell moves itself into the cgroup ($0 is its cgroup.procs) and the command starts
    /// there, before it could fork anything. `exec` keeps the pid, argv[0] and the PATH lookup.
    static let enterCgroup = #"echo 0 >"$0" || exit 125; exec "$@""#

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
        var cgroup: StepCgroup?
        if case .cgroup(let base, _) = containment {
            // The shell in front cannot tell why the command would not start: say it as posix_spawn would.
            if let failure = Self.unrunnable(program) { return DriverReport(verdict: .error, summary: failure) }
            cgroup = StepCgroup.create(in: base, runID: StepProcessRecorder.current?.runID)
        }
        var executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var arguments = Arguments(executablePathOverride: program, remainingValues: Array(argv.dropFirst()))
        if let cgroup {
            executable = .path("/bin/sh")
            arguments = Arguments(["-c", Self.enterCgroup, cgroup.path + "/cgroup.procs"] + argv)
        }
        var options = PlatformOptions()
        // pgid = pid, set by posix_spawn itself, so there is no window in which the child is in our group.
        options.processGroupID = 0
        // Subprocess tears the child down itself as soon as our task is cancelled. It only stops the
        // group at first: the supervisor then kills the whole tree, which it finds through the
        // processes still alive (the fallback follows parent links); the kill is a last resort.
        options.teardownSequence = [
            .send(signal: .suspend, toProcessGroup: true, allowedDurationToNextStep: .seconds(15)),
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(100)),
        ]

        // The deadline holds even if this process dies while the command runs.
        let watchdog = cgroup.flatMap { cgroup in deadline.flatMap { DeadlineWatchdog.start(killing: cgroup, after: $0 - start) } }
        defer { watchdog?.stop() }
        let supervisor = Supervisor(deadline: deadline, limit: limits.outputBytes, drainGrace: drainGrace, pollInterval: pollInterval,
                                    containment: containment, cgroup: cgroup, recorder: StepProcessRecorder.current)
        // Whatever happens, the cgroup does not outlive the call (a kill empties it, a normal exit releases its daemons).
        defer { if let cgroup, cgroup.exists, cgroup.pids().isEmpty { cgroup.remove() } }
        let result: ExecutionResult<Supervisor.Outcome, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                executable,
                arguments: arguments,
                environment: .inherit,
                platformOptions: options,
                input: .none,
                output: .sequence,
                error: .sequence
            ) { execution in
                await supervisor.supervise(execution)
            }
        } catch let error as SubprocessError {
            if Task.isCancelled { return DriverReport(verdict: .cancelled, summary: "cancelled while starting") }
            return DriverReport(verdict: .error, summary: Self.launchFailure(program: program, error: error))
        } catch {
            if Task.isCancelled { return DriverReport(verdict: .cancelled, summary: "cancelled while starting") }
            return DriverReport(verdict: .error, summary: "cannot run '\(program)': \(error)")
        }

        let outcome = result.closureResult
        let pgid = result.processIdentifier.value
        var report = DriverReport(verdict: .passed, summary: "", stdout: outcome.stdout.captured, stderr: outcome.stderr.captured)
        switch result.terminationStatus {
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
               case .signaled(let signal) = result.terminationStatus, signal == SIGKILL {
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

    /// Why `program` cannot be exec'd, in the words `launchFailure` uses; nil if it can.
    static func unrunnable(_ program: String) -> String? {
        func executable(_ path: String) -> Bool {
            var status = stat()
            return stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFDIR && access(path, X_OK) == 0
        }
        if program.contains("/") {
            var status = stat()
            guard stat(program, &status) == 0 else { return "no such executable '\(program)'" }
            if status.st_mode & S_IFMT == S_IFDIR { return "cannot execute '\(program)': is a directory" }
            return access(program, X_OK) == 0 ? nil : "cannot execute '\(program)': permission denied"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let found = path.split(separator: ":", omittingEmptySubsequences: false).contains { dir in
            executable((dir.isEmpty ? "." : String(dir)) + "/" + program)
        }
        return found ? nil : "no such executable '\(program)' in PATH"
    }

    /// A person-readable reason the command could not be started.
    static func launchFailure(program: String, error: SubprocessError) -> String {
        if error.code == .executableNotFound {
            guard program.contains("/") else { return "no such executable '\(program)' in PATH" }
            var status = stat()
            guard stat(program, &status) == 0 else { return "no such executable '\(program)'" }
            if status.st_mode & S_IFMT == S_IFDIR { return "cannot execute '\(program)': is a directory" }
            return "cannot execute '\(program)': permission denied"
        }
        if let errno = error.underlyingError {
            return "cannot start '\(program)': \(String(cString: strerror(errno.rawValue)))"
        }
        return "cannot start '\(program)': \(error)"
    }

    /// "2.0s": tenths, rounded, are enough for a person reading a timeout.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let tenths = max(0, (milliseconds + 50) / 100)
        return "\(tenths / 10).\(tenths % 10)s"
    }
}
