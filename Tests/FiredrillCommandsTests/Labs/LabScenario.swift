import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// A lab drill shipped in `scenarios/lab/`: its scenario, its setup script, and what this
/// machine lacks to run it (the script's own `check`), so a test is skipped saying so.
struct LabScenario: Sendable {
    let name: String
    let scenario: String
    let script: String
    let missing: String?

    init(name: String) {
        self.name = name
        scenario = ShippedScenarioTests.root + "/scenarios/lab/\(name).yaml"
        script = ShippedScenarioTests.root + "/scenarios/lab/\(name).sh"
        let check = try? Self.shell([script, "check"])
        switch check {
        case nil: missing = "cannot run \(script) check"
        case let result? where result.status != 0:
            missing = result.output.split(separator: "\n").joined(separator: "; ")
        default: missing = nil
        }
    }

    var skipComment: Comment { Comment(rawValue: "lab \(name) cannot run here: \(missing ?? "")") }

    /// Runs a short command to its end (a lab's check and its queries: they take milliseconds).
    /// Output goes through a file, not a pipe: a daemon the command starts (PostgreSQL) inherits
    /// the pipe and would hold it open forever.
    @discardableResult
    static func shell(_ argv: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lab-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        return (process.terminationStatus, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
    }

    /// The same, waiting without holding a thread: for commands that take longer.
    static func run(_ argv: [String], in directory: String) async throws -> (status: Int32, output: String) {
        let finished = try await FiredrillProcess.run(Array(argv.dropFirst()), directory: directory, executable: argv[0])
        return (finished.status, finished.output)
    }

    /// Runs `body` in a fresh folder, then the clean-up commands and the folder's removal
    /// whether it failed or not. An async `defer`: tearing a lab down takes seconds, which a
    /// `defer` would spend holding one of the test pool's two threads.
    static func inFolder(_ prefix: String, cleanUp: @escaping @Sendable (String) -> [[String]],
                         _ body: (String) async throws -> Void) async throws {
        let dir = try temporaryFolder(prefix)
        let outcome: Result<Void, any Error>
        do {
            try await body(dir)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for command in cleanUp(dir) { _ = try? await run(command, in: dir) }
        try? FileManager.default.removeItem(atPath: dir)
        try outcome.get()
    }
}

/// What a finished lab run recorded, replayed from its database alone.
struct LabRecord {
    let scenario: Scenario
    let run: RunRecord
    let state: RunState
    let measurement: DrillMeasurement

    init(db: String, scenario path: String) throws {
        scenario = try ScenarioLoader.load(path: path, environment: [:]).scenario
        let store = try SQLiteStore(path: db)
        run = try #require(try store.runs(scenario: scenario.name).first)
        let machine = DrillMachine.replay(scenario, events: try store.events(of: run.id).map { ($0.event, $0.at) })
        state = machine.state
        measurement = DrillMeasurement(scenario: scenario, state: state)
    }

    /// What every lab drill must have measured: RTO, RPO with the surviving write, the disaster.
    func figures() throws -> (rto: DrillMeasurement.Span, rpo: DrillMeasurement.RPO, surviving: Int, disaster: Double) {
        #expect(run.status == .completed)
        let rpo = try #require(measurement.rpo)
        return (try #require(measurement.rto), rpo, try #require(rpo.highestSurvivingSeq), try #require(wallSeconds(of: "disaster")))
    }

    /// A mark as Unix seconds, as `${mark.NAME}` gives it to the scenario.
    func wallSeconds(of mark: String) -> Double? {
        state.mark(mark).map { Double(run.startedWallNs + $0.at.nanoseconds) / 1e9 }
    }

    /// The first probe of a `wait_for` step that got the expected result.
    func firstPassingSample(of step: String) -> RunState.Sample? {
        guard let ref = state.attempts.first(where: { $0.stepName == step })?.ref else { return nil }
        return state.samples.first { $0.ref == ref && $0.passed }
    }

    var acknowledgedSeqs: [Int] { state.canary?.writes.filter(\.acknowledged).map(\.seq) ?? [] }

    /// What the steps that did not pass printed, for the message of a failed lab run: the test
    /// removes the lab's folder, logs and all, when it ends.
    static func failedSteps(db: String, scenario: String) -> String {
        guard let record = try? LabRecord(db: db, scenario: scenario) else { return "" }
        return record.state.attempts.filter { $0.verdict != nil && $0.verdict != .passed }.map { attempt in
            let output = [attempt.report?.stdout?.text, attempt.report?.stderr?.text].compactMap { $0 }.joined(separator: "\n")
            return "\n  '\(attempt.stepName)': \(attempt.summary ?? "")\n" + output.suffix(1500)
        }.joined()
    }

    /// The passing attempt of a step.
    func passed(_ step: String) -> RunState.Attempt? {
        state.attempts.last { $0.stepName == step && $0.verdict == .passed }
    }

    /// The first value a passing `prometheus` step reported: "1 result (3.281); expected >= 0".
    func firstValue(ofStep step: String) -> Double? {
        guard let summary = passed(step)?.summary, let open = summary.firstIndex(of: "(") else { return nil }
        let rest = summary[summary.index(after: open)...]
        return Double(rest.prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "e" })
    }
}
