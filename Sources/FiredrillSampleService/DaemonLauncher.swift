import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Launches a process detached from whoever launched us: its own session, stdin from /dev/null,
/// stdout and stderr appended to a file, and no other inherited descriptors. A caller waiting for
/// `start`'s output to close is therefore never held by the daemon.
enum DaemonLauncher {
    static func launch(executable: String, arguments: [String], output: String) throws -> pid_t {
        markInheritedDescriptorsCloseOnExec()
        // Opened here rather than in the child, so a bad path is reported as such.
        let directory = (output as NSString).deletingLastPathComponent
        if !directory.isEmpty { try DurableFile.makeDirectory(directory) }
        let outputFD = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard outputFD >= 0 else { throw SampleServiceError.posix("cannot open the daemon's output file \(output)") }
        defer { close(outputFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // Whatever ignored these in our caller (nohup, a shell's background job) must not stop `stop`.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + environment).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard result == 0 else { throw SampleServiceError.posix("cannot launch \(executable)", errno: result) }
        return pid
    }

    #if canImport(Glibc)
    /// glibc's POSIX_SPAWN_SETSID, which Swift does not import because it is behind _GNU_SOURCE.
    private static let spawnSetSID: Int32 = 0x80
    #else
    private static let spawnSetSID = Int32(POSIX_SPAWN_SETSID)
    #endif

    /// Descriptors our caller leaked to us (a pipe, a socket) would otherwise live on in the daemon.
    private static func markInheritedDescriptorsCloseOnExec() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for name in names {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
