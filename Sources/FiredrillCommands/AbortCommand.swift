import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort a run from another terminal: stop it and roll back what it did.",
        discussion: """
            A run driven by a live process is told through its inbox and rolls back there. A run with no live
            process (interrupted, halted, waiting on a manual step) is taken over and rolled back here.
            """)

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Option(help: "Who aborts.") var by: String
    @Option(help: "Why, for the record.") var reason = "aborted from the command line"
    @Flag(help: "Take the run over even from a holder on another host.") var force = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let db = try store.openExisting()
        let run = try findRun(runID, in: db)
        if run.status.isFinal {
            throw CommandFailure.usage("run \(run.id) already ended: \(run.status.rawValue)")
        }
        let abort = DrillEvent.abortRequested(by: by, reason: reason)
        if let runner = run.runner, runner.isLive == true {
            try db.post(abort, to: run.id)
            print("abort posted to run \(run.id); its orchestrator (\(runner)) rolls back what ran")
            return
        }
        let scenario = try storedScenario(run, in: db)
        try await carryOn(run, scenario: scenario, first: [abort], force: force, store: db, quiet: quiet)
    }
}
