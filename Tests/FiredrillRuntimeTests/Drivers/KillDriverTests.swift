import FiredrillCore
@testable import FiredrillRuntime
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("KillDriver against real process groups")
struct KillDriverTests {
    let driver = KillDriver()
    let processes = ProcessDriver()
    let limits = DriverLimits()

    /// Starts `sh` in its own process group (via ProcessDriver) with a background child;
    /// returns the running step and the (shell, child) pids once the shell has written them.
    private func startTree(in dir: String) async throws -> (step: Task<DriverReport, Never>, shell: pid_t, child: pid_t, pidfile: String) {
        let pidfile = dir + "/service.pid"
        let pids = dir + "/pids"
        // The pidfile is written whole (rename) so the driver never reads half of it.
        let script = "sleep 300 & echo $$ > '\(pidfile).tmp'; mv '\(pidfile).tmp' '\(pidfile)'; echo $$ $! > '\(pids)'; sleep 300"
        let processes = processes
        let limits = limits
        let step = Task { await processes.perform(.shell(script: script), deadline: .none, limits: limits) }
        guard let found = await DriverTestSupport.waitForPids(in: pids, count: 2) else {
            step.cancel()
            throw DriverTestFailure("the shell never wrote its pids")
        }
        return (step, found[0], found[1], pidfile)
    }

    @Test func killsTheWholeGroupFromAPidfile() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let tree = try await startTree(in: dir)
        defer { DriverTestSupport.cleanUpGroup(tree.shell) }

        let report = await driver.perform(.kill(.pidfile(tree.pidfile), signal: "KILL", processGroup: true), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.summary == "sent KILL to process group \(tree.shell) (pid \(tree.shell))")

        let step = await tree.step.value
        #expect(step.verdict == .failed)
        #expect(step.summary == "killed by signal 9 (KILL)")
        #expect(await DriverTestSupport.waitUntilGone([tree.shell, tree.child]))
    }

    @Test func signalsOnlyThePidWithoutProcessGroup() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let tree = try await startTree(in: dir)
        defer { DriverTestSupport.cleanUpGroup(tree.shell) }

        let report = await driver.perform(.kill(.pid(tree.shell), signal: "TERM", processGroup: false), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.summary == "sent TERM to pid \(tree.shell)")

        #expect(await DriverTestSupport.waitUntilGone([tree.shell]))
        #expect(DriverTestSupport.isAlive(tree.child), "the background child was not signalled")
        // The child still holds the step's pipes; the step ends all the same.
        let step = await tree.step.value
        #expect(step.summary == "killed by signal 15 (TERM)")
    }

    @Test func refusesFiredrillsOwnProcessGroup() async throws {
        // A child left in our own process group: signalling its group would signal us.
        let child = try #require(spawnInOwnGroup(["/bin/sleep", "300"]))
        defer {
            _ = kill(child, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(child, &status, 0)
        }
        // CONT is harmless should the refusal ever fail.
        let report = await driver.perform(.kill(.pid(child), signal: "CONT", processGroup: true), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary.contains("Firedrill's own process group"))

        let ourselves = await driver.perform(.kill(.pid(getpid()), signal: "CONT", processGroup: false), deadline: .none, limits: limits)
        #expect(ourselves.verdict == .error)
        #expect(ourselves.summary == "refusing to send CONT to Firedrill itself (pid \(getpid()))")
    }

    @Test func refusesInitAndNonPositivePids() async {
        for pid: pid_t in [1, 0, -1] {
            let report = await driver.perform(.kill(.pid(pid), signal: "CONT", processGroup: false), deadline: .none, limits: limits)
            #expect(report.verdict == .error)
            #expect(report.summary == "refusing to send CONT to pid \(pid)")
        }
    }

    @Test func missingProcessFails() async throws {
        // A pid that existed a moment ago and has been reaped.
        let report = await processes.perform(.shell(script: "echo $$"), deadline: .none, limits: limits)
        let pid = try #require(report.stdout.flatMap { pid_t($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let kill = await driver.perform(.kill(.pid(pid), signal: "CONT", processGroup: false), deadline: .none, limits: limits)
        #expect(kill.verdict == .failed)
        #expect(kill.summary == "no process \(pid)")
        let group = await driver.perform(.kill(.pid(pid), signal: "CONT", processGroup: true), deadline: .none, limits: limits)
        #expect(group.verdict == .failed)
        #expect(group.summary == "no process \(pid)")
    }

    @Test func missingPidfileIsAnError() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let path = dir + "/absent.pid"
        let report = await driver.perform(.kill(.pidfile(path), signal: "TERM", processGroup: true), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary == "cannot read pidfile \(path): No such file or directory")
    }

    @Test func garbledOrEmptyPidfileIsAnError() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let garbled = dir + "/garbled.pid"
        try "not-a-pid\n".write(toFile: garbled, atomically: true, encoding: .utf8)
        let report = await driver.perform(.kill(.pidfile(garbled), signal: "TERM", processGroup: false), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary == "pidfile \(garbled) does not start with a process id")

        let empty = dir + "/empty.pid"
        try "  \n".write(toFile: empty, atomically: true, encoding: .utf8)
        let emptyReport = await driver.perform(.kill(.pidfile(empty), signal: "TERM", processGroup: false), deadline: .none, limits: limits)
        #expect(emptyReport.verdict == .error)
        #expect(emptyReport.summary == "pidfile \(empty) is empty")
    }

    @Test func pidfileParsingTakesTheFirstInteger() throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let path = dir + "/x.pid"
        try "  4242 started\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try KillDriver.readPidfile(path).get() == 4242)
    }

    @Test func unknownSignalIsAnError() async {
        let report = await driver.perform(.kill(.pid(4_000_000), signal: "BOOM", processGroup: false), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary.hasPrefix("unknown signal 'BOOM'"))
    }

    @Test func signalNamesResolve() {
        #expect(POSIXSignal.number(named: "KILL") == SIGKILL)
        #expect(POSIXSignal.number(named: "sigterm") == SIGTERM)
        #expect(POSIXSignal.number(named: "USR2") == SIGUSR2)
        #expect(POSIXSignal.number(named: "SEGV") == nil)
        #expect(POSIXSignal.describe(SIGSEGV) == "signal \(SIGSEGV) (SEGV)")
    }

    /// posix_spawn with default attributes: the child stays in our process group.
    private func spawnInOwnGroup(_ argv: [String]) -> pid_t? {
        var pid: pid_t = 0
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        guard posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ) == 0 else { return nil }
        return pid
    }
}

struct DriverTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
