import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo drill against the bundled sample service on 127.0.0.1.",
        discussion: """
            Starts the sample service, writes canaries, kills it with SIGKILL and deletes its data, detects the
            outage, restores the newest backup, restarts it, verifies it, and prints the measured RTO and RPO next
            to what the service's own log says happened.
            """)

    @Option(help: "The demo scenario.") var scenario = "scenarios/demo.yaml"
    @Option(help: "Working folder for the service's data, backups and log (emptied first).") var workdir = ".firedrill-demo"
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard FileManager.default.fileExists(atPath: scenario) else {
            throw CommandFailure.usage("\(scenario) not found: run the demo from the repository's root folder, or pass --scenario")
        }
        let service = try SampleServiceBinary.locate()
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: workdir, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath)).standardizedFileURL.path
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let port = try LoopbackPort.free()
        let loaded = try loadScenario(scenario)
        let db = try store.open()
        ProgressPrinter.write("Demo drill: sample service \(service) on 127.0.0.1:\(port), data in \(dir)\n\n")
        if let warning = ProcessContainment.current.warning { ProgressPrinter.write(warning + "\n") }
        let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
            try await runReporting {
                try await DrillExecutor.start(loaded.source, overrides: ["service": service, "port": String(port), "dir": dir], store: db,
                                              console: TerminalConsole(interactive: false), configure: { handle.set($0) })
            }
        }
        printSummary(outcome, store: db)
        if let run = try db.run(outcome.runID) {
            let path = "reports/\(run.scenario)/\(run.id)/retrospective.md"
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Retro.render(run, store: db).text.write(toFile: path, atomically: true, encoding: .utf8)
            ProgressPrinter.write("  retrospective written to \(path)\n")
        }
        ProgressPrinter.write(SampleServiceBinary.truthLine(service: service, log: dir + "/service.log"))
        throw ExitCode(outcome.exitCode)
    }
}

enum SampleServiceBinary {
    /// Built next to `firedrill` by `swift build` / `swift run firedrill`.
    static func locate() throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = (exe as NSString).deletingLastPathComponent + "/firedrill-sample-service"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/firedrill-sample-service"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CommandFailure.usage("firedrill-sample-service not found next to \(exe) or in PATH: build it with `swift build`")
    }

    /// What the service's own log says about the outage, for comparison with the measurement.
    static func truthLine(service: String, log: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: service)
        process.arguments = ["truth", "--log", log]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let truth = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return "" }
        let down = (truth["downtimeSeconds"] as? Double).map { String(format: "%.3fs", $0) } ?? "?"
        let rpo = (truth["rpoSeconds"] as? Double).map { String(format: "%.3fs", $0) } ?? "?"
        let lost = truth["lostWrites"].map { "\($0)" } ?? "?"
        return "  the sample service's own log: down for \(down), lost \(lost) acknowledged writes, data loss window \(rpo)\n"
    }
}
