import FiredrillRuntime
import Foundation
import Testing

/// What the command line is given that it used to trip on: a bare `--out` file name, a byte
/// order mark, a file that is not a regular file, a clock past 2262.
@Suite struct CommandInputTests {
    @Test func outTakesABareFileName() async throws {
        let dir = try temporaryFolder("out-bare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await ReportCommandTests.runDrill(dir)
        let retro = try await FiredrillProcess.inFolder(["retro", runID, "--out", "retro.md"], dir)
        #expect(retro.status == 0, "\(retro.output)")
        #expect(retro.stdout == "retro.md\n")
        #expect(FileManager.default.fileExists(atPath: dir + "/retro.md"))
        let nested = try await FiredrillProcess.inFolder(["retro", runID, "--out", "a/b/retro.md"], dir)
        #expect(nested.status == 0 && FileManager.default.fileExists(atPath: dir + "/a/b/retro.md"), "\(nested.output)")
        // `report --out` names a folder: a bare one, and the current one.
        for folder in ["out", "."] {
            let report = try await FiredrillProcess.inFolder(["report", runID, "--format", "md", "--out", folder], dir)
            #expect(report.status == 0, "\(report.output)")
            #expect(FileManager.default.fileExists(atPath: dir + "/\(folder)/report.md"), "\(folder)")
        }
    }

    /// `run` is parsed on its own (parsing at the root reflects over every subcommand first);
    /// its help and usage errors still read as the root's, naming `firedrill run`.
    @Test func runIsParsedOnItsOwnAndSaysHelpAndUsageAsTheRootDoes() async throws {
        let dir = try temporaryFolder("run-parse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let usage = "firedrill run <file> [--var <name=value> ...] [--participant <name:role> ...] [--db <path-or-url>] [--quiet]"
        let help = try await FiredrillProcess.run(["run", "--help"], directory: dir)
        #expect(help.status == 0 && help.stdout.contains("USAGE: " + usage), "\(help.output)")
        let missing = try await FiredrillProcess.run(["run"], directory: dir)
        #expect(missing.status == 2 && missing.stderr.contains("Error: Missing expected argument '<file>'"), "\(missing.output)")
        #expect(missing.stderr.contains("Usage: " + usage), "\(missing.output)")
        let unknown = try await FiredrillProcess.run(["run", "x.yaml", "--bogus"], directory: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("Error: Unknown option '--bogus'"), "\(unknown.output)")
        #expect(unknown.stderr.contains("See 'firedrill run --help' for more information."), "\(unknown.output)")
        // And a plain run is a run, its options taken.
        try "firedrill: 1\nname: parse-drill\nphases:\n  - name: p\n    steps:\n      - {name: s, sleep: 1ms}\n"
            .write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
        let ran = try await FiredrillProcess.run(["run", dir + "/d.yaml", "--db", dir + "/r.db", "--quiet", "--var", "x=1"], directory: dir)
        #expect(ran.status == 0 && ran.stdout.contains(": completed"), "\(ran.output)")
        #expect(!ran.stdout.contains("phase"), "--quiet was not taken: \(ran.output)")
    }

    @Test func aByteOrderMarkIsAcceptedAndPositionsCountFromAfterIt() async throws {
        let dir = try temporaryFolder("bom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/good.yaml"
        try Data([0xEF, 0xBB, 0xBF] + Array("firedrill: 1\nname: bom-drill\nphases:\n  - name: p\n    steps:\n      - {name: s, sleep: 1ms}\n".utf8))
            .write(to: URL(fileURLWithPath: good))
        let ok = try await FiredrillProcess.run(["validate", good], directory: dir)
        #expect(ok.status == 0, "\(ok.output)")
        let bad = dir + "/bad.yaml"
        try Data([0xEF, 0xBB, 0xBF] + Array("name: Bad Name\nfiredrill: 1\n".utf8)).write(to: URL(fileURLWithPath: bad))
        let refused = try await FiredrillProcess.run(["validate", bad], directory: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("\(bad):1:7: error: name 'Bad Name' must use only lowercase"), "\(refused.output)")
    }

    @Test func onlyRegularFilesAreReadAsScenarios() async throws {
        let dir = try temporaryFolder("not-regular")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/drill.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        try FileManager.default.createDirectory(atPath: dir + "/folder.yaml", withIntermediateDirectories: true)
        for (command, path, kind) in [("validate", fifo, "a FIFO"), ("plan", fifo, "a FIFO"), ("run", fifo, "a FIFO"),
                                      ("validate", dir + "/folder.yaml", "a directory"), ("plan", "/dev/null", "a character device")] {
            // A FIFO with no writer used to block the open forever: give up after 20 s rather than hang the suite.
            let running = try FiredrillProcess.Running([command, path] + (command == "run" ? ["--db", dir + "/fd.db"] : []), directory: dir)
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                kill(running.pid, SIGKILL)
            }
            let finished = await running.wait()
            watchdog.cancel()
            #expect(!finished.signaled, "\(command) \(path) hung")
            #expect(finished.status == 2, "\(command) \(path): \(finished.output)")
            #expect(finished.stderr.contains("\(path):1:1: error: cannot read the scenario: not a regular file (\(kind))"), "\(finished.output)")
        }
    }

    /// Nanoseconds since 1970 in an Int64 end on 2262-04-11; an instant past that trapped.
    @Test func anInstantPast2262IsRefusedNotACrash() async throws {
        let dir = try temporaryFolder("year-2262")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let due = try await FiredrillProcess.inFolder(["due", dir, "--as-of", "2300-01-01T00:00:00Z"], dir)
        #expect(!due.signaled, "crashed: \(due.output)")
        #expect(due.status == 2)
        #expect(due.stderr.contains("'2300-01-01T00:00:00Z' is outside what Firedrill records (up to 2262-04-11 23:47:16 UTC)"), "\(due.output)")
    }

    static let hasFaketime = FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime")

    /// The wall clock itself past 2262, as libfaketime's `faketime` shows it to the process (the
    /// monotonic clock left alone): every command refuses at once, exit 70, saying why, and a run
    /// records nothing. Without the check every command went on, and `run` recorded a drill on
    /// saturated, meaningless instants.
    @Test(.enabled(if: hasFaketime, "faketime is not installed: apt-get install faketime"))
    func aWallClockPast2262IsRefusedWithExit70() async throws {
        let dir = try temporaryFolder("clock-2300")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/drill.yaml"
        try "firedrill: 1\nname: late-drill\nphases:\n  - name: p\n    steps:\n      - {name: s, run: [\"true\"]}\n"
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        let db = dir + "/fd.db"
        for arguments in [["validate", scenario], ["run", scenario, "--db", db], ["history", "--db", db]] {
            let finished = try await FiredrillProcess.run(["--exclude-monotonic", "2300-01-01 00:00:00", FiredrillProcess.path] + arguments,
                                                          environment: ["TZ": "UTC"], directory: dir, executable: "/usr/bin/faketime")
            #expect(!finished.signaled, "\(arguments[0]) crashed: \(finished.output)")
            #expect(finished.status == 70, "\(arguments[0]): \(finished.output)")
            #expect(finished.stderr.contains("firedrill: error: the system clock reads 104137920"), "\(arguments[0]): \(finished.output)")
            #expect(finished.stderr.contains("s since 1970, outside what Firedrill records (nanoseconds in 64 bits: up to 2262-04-11 23:47:16 UTC)"),
                    "\(arguments[0]): \(finished.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: db), "a run was recorded under a clock past 2262")
    }
}
