import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process the test launched, killed on deinit if the test forgot or failed first.
final class SpawnedProcess {
    let pid: pid_t
    private(set) var exitStatus: Int32?

    private init(pid: pid_t) {
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Launches `executable arguments` with stdin from /dev/null and stdout and stderr to `output`
    /// (a file appended to) or to the write end of a pipe.
    static func launch(_ executable: String, _ arguments: [String], output: Output) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        case .stream(let fd):
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + environment).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environment)
        guard result == 0 else { throw HarnessError("posix_spawn \(executable): \(String(cString: strerror(result)))") }
        return SpawnedProcess(pid: pid)
    }

    enum Output {
        case file(String)
        /// A close-on-exec descriptor, so only this child inherits it (as its stdout and stderr).
        case stream(Int32)
    }

    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to exit and returns its raw wait status; fails the wait after `limit`.
    @discardableResult
    func waitForExit(within limit: Duration = .seconds(60)) async throws -> Int32 {
        if let exitStatus { return exitStatus }
        let deadline = ContinuousClock.now + limit
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                exitStatus = status
                return status
            }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("pid \(pid) did not exit within \(limit)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs a command to completion and returns its exit code and combined output. Reading the output
    /// until EOF also proves that nothing the command left behind still holds its stdout or stderr.
    static func run(_ executable: String, _ arguments: [String], within limit: Duration = .seconds(90)) async throws
        -> (code: Int32, output: String)
    {
        // A socket pair rather than a pipe: it can be created close-on-exec atomically (pipe2 is not
        // imported), so a process spawned concurrently by another test never inherits it.
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw HarnessError("socketpair failed")
        }
        let reader = fds[0]
        defer { close(reader) }
        let process: SpawnedProcess
        do {
            process = try launch(executable, arguments, output: .stream(fds[1]))
            close(fds[1])
        } catch {
            close(fds[1])
            throw error
        }
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK)

        let deadline = ContinuousClock.now + limit
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if count > 0 {
                output += buffer[0..<count]
            } else if count == 0 {
                break
            } else if errno == EAGAIN || errno == EINTR {
                guard ContinuousClock.now < deadline else {
                    throw HarnessError("output of \(arguments.first ?? executable) still open after \(limit): \(String(decoding: output, as: UTF8.self))")
                }
                try await Task.sleep(for: .milliseconds(10))
            } else {
                throw HarnessError("reading output failed: \(String(cString: strerror(errno)))")
            }
        }
        let status = try await process.waitForExit(within: .seconds(30))
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}
