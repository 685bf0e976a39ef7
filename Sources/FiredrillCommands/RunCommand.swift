import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a drill.")

    @Argument(help: "Scenario file.") var file: String
    @Option(name: .customLong("var"), help: ArgumentHelp("Override a scenario variable.", valueName: "name=value")) var vars: [String] = []
    @Option(name: .customLong("participant"), help: ArgumentHelp("Who takes part, and as what.", valueName: "name:role"))
    var participants: [String] = []
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let loaded = try loadScenario(file)
        let overrides = try parseVars(vars)
        let people = try participants.map { text -> Participant in
            guard let colon = text.firstIndex(of: ":") else { throw CommandFailure.usage("--participant expects name:role, got '\(text)'") }
            return Participant(name: String(text[..<colon]), role: String(text[text.index(after: colon)...]))
        }
        let db = try store.open()
        let outcome = try await Interruption.abortingOnSignals(store: db) { runIDBox in
            try await DrillExecutor.start(loaded.source, overrides: overrides, participants: people, store: db,
                                          progress: ProgressPrinter(enabled: !quiet), configure: { runIDBox.set($0.runID) })
        }
        printSummary(outcome, store: db)
        throw ExitCode(outcome.exitCode)
    }
}

/// SIGINT or SIGTERM aborts the drill through the run's inbox, so the run rolls back what it
/// did and records why; a second signal stops at once.
enum Interruption {
    /// A string shared with the signal handler: the run id to abort, the first signal seen.
    final class LockedString: @unchecked Sendable {
        private let lock = NSLock()
        private var id: String?
        func set(_ value: String) { lock.lock(); id = value; lock.unlock() }
        func get() -> String? { lock.lock(); defer { lock.unlock() }; return id }
    }

    static func abortingOnSignals<T>(store: SQLiteStore, _ body: (LockedString) async throws -> T) async throws -> T {
        let box = LockedString()
        // The first signal's name, once one came: a second one stops at once.
        let firstSignal = LockedString()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                if firstSignal.get() != nil {
                    FileHandle.standardError.write(Data("firedrill: second \(name): stopping now; the record shows what is owed\n".utf8))
                    exit(3)
                }
                firstSignal.set(name)
                FileHandle.standardError.write(Data("\nfiredrill: \(name): aborting, rolling back what ran (again to stop at once)\n".utf8))
                if let id = box.get() { try? store.post(.abortRequested(by: ProcessInfo.processInfo.environment["USER"] ?? "operator", reason: "\(name) received"), to: id) }
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return try await body(box)
    }
}
