import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `start`: launches `serve` as a detached daemon and returns once it answers /health, like `pg_ctl start`.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start `serve` as a detached daemon and wait until it is healthy."
    )

    @OptionGroup var options: ServiceOptions

    @Option(help: "How long to wait for the daemon to answer GET /health.")
    var wait = ServiceDuration(argument: "15s")!

    func validate() throws {
        guard options.port != 0 else { throw ValidationError("start needs an explicit --port (0 is for serve only)") }
    }

    func run() throws {
        var daemon = options.absolute
        // `stop` needs the pid, so a daemon always gets a pidfile: next to its data directory by default.
        let pidfile = daemon.pidfile ?? daemon.data + ".pid"
        daemon.pidfile = pidfile
        let output = Self.outputPath(for: daemon)
        let port = daemon.port

        if let reply = try? LoopbackHTTP.request("GET", "/health", port: port, timeout: .seconds(2)) {
            let owner = reply.headers["x-firedrill-pid"].map { "pid \($0)" } ?? "another program"
            throw SampleServiceError("127.0.0.1:\(port) is already served by \(owner); not starting a second instance")
        }

        let pid = try DaemonLauncher.launch(
            executable: ProcessStatus.ownExecutable(), arguments: daemon.serveArguments, output: output
        )
        let deadline = ContinuousClock.now + wait.duration
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw SampleServiceError(
                    "the daemon (pid \(pid)) \(Self.describe(status)) before becoming healthy; its output (\(output)) ends:\n"
                        + Self.tail(of: output)
                )
            }
            if let reply = try? LoopbackHTTP.request("GET", "/health", port: port, timeout: .seconds(2)),
               reply.status == 200, reply.headers["x-firedrill-pid"] == String(pid) {
                Console.say("started pid \(pid) on 127.0.0.1:\(port) (pidfile \(pidfile), output \(output))")
                return
            }
            usleep(20_000)
        }
        throw SampleServiceError(
            "the daemon (pid \(pid)) did not answer GET http://127.0.0.1:\(port)/health within \(wait); "
                + "it is left running; see \(output)"
        )
    }

    /// The daemon's stdout and stderr: next to the truth log, else next to the data directory.
    static func outputPath(for options: ServiceOptions) -> String {
        (options.log ?? options.data) + ".out"
    }

    private static func tail(of path: String, lines: Int = 10) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no output)" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)"
    }
}
