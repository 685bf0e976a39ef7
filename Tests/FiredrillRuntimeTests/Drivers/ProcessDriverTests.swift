import FiredrillCore
@testable import FiredrillRuntime
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("ProcessDriver against real processes")
struct ProcessDriverTests {
    let driver = ProcessDriver()
    let limits = DriverLimits()

    @Test func exitZeroPasses() async {
        let report = await driver.perform(.run(argv: ["true"]), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.summary == "exit 0")
        #expect(report.exitStatus == 0)
        #expect(report.terminationSignal == nil)
    }

    @Test func nonZeroExitFails() async {
        let report = await driver.perform(.shell(script: "exit 3"), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "exit 3")
        #expect(report.exitStatus == 3)
    }

    @Test func killedBySignalFails() async {
        let report = await driver.perform(.shell(script: "kill -9 $$"), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "killed by signal 9 (KILL)")
        #expect(report.terminationSignal == 9)
        #expect(report.exitStatus == nil)
    }

    @Test func capturesStdoutAndStderrSeparately() async {
        let report = await driver.perform(.shell(script: "echo out; echo err >&2; echo more"), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.text == "out\nmore\n")
        #expect(report.stderr?.text == "err\n")
        #expect(report.stdout?.totalBytes == 9)
        #expect(report.stdout?.truncated == false)
    }

    @Test func largeOutputIsBoundedButCounted() async {
        let report = await driver.perform(
            .run(argv: ["head", "-c", "5000000", "/dev/zero"]), deadline: .none, limits: DriverLimits(outputBytes: 1000))
        #expect(report.verdict == .passed)
        #expect(report.stdout?.keptBytes == 1000)
        #expect(report.stdout?.totalBytes == 5_000_000)
        #expect(report.stdout?.truncated == true)
        // Each NUL is kept as the four characters `\x00`.
        #expect(report.stdout?.text == String(repeating: "\\x00", count: 1000))
    }

    @Test func bothStreamsAreDrainedConcurrently() async {
        // Each stream exceeds a pipe buffer; reading one after the other would deadlock.
        let script = "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; head -c 300000 /dev/zero"
        let report = await driver.perform(.shell(script: script), deadline: DriverTestSupport.deadline(in: .seconds(60)), limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.totalBytes == 600_000)
        #expect(report.stderr?.totalBytes == 300_000)
        #expect(report.stdout?.keptBytes == CapturedOutput.defaultLimit)
    }

    @Test func invalidUTF8IsEscapedNotFatal() async {
        let report = await driver.perform(.run(argv: ["printf", "a\\377\\376b"]), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.text == "a\\xff\\xfeb")
        #expect(report.stdout?.totalBytes == 4)
    }

    @Test func boundNeverSplitsACharacter() async {
        // "é" is two bytes; a bound of 3 would cut the second one in half.
        let report = await driver.perform(.run(argv: ["printf", "%s", "ééé"]), deadline: .none, limits: DriverLimits(outputBytes: 3))
        #expect(report.stdout?.text == "é")
        #expect(report.stdout?.keptBytes == 2)
        #expect(report.stdout?.totalBytes == 6)
    }

    @Test func argvIsPassedLiterallyWithoutAShell() async {
        let nasty = "it's \"quoted\"; echo pwned $(echo subst) `echo tick` $HOME * ~ | cat\nsecond line\\n"
        let report = await driver.perform(.run(argv: ["printf", "%s", nasty]), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.text == nasty)
    }

    @Test func argvElementsStaySeparate() async {
        let report = await driver.perform(.run(argv: ["printf", "<%s>", "a b", "", "c;d"]), deadline: .none, limits: limits)
        #expect(report.stdout?.text == "<a b><><c;d>")
    }

    @Test func shellScriptRunsThroughBinSh() async {
        let report = await driver.perform(.shell(script: "x=1; y=$((x + 41)); echo \"$y\" | tr 4 X"), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.text == "X2\n")
    }

