import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `stop`: SIGTERM to the pid in the pidfile, then wait for the process to exit.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the service named by a pidfile (SIGTERM, then wait for it to exit)."
    )

    @Option(help: "The pidfile the service was started with.")
    var pidfile: String

    @Option(help: "How long to wait for the process to exit.")
    var wait = ServiceDuration(argument: "10s")!

    func run() throws {
        let pid = try Pidfile(path: pidfile).read()
        guard ProcessStatus.isRunning(pid) else {
            Console.say("pid \(pid) from \(pidfile) is not running; nothing to stop")
            return
        }
        // A stale pidfile may name a pid since reused by an unrelated process.
        let arguments = ProcessStatus.arguments(of: pid)
        guard arguments.isEmpty || arguments.contains("serve") else {
            throw SampleServiceError("pid \(pid) from \(pidfile) is not a firedrill-sample-service: \(arguments.joined(separator: " "))")
        }
        guard kill(pid, SIGTERM) == 0 else { throw SampleServiceError.posix("cannot signal pid \(pid)") }
        let deadline = ContinuousClock.now + wait.duration
        while ProcessStatus.isRunning(pid) {
            guard ContinuousClock.now < deadline else {
                throw SampleServiceError("pid \(pid) is still running \(wait) after SIGTERM")
            }
            usleep(10_000)
        }
        Console.say("stopped pid \(pid)")
    }
}
