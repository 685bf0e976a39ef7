import FiredrillCore
@testable import FiredrillRuntime
import FiredrillSystemShims
import FiredrillTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A step's children that leave its process group (`setsid`, `setpgid`, a daemonizing double
/// fork) are killed with it on a timeout or a cancel, by the containment this machine gives
/// (a cgroup v2 here and on CI) and by the process table fallback; a normal exit keeps them.
@Suite("ProcessDriver keeps a step's processes contained")
struct ProcessDriverContainmentTests {
    let limits = DriverLimits()

    /// The program run by the driver as a step whose processes `recorder` records.
    func started(_ program: EscapingProgram, recording recorder: StepProcessRecorder,
                 entry: ChildProcess.CgroupEntry = .bornInIt, containment: ProcessContainment? = nil) -> Task<DriverReport, Never> {
        let limits = limits
        var driver = ProcessDriver(containment: containment)
        driver.cgroupEntry = entry
        return Task { [driver] in
            await StepProcessRecorder.$current.withValue(recorder) {
                await driver.perform(.run(argv: [program.path]), deadline: .none, limits: limits)
            }
        }
    }

    /// Runs the program under `driver`, cancelling it (or letting `deadline` pass) once every
    /// process has written its pid; returns the report and the processes.
    func runEscaping(_ driver: ProcessDriver, escapes: [String], cancel: Bool, dir: String)
        async throws -> (DriverReport, [EscapingProgram.Process]) {
        let program = try EscapingProgram(in: dir, escapes: escapes)
        let limits = limits
        // Generous: the deadline only has to come after the children started. In a full suite the
        // fuzz tests can hold both of the pool's threads for 15 s, and with 10 s the deadline passed
        // before the program had started its children (2 of 3 full runs).
        let deadline = cancel ? Deadline.none : DriverTestSupport.deadline(in: .seconds(30))
        let task = Task { await driver.perform(.run(argv: [program.path]), deadline: deadline, limits: limits) }
        guard let processes = await program.processes() else {
            task.cancel()
            _ = await task.value
            throw DriverTestFailure("the step's processes did not all write their pids")
        }
        if cancel { task.cancel() }
        return (await task.value, processes)
    }

