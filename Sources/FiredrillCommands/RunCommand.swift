import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a drill.")

    @Argument(help: "Scenario file.") var file: String
    @Option(name: .customLong("var"), help: ArgumentHelp("Override a scenario variable.", valueName: "name=value")) var vars: [String] = []
    @Option(name: .customLong("participant"), help: ArgumentHelp("Who takes part, and as what.", valueName: "name:role"))
    var participants: [String] = []
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false
    @Option(help: ArgumentHelp("The project's alert priorities for scenarios that write none: a YAML file like {P1: {severity: critical}} (else FIREDRILL_PRIORITIES).",
                               valueName: "file"))
    var priorities: String?

    func run() async throws {
        let loaded = try loadScenario(file)
        let overrides = try parseVars(vars)
        let people = try participants.map { text -> Participant in
            guard let colon = text.firstIndex(of: ":") else { throw CommandFailure.usage("--participant expects name:role, got '\(text)'") }
            return Participant(name: String(text[..<colon]), role: String(text[text.index(after: colon)...]))
        }
        var project: [PriorityRule]?
        if let path = priorities ?? ProcessInfo.processInfo.environment["FIREDRILL_PRIORITIES"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CommandFailure.usage("cannot read the priorities file \(path)") }
            do { project = try Alerting.projectPriorities(yaml: text, file: path) } catch { throw CommandFailure.usage(error.message) }
        }
        let db = try store.open()
        let progress = ProgressPrinter(enabled: !quiet)
        // Decided (and the subreaper set, in the fallback) before any step process starts.
        if let warning = ProcessContainment.current.warning { progress.note(warning) }
        let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
            try await runReporting {
                try await DrillExecutor.start(loaded.source, overrides: overrides, participants: people, priorities: project, store: db,
                                              progress: progress, configure: { handle.set($0) })
            }
        }
        printSummary(outcome, store: db)
        throw ExitCode(outcome.exitCode)
    }
}

/// SIGINT or SIGTERM aborts the drill through the run's inbox, so the run rolls back what it
/// did and records why; a second signal stops at once and records that rollbacks are owed.
enum Interruption {
    /// The running executor's recorder, shared with the signal handler's queue.
    final class RunHandle: Sendable {
        private struct State {
            var recorder: RunRecorder?
            var signalName: String?
        }
        private let state = Mutex(State())
        func set(_ executor: DrillExecutor) { state.withLock { $0.recorder = executor.recorder } }
        var current: RunRecorder? { state.withLock { $0.recorder } }
        /// Records the first signal's name; false if one came before.
        func firstSignal(_ name: String) -> Bool {
            state.withLock {
                guard $0.signalName == nil else { return false }
                $0.signalName = name
                return true
            }
        }
    }

    static func abortingOnSignals<T>(store: any DrillStore, _ body: (RunHandle) async throws -> T) async throws -> T {
        let handle = RunHandle()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                guard handle.firstSignal(name) else {
                    handle.current?.interruptNow(reason: "second \(name) received: stopped at once")
                    let id = handle.current?.runID ?? "RUN"
                    FileHandle.standardError.write(Data("""
                        firedrill: second \(name): stopped at once. Rollbacks still owed are listed by `firedrill status \(id)`;
                        `firedrill resume \(id)` runs them.

                        """.utf8))
                    exit(3)
                }
                FileHandle.standardError.write(Data("\nfiredrill: \(name): aborting, rolling back what ran (again to stop at once)\n".utf8))
                if let id = handle.current?.runID {
                    try? store.post(.abortRequested(by: ProcessInfo.processInfo.environment["USER"] ?? "operator", reason: "\(name) received"), to: id)
                }
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return try await body(handle)
    }
}
