import FiredrillSystemShims
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A command started for a step or a probe: its pid (also its process group) and the read
/// ends of its stdout and stderr pipes. Started by `firedrill_spawn`: born in the step's cgroup
/// (clone3 with CLONE_INTO_CGROUP), or entering it itself before the program runs (vfork, where
/// clone3 cannot); no shell in front.
struct ChildProcess: Sendable {
    let pid: pid_t
    let stdout: Int32
    let stderr: Int32

    /// How a command ended, as `waitpid` says it.
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// The file `program` runs: itself when it has a slash, else the first executable of that
    /// name in PATH (as execvp looks). A failure is said as a person reads it.
    static func resolve(_ program: String) -> Result<String, SpawnFailure> {
        if program.contains("/") { return .success(program) }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + program
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT != S_IFDIR, access(candidate, X_OK) == 0 {
                return .success(candidate)
            }
        }
        return .failure(SpawnFailure(summary: "no such executable '\(program)' in PATH"))
    }

    /// Why a command could not be started, in words.
    struct SpawnFailure: Error, Sendable {
        var summary: String
    }

    /// Starts `argv` (`argv[0]` as given, the program at `path`) with stdin from /dev/null and
    /// fresh pipes for stdout and stderr, in the cgroup when there is one.
    /// How a command gets into its cgroup: born there (clone3 with CLONE_INTO_CGROUP, where the
    /// kernel has it, else as `.write`), or by writing itself into `cgroup.procs` before it executes.
    enum CgroupEntry: Sendable { case bornInIt, write }

    static func spawn(path: String, argv: [String], cgroup: StepCgroup?, entry: CgroupEntry = .bornInIt) -> Result<ChildProcess, SpawnFailure> {
        let program = argv[0]
        func failure(_ code: Int32) -> SpawnFailure {
            SpawnFailure(summary: "cannot start '\(program)': \(String(cString: strerror(code)))")
        }
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return .failure(failure(errno)) }
        defer { close(input) }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard firedrill_pipe_cloexec(&out) == 0 else { return .failure(failure(errno)) }
        guard firedrill_pipe_cloexec(&err) == 0 else {
            let code = errno
            close(out[0]); close(out[1])
            return .failure(failure(code))
        }
        var code: Int32 = 0, stage: Int32 = 0
        let pid: Int32 = withCStrings(argv) { cArgv in
            return path.withCString { cPath in
                if let cgroup {
                    return cgroup.path.withCString {
                        firedrill_spawn(cPath, cArgv, input, out[1], err[1], $0, entry == .bornInIt ? 1 : 0, &code, &stage)
                    }
                }
                return firedrill_spawn(cPath, cArgv, input, out[1], err[1], nil, 0, &code, &stage)
            }
        }
        close(out[1])
        close(err[1])
        guard pid > 0 else {
            close(out[0])
            close(err[0])
            return .failure(describe(program: program, errno: code, stage: stage, cgroup: cgroup))
        }
        return .success(ChildProcess(pid: pid, stdout: out[0], stderr: err[0]))
    }

    /// A person-readable reason, in the words the driver has always used.
    static func describe(program: String, errno code: Int32, stage: Int32, cgroup: StepCgroup?) -> SpawnFailure {
        let reason = String(cString: strerror(code))
        if stage == FIREDRILL_SPAWN_STAGE_CGROUP {
            return SpawnFailure(summary: "cannot start '\(program)': cannot enter its cgroup \(cgroup?.path ?? "?"): \(reason)")
        }
        guard stage == FIREDRILL_SPAWN_STAGE_EXEC else {
            return SpawnFailure(summary: "cannot start '\(program)': \(reason)")
        }
        switch code {
        case ENOENT:
            return SpawnFailure(summary: program.contains("/") ? "no such executable '\(program)'" : "no such executable '\(program)' in PATH")
        case EACCES:
            var status = stat()
            if stat(program, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                return SpawnFailure(summary: "cannot execute '\(program)': is a directory")
            }
            return SpawnFailure(summary: "cannot execute '\(program)': permission denied")
        default:
            return SpawnFailure(summary: "cannot start '\(program)': \(reason)")
        }
    }

    /// Reaps the process once it has exited (it is our child: nobody else waits for it), and
    /// says how it ended. Not cancelled with the caller: a killed process is always reaped.
    static func reap(_ pid: pid_t, exit: ProcessExitWatch?) async -> Termination {
        // Almost always it has exited already (the supervisor saw it go, or killed it and its cgroup emptied).
        if ProcessDriver.Supervisor.hasExited(pid) { return collect(pid) }
        return await Task.detached {
            while !ProcessDriver.Supervisor.hasExited(pid) {
                if let exit { await exit.wait(upTo: .milliseconds(100)) } else { try? await Task.sleep(for: .milliseconds(5)) }
            }
            return collect(pid)
        }.value
    }

    /// `waitpid` on a process that has exited: it returns at once.
    private static func collect(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // <sys/wait.h>'s macros, which Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// `strings` as a NULL-terminated `char *[]` for the duration of `body`.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// A command's stdout and stderr, read by a thread of their own that sleeps in poll(2) until
/// either has data, into bounded captures, until both reach end of file or `stop()` is called.
/// (A libdispatch read source per pipe crashed the dispatch manager thread now and then, its
/// epoll registrations and the pipes' descriptors being reused at the command rate.)
final class OutputPump: @unchecked Sendable {
    private let lock = NSLock()
    private var captures: [OutputCapture]
    private var ended = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Written to by `stop()`: a byte wakes the thread's poll.
    private let wake: (read: Int32, write: Int32)

    /// Takes over `stdout` and `stderr` (closed when it ends); nil if no thread or pipe could be had.
    init?(stdout: Int32, stderr: Int32, limit: Int) {
        var fds: [Int32] = [-1, -1]
        guard firedrill_pipe_cloexec(&fds) == 0 else { return nil }
        wake = (fds[0], fds[1])
        captures = [OutputCapture(limit: limit), OutputCapture(limit: limit)]
        let thread = Thread { [self] in self.pump([stdout, stderr]) }
        thread.name = "firedrill output"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    var stdout: OutputCapture { lock.withLock { captures[0] } }
    /// Both streams ended (or `stop()` was acted on).
    var isEnded: Bool { lock.withLock { ended } }
    var stderr: OutputCapture { lock.withLock { captures[1] } }

    /// Returns once both streams ended, or once `stop()` was called.
    func untilEnd() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if ended { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Stops reading (a daemon holds a pipe open past the grace): what was read is kept.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    private func pump(_ streams: [Int32]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var open = streams.map { $0 >= 0 }
        loop: while open.contains(true) {
            var polled = streams.enumerated().map { pollfd(fd: open[$0.offset] ? $0.element : -1, events: Int16(POLLIN), revents: 0) }
            polled.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            guard poll(&polled, nfds_t(polled.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            if polled[streams.count].revents != 0 { break }
            for index in streams.indices where open[index] && polled[index].revents != 0 {
                let count = read(streams[index], buffer.baseAddress, buffer.count)
                if count > 0 {
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                    lock.withLock { captures[index].append(chunk) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    // End of file, or a read error: what was read so far is the evidence.
                    open[index] = false
                }
            }
            continue loop
        }
        for fd in streams where fd >= 0 { close(fd) }
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            ended = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// Both ends of the wake pipe live as long as the pump: a late `stop()` writes into a pipe
    /// that still has a reader (no SIGPIPE), and nothing reads it any more.
    deinit {
        close(wake.read)
        close(wake.write)
    }
}