    @Test func stdinIsDevNull() async {
        // With an inherited or open stdin, `cat` would wait for input forever.
        let report = await driver.perform(.run(argv: ["cat"]), deadline: DriverTestSupport.deadline(in: .seconds(30)), limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.stdout?.text == "")
    }

    @Test func commandRunsInItsOwnProcessGroup() async {
        // Field 5 of /proc/PID/stat is the process group.
        let report = await driver.perform(.shell(script: "echo $$; cut -d' ' -f5 /proc/$$/stat"), deadline: .none, limits: limits)
        let lines = report.stdout?.text.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 2)
        #expect(lines.first == lines.last)
        #expect(lines.first != String(getpgrp()))
    }

    @Test func timeoutKillsTheWholeProcessTree() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let pidfile = dir + "/pids"
        let script = "sleep 300 & echo $$ $! > '\(pidfile)'; sleep 300"
        let started = ContinuousClock.now
        let report = await driver.perform(.shell(script: script), deadline: DriverTestSupport.deadline(in: .seconds(2)), limits: limits)
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(report.verdict == .timedOut)
        #expect(report.summary.hasPrefix("timed out after "))
        #expect(report.terminationSignal == SIGKILL)

        let pids = try #require(await DriverTestSupport.waitForPids(in: pidfile, count: 2))
        defer { DriverTestSupport.cleanUpGroup(pids[0]) }
        // The driver kills at the deadline; if a loaded machine held it back past the watchdog's
        // two seconds, the watchdog did, and the report says so.
        #expect(report.summary.contains("s; killed process group \(pids[0]) and all it started (3 processes, by ")
                || report.summary.hasSuffix("killed with all it started by the deadline watchdog"), "\(report.summary)")
        #expect(await DriverTestSupport.waitUntilGone(pids), "shell \(pids[0]) and background sleep \(pids[1]) must both be killed")
    }

    @Test func cancellationKillsTheWholeProcessTree() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let pidfile = dir + "/pids"
        let driver = driver
        let limits = limits
        let task = Task {
            await driver.perform(.shell(script: "sleep 300 & echo $$ $! > '\(pidfile)'; sleep 300"), deadline: .none, limits: limits)
        }
        let pids = try #require(await DriverTestSupport.waitForPids(in: pidfile, count: 2))
        defer { DriverTestSupport.cleanUpGroup(pids[0]) }
        task.cancel()
        let report = await task.value
        #expect(report.verdict == .cancelled)
        #expect(report.summary.hasPrefix("cancelled; killed process group \(pids[0]) and all it started (3 processes, by "), "\(report.summary)")
        #expect(await DriverTestSupport.waitUntilGone(pids))
    }

    @Test func cancelledBeforeStartingLaunchesNothing() async {
        let driver = driver
        let limits = limits
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await driver.perform(.run(argv: ["true"]), deadline: .none, limits: limits)
        }
        let report = await task.value
        #expect(report.verdict == .cancelled)
    }

    @Test func deadlineAlreadyPassedLaunchesNothing() async {
        let report = await driver.perform(.run(argv: ["true"]), deadline: Deadline(clock: SystemClock(), monoNs: SystemClock().now().monoNs - 1_000_000_000), limits: limits)
        #expect(report.verdict == .timedOut)
    }

    @Test func daemonThatDetachesDoesNotHoldTheStep() async throws {
        // The daemon closes the pipes and leaves the session: the step ends when the shell exits.
        let started = ContinuousClock.now
        let report = await driver.perform(
            .shell(script: "setsid sleep 120 >/dev/null 2>&1 </dev/null & echo started $!"),
            deadline: DriverTestSupport.deadline(in: .seconds(100)), limits: limits)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .passed)
        let words = report.stdout?.text.split(whereSeparator: \.isWhitespace) ?? []
        #expect(words.first == "started")
        let daemon = try #require(words.last.flatMap { pid_t($0) })
        defer { DriverTestSupport.cleanUp([daemon]) }
        #expect(DriverTestSupport.isAlive(daemon), "a normal exit must not kill what the command started")
    }

    @Test func backgroundChildHoldingStdoutDoesNotHoldTheStep() async throws {
        // The background sleep inherits stdout and keeps the pipe open for two minutes.
        let started = ContinuousClock.now
        let report = await driver.perform(
            .shell(script: "sleep 120 & echo started $!"),
            deadline: DriverTestSupport.deadline(in: .seconds(100)), limits: limits)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .passed)
        #expect(report.summary == "exit 0")
        let words = report.stdout?.text.split(whereSeparator: \.isWhitespace) ?? []
        #expect(words.first == "started")
        let child = try #require(words.last.flatMap { pid_t($0) })
        defer { DriverTestSupport.cleanUp([child]) }
        #expect(DriverTestSupport.isAlive(child), "a normal exit must not kill the process group")
    }

    @Test func backgroundChildStillWritingDoesNotHoldTheStep() async throws {
        // `yes` floods stderr forever: the readers must stop after a short grace, not at EOF.
        // 200 KB go out first, so the bound is passed however slowly a loaded machine runs `yes`.
        let started = ContinuousClock.now
        let report = await driver.perform(
            .shell(script: "head -c 200000 /dev/zero | tr '\\0' y >&2; yes >&2 & sleep 1; echo started $!"),
            deadline: DriverTestSupport.deadline(in: .seconds(100)), limits: limits)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .passed)
        let words = report.stdout?.text.split(whereSeparator: \.isWhitespace) ?? []
        #expect(words.first == "started")
        let child = try #require(words.last.flatMap { pid_t($0) })
        defer { DriverTestSupport.cleanUp([child]) }
        #expect(report.stderr?.truncated == true)
        #expect(report.stderr?.text.hasPrefix("yyyy") == true)
    }

    @Test func missingExecutableIsAnError() async {
        let report = await driver.perform(.run(argv: ["nosuchcmd-firedrill", "x"]), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary == "no such executable 'nosuchcmd-firedrill' in PATH")
    }

    @Test func missingExecutablePathIsAnError() async {
        let report = await driver.perform(.run(argv: ["/no/such/firedrill-tool"]), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary == "no such executable '/no/such/firedrill-tool'")
    }

    @Test func nonExecutableFileIsAnError() async throws {
        let dir = try DriverTestSupport.scratchDirectory()
        defer { DriverTestSupport.removeScratch(dir) }
        let path = dir + "/plain.txt"
        try "echo hi\n".write(toFile: path, atomically: true, encoding: .utf8)
        let report = await driver.perform(.run(argv: [path]), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
        #expect(report.summary == "cannot execute '\(path)': permission denied")
    }

    @Test func emptyArgvIsAnError() async {
        let report = await driver.perform(.run(argv: []), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
    }

    @Test func durationsRoundToTenths() {
        #expect(ProcessDriver.seconds(.milliseconds(1999)) == "2.0s")
        #expect(ProcessDriver.seconds(.milliseconds(2040)) == "2.0s")
        #expect(ProcessDriver.seconds(.milliseconds(500)) == "0.5s")
        #expect(ProcessDriver.seconds(.seconds(90)) == "90.0s")
    }

    @Test func outputCaptureKeepsCompleteCharacters() {
        #expect(OutputCapture.endOfCompleteUTF8(Array("abc".utf8)) == 3)
        #expect(OutputCapture.endOfCompleteUTF8(Array("aé".utf8)) == 3)
        #expect(OutputCapture.endOfCompleteUTF8(Array(Array("a€".utf8).prefix(3))) == 1)
        #expect(OutputCapture.endOfCompleteUTF8(Array(Array("a😀".utf8).prefix(4))) == 1)
        #expect(OutputCapture.endOfCompleteUTF8([0xFF, 0xFE]) == 2)
        #expect(OutputCapture.endOfCompleteUTF8([]) == 0)
    }
}