    @Test(arguments: [false, true])
    func childrenThatLeftTheGroupDieWithTheStep(cancel: Bool) async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let (report, processes) = try await runEscaping(ProcessDriver(), escapes: ["setsid", "setpgid", "double"], cancel: cancel, dir: dir)
        defer { EscapingProgram.cleanUp(processes) }
        #expect(report.verdict == (cancel ? .cancelled : .timedOut), "\(report.summary)")
        // A loaded test process can hold the driver's kill back past the watchdog's grace; either killed the tree.
        #expect(report.summary.contains("and all it started") || report.summary.contains("with all it started by the deadline watchdog"),
                "\(report.summary)")
        let survivors = await EscapingProgram.survivors(processes)
        #expect(survivors.isEmpty, "still running after the step was killed: \(survivors)")
    }

    /// The step's processes are in a cgroup of their own under firedrill's, named after the
    /// run, and the cgroup is gone once they were killed; whether the command was born in it
    /// (clone3) or wrote itself into it before its program ran (the fallback).
    @Test(arguments: [ChildProcess.CgroupEntry.bornInIt, .write])
    func theCommandsCgroupHoldsItsProcessesAndIsRemovedAfterTheKill(entry: ChildProcess.CgroupEntry) async throws {
        guard case .cgroup(let base, _) = ProcessContainment.current else { return }
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let program = try EscapingProgram(in: dir, escapes: ["setsid", "double"])
        let recorder = StepProcessRecorder(runID: "20261201-000000-abcd", activity: "attempt s#1", record: { _ in }, clear: {})
        let task = started(program, recording: recorder, entry: entry)
        let processes = try #require(await program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        // "0::/…/firedrill/run-RUN-pPID-N": every process, the escaped ones too, in the same one.
        let cgroups = Set(processes.map { process in
            ((try? String(contentsOfFile: "/proc/\(process.pid)/cgroup", encoding: .utf8)) ?? "")
                .split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.split(separator: "/").last ?? "") } ?? ""
        })
        #expect(cgroups.count == 1, "\(cgroups)")
        let name = try #require(cgroups.first)
        #expect(name.hasPrefix("run-20261201-000000-abcd-p\(getpid())-"), "\(name)")
        #expect(StepCgroup(path: base + "/" + name).exists)
        task.cancel()
        _ = await task.value
        #expect(!StepCgroup(path: base + "/" + name).exists, "the cgroup outlived the kill")
    }

    /// A command that cannot get into its cgroup (it is gone) is not run at all, and says why.
    @Test(arguments: [ChildProcess.CgroupEntry.bornInIt, .write])
    func aCommandThatCannotEnterItsCgroupDoesNotRun(entry: ChildProcess.CgroupEntry) throws {
        guard case .cgroup(let base, _) = ProcessContainment.current else { return }
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let gone = StepCgroup(path: base + "/no-such-cgroup-p\(getpid())")
        let result = ChildProcess.spawn(path: "/bin/sh", argv: ["/bin/sh", "-c", "touch \(dir)/ran"], cgroup: gone, entry: entry)
        guard case .failure(let failure) = result else {
            Issue.record("started outside its cgroup")
            return
        }
        #expect(failure.summary == "cannot start '/bin/sh': cannot enter its cgroup \(gone.path): No such file or directory")
        #expect(!FileManager.default.fileExists(atPath: dir + "/ran"))
    }

    /// Where the kernel has CLONE_INTO_CGROUP (5.7), commands are born in their cgroup: no
    /// `cgroup.procs` write, whose migration lock can cost milliseconds.
    @Test func commandsAreBornInTheirCgroupWhereTheKernelCan() async throws {
        guard case .cgroup = ProcessContainment.current else { return }
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let version = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard version.count == 2, (version[0], version[1]) >= (5, 7) else { return }
        let report = await ProcessDriver().perform(.run(argv: ["true"]), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(firedrill_spawn_born_in_cgroup() == 1, "clone3 could not start the command in its cgroup on Linux \(release)")
    }

    /// A cgroup left empty by an orchestrator that died is removed; a live one's is not.
    @Test func emptyCgroupsOfDeadOrchestratorsAreRemoved() throws {
        guard case .cgroup(let base, _) = ProcessContainment.current else { return }
        let gone = Foundation.Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = base + "/run-20261201-000000-dead-p\(gone.processIdentifier)-1"
        let live = base + "/p\(getpid())-999999"
        #expect(mkdir(dead, 0o755) == 0)
        #expect(mkdir(live, 0o755) == 0)
        defer { rmdir(live); rmdir(dead) }
        StepCgroup.collectGarbage(in: base)
        #expect(!StepCgroup(path: dead).exists)
        #expect(StepCgroup(path: live).exists)
    }

    /// Without being subreaper (this test process is not), the fallback follows children that
    /// left the group while their parent runs, and a double fork whose grandchild stays in the group.
    @Test(arguments: [false, true])
    func theProcessTableFallbackFollowsChildrenThatLeftTheGroup(cancel: Bool) async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let driver = ProcessDriver(containment: .processTable)
        let (report, processes) = try await runEscaping(driver, escapes: ["setsid", "setpgid", "group-double"], cancel: cancel, dir: dir)
        defer { EscapingProgram.cleanUp(processes) }
        #expect(report.verdict == (cancel ? .cancelled : .timedOut), "\(report.summary)")
        #expect(report.summary.contains("by process table"), "\(report.summary)")
        let survivors = await EscapingProgram.survivors(processes)
        #expect(survivors.isEmpty, "still running after the step was killed: \(survivors)")
    }

    @Test(arguments: [nil, ProcessContainment.processTable])
    func aStepThatExitsNormallyKeepsTheDaemonItStarted(containment: ProcessContainment?) async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let program = try EscapingProgram(in: dir, escapes: ["double"], daemonOnly: true)
        let report = await ProcessDriver(containment: containment).perform(.run(argv: [program.path]), deadline: .none, limits: limits)
        #expect(report.verdict == .passed, "\(report.summary)")
        let daemon = try #require(await program.processes()?.first)
        defer { EscapingProgram.cleanUp([daemon]) }
        // Well past the step's end, the daemon still runs.
        try await Task.sleep(for: .milliseconds(500))
        #expect(daemon.isRunning, "the daemon a step started on purpose was killed")
        if containment == nil, case .cgroup = ProcessContainment.current {
            // Back in the orchestrator's cgroup, where it would be without Firedrill: no step's kill reaches it.
            let cgroup = try String(contentsOfFile: "/proc/\(daemon.pid)/cgroup", encoding: .utf8)
            #expect(!cgroup.contains("/firedrill/"), "\(cgroup)")
        }
    }

    /// Recorded while it runs; after it, the fallback's rows (which name what the command left
    /// running by pid) are cleared by the driver, and a cgroup's (the command and its cgroup, both
    /// gone) are left for the attempt's end to drop in its own transaction.
    @Test(arguments: [nil, ProcessContainment.processTable])
    func theStepsProcessesAreRecordedWhileItRunsAndClearedAfter(containment: ProcessContainment?) async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let rows = Rows()
        let recorder = StepProcessRecorder(runID: "r1", activity: "attempt s#1", record: { rows.add($0) }, clear: { rows.clear() })
        let program = try EscapingProgram(in: dir, escapes: ["setsid"])
        let task = started(program, recording: recorder, containment: containment)
        let processes = try #require(await program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        let main = try #require(processes.first { $0.name == "main" })
        // The supervisor records the command once it watches it: on a loaded machine, after its children wrote their pids.
        func isRecorded(_ rows: [StepProcess]) -> Bool { rows.contains { $0.pid == main.pid && $0.startTicks == main.startTicks } }
        let end = ContinuousClock.now + .seconds(30)
        while !isRecorded(rows.all), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(20)) }
        let recorded = rows.all
        #expect(recorded.contains { $0.pid == main.pid && $0.startTicks == main.startTicks && $0.activity == "attempt s#1" }, "\(recorded)")
        let byCgroup = if containment == nil, case .cgroup = ProcessContainment.current { true } else { false }
        if byCgroup { #expect(recorded.allSatisfy { $0.cgroup != nil }) }
        task.cancel()
        _ = await task.value
        #expect(rows.cleared == !byCgroup)
        #expect(rows.all.isEmpty == !byCgroup)
    }

    /// A takeover kills what another orchestrator's step left: its cgroup, its recorded processes
    /// and what is below them; a row whose start time is not the running process's kills nothing.
    @Test func leftoversOfADeadOrchestratorAreKilledAndAReusedPidIsSpared() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let rows = Rows()
        let recorder = StepProcessRecorder(runID: "r1", activity: "attempt s#1", record: { rows.add($0) }, clear: {})
        let program = try EscapingProgram(in: dir, escapes: ["setsid", "setpgid", "double"])
        // The task is left waiting, as a dead orchestrator's would be; killing its processes ends it.
        let task = started(program, recording: recorder)
        let processes = try #require(await program.processes())
        defer { EscapingProgram.cleanUp(processes) }
        let bystander = Foundation.Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["1000"]
        try bystander.run()
        defer { kill(bystander.processIdentifier, SIGKILL); bystander.waitUntilExit() }
        // The supervisor records the command once it watches it: on a loaded machine, after its children wrote their pids.
        let end = ContinuousClock.now + .seconds(30)
        while rows.all.isEmpty, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(20)) }
        var stale = try #require(rows.all.first)
        stale.pid = bystander.processIdentifier
        stale.startTicks += 1
        stale.cgroup = nil
        let killed = await StepProcess.killLeftovers(rows.all + [stale])
        #expect(killed >= 1)
        let survivors = await EscapingProgram.survivors(processes)
        #expect(survivors.isEmpty, "still running after the takeover: \(survivors)")
        #expect(bystander.isRunning, "a pid recorded with another start time was killed")
        _ = await task.value
    }

    final class Rows: @unchecked Sendable {
        private let lock = NSLock()
        private var rows: [StepProcess] = []
        private(set) var cleared = false
        func add(_ new: [StepProcess]) { lock.withLock { rows += new } }
        func clear() { lock.withLock { rows = []; cleared = true } }
        var all: [StepProcess] { lock.withLock { rows } }
    }
}
