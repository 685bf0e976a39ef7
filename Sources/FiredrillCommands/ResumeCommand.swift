import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Carry on a run whose orchestrator died (kill -9, reboot), or run the rollbacks it still owes.",
        discussion: """
            Replays the run's events and re-arms what was in flight: deadlines keep their original instants and the
            RTO clock keeps running across the gap. Probes, wait_for, sleep and steps marked idempotent are run
            again; any other step that was dispatched with no recorded result halts the run (exit 4) until an
            operator decides with `firedrill resolve`. A run held by a live process is refused; a holder gone from
            this host is taken over; a holder on another host needs --force.
            """)

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Flag(help: "Take the run over even from a holder on another host.") var force = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let db = try store.openExisting()
        let run = try findRun(runID, in: db)
        let scenario = try storedScenario(run)
        if run.status.isFinal {
            print("run \(run.id) already ended: \(run.status.rawValue)")
            throw ExitCode(0)
        }
        let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
            try await runReporting {
                try await DrillExecutor.resume(runID: run.id, scenario: scenario, force: force, store: db,
                                               progress: ProgressPrinter(enabled: !quiet), configure: { handle.set($0) })
            }
        }
        printSummary(outcome, store: db)
        throw ExitCode(outcome.exitCode)
    }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Decide about the step a halted run found in doubt, and carry the run on.",
        discussion: """
            --retry: it did not happen (or may safely happen again): run it again. --skip: it happened: count it as
            done. --rollback: stop the drill and roll back what ran, in reverse order. The decision is recorded with
            who made it and the note.
            """)

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Flag(help: "What to do with the step in doubt.") var decision: Resolution.Decision
    @Option(help: "Who decides.") var by: String
    @Option(help: "Why, for the record.") var note: String?
    @Flag(help: "Take the run over even from a holder on another host.") var force = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let db = try store.openExisting()
        let run = try findRun(runID, in: db)
        let scenario = try storedScenario(run)
        let machine = DrillMachine.replay(scenario, events: try db.events(of: run.id).map { ($0.event, $0.at) })
        guard let halt = machine.state.halt else {
            throw CommandFailure.usage("run \(run.id) is \(machine.state.status.rawValue), not halted: there is nothing in doubt to resolve")
        }
        let resolution = DrillEvent.operatorResolved(.init(ref: halt.ref, attempt: halt.attempt, decision: decision, by: by, note: note))
        let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
            try await runReporting {
                try await DrillExecutor.resume(runID: run.id, scenario: scenario, first: [resolution], force: force, store: db,
                                               progress: ProgressPrinter(enabled: !quiet), configure: { handle.set($0) })
            }
        }
        printSummary(outcome, store: db)
        throw ExitCode(outcome.exitCode)
    }
}

extension Resolution.Decision: EnumerableFlag {}

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
        let scenario = try storedScenario(run)
        let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
            try await runReporting {
                try await DrillExecutor.resume(runID: run.id, scenario: scenario, first: [abort], force: force, store: db,
                                               progress: ProgressPrinter(enabled: !quiet), configure: { handle.set($0) })
            }
        }
        printSummary(outcome, store: db)
        throw ExitCode(outcome.exitCode)
    }
}
