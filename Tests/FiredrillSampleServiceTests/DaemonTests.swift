import FiredrillSampleService
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("start and stop")
struct DaemonTests {
    @Test("start returns once healthy without holding its output open; the daemon survives until stop")
    func startAndStop() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let port = try ServiceSandbox.freePort()

        // SpawnedProcess.run reads start's output to EOF: a daemon that inherited it would hang this.
        let start = try await sandbox.run(["start"] + sandbox.serviceArguments(port: port) + ["--wait", "60s"])
        #expect(start.code == 0, "\(start.output)")
        #expect(start.output.contains("started pid"))

        let pidText = try String(contentsOfFile: sandbox.pidfile, encoding: .utf8)
        let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ServiceSandbox.isAlive(pid))
        #expect(getsid(pid) == pid, "the daemon leads its own session")
        let health = try ServiceSandbox.http("GET", "/health", port: port)
        #expect(health.status == 200)
        #expect(health.headers["x-firedrill-pid"] == String(pid))
        #expect(try ServiceSandbox.http("POST", "/write?seq=1", port: port).body == "ok 1")
        let daemonOutput = sandbox.log + ".out"
        #expect(FileManager.default.fileExists(atPath: daemonOutput))

        let second = try await sandbox.run(["start"] + sandbox.serviceArguments(port: port))
        #expect(second.code != 0)
        #expect(second.output.contains("already served by pid \(pid)"), "\(second.output)")

        let stop = try await sandbox.run(["stop", "--pidfile", sandbox.pidfile, "--wait", "60s"])
        #expect(stop.code == 0, "\(stop.output)")
        #expect(!ServiceSandbox.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: sandbox.pidfile))
        #expect(throws: (any Error).self) { try ServiceSandbox.http("GET", "/health", port: port) }
        #expect(try sandbox.events().last { $0.pid == pid }?.event == "stopping")
    }

    @Test("start exits 1 with a clear message when the daemon dies before becoming healthy")
    func startReportsDaemonFailure() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        // A data directory below a regular file cannot be created, so serve exits at once.
        let blocker = sandbox.root + "/blocker"
        try "".write(toFile: blocker, atomically: true, encoding: .utf8)
        let port = try ServiceSandbox.freePort()

        let start = try await sandbox.run([
            "start", "--port", String(port), "--data", blocker + "/data", "--backups", sandbox.backups,
            "--log", sandbox.log, "--wait", "60s",
        ])
        #expect(start.code == 1)
        #expect(start.output.contains("before becoming healthy"), "\(start.output)")
        #expect(start.output.contains("cannot create directory"), "the daemon's own complaint is shown: \(start.output)")
    }

    @Test("start refuses port 0 and stop reports a missing pidfile")
    func argumentErrors() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let start = try await sandbox.run(["start"] + sandbox.serviceArguments(port: 0))
        #expect(start.code != 0)
        #expect(start.output.contains("explicit --port"), "\(start.output)")

        let stop = try await sandbox.run(["stop", "--pidfile", sandbox.pidfile])
        #expect(stop.code == 1)
        #expect(stop.output.contains("no pidfile"), "\(stop.output)")
    }
}
