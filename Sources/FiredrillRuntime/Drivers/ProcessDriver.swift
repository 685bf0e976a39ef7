import FiredrillCore
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
/// Each command runs in its own new process group with stdin from /dev/null, so a
/// timeout or an abort can kill everything it started with one `kill(-pgid, SIGKILL)`.
/// A normal exit never kills the group: a `start` command may legitimately leave a
/// daemon behind.
public struct ProcessDriver: Driver {
    /// How long the output readers may keep going after the command exits: a daemon it
    /// started may hold the pipes open, and the step must not wait for the daemon.
    public var drainGrace: Duration
    /// How often the command is checked for exit, deadline and cancellation.
    public var pollInterval: Duration

    public init(drainGrace: Duration = .milliseconds(200), pollInterval: Duration = .milliseconds(20)) {
        self.drainGrace = drainGrace
        self.pollInterval = pollInterval
    }

    public func perform(_ action: ResolvedAction, deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        switch action {
        case .run(let argv):
            await execute(argv: argv, deadline: deadline, limits: limits)
        case .shell(let script):
            await execute(argv: ["/bin/sh", "-c", script], deadline: deadline, limits: limits)
        default:
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

        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        var options = PlatformOptions()
        // pgid = pid, set by posix_spawn itself, so there is no window in which the child is in our group.
        options.processGroupID = 0
        // Subprocess tears the child down itself when our task is cancelled; make that take the group too.
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(100))]

        let supervisor = Supervisor(deadline: deadline, limit: limits.outputBytes, drainGrace: drainGrace, pollInterval: pollInterval)
        let result: ExecutionResult<Supervisor.Outcome, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                executable,
                arguments: Arguments(executablePathOverride: program, remainingValues: Array(argv.dropFirst())),
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
            break
        case .timedOut:
            report.verdict = .timedOut
            let allowed = deadline.map { Self.seconds($0 - start) } ?? "?"
            report.summary = "timed out after \(allowed); killed process group \(pgid)"
        case .cancelled:
            report.verdict = .cancelled
            report.summary = "cancelled; killed process group \(pgid)"
        }
        return report
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
