import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

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
        let (run, scenario, machine) = try replayed(runID, in: db)
        guard let halt = machine.state.halt else {
            throw CommandFailure.usage("run \(run.id) is \(machine.state.status.rawValue), not halted: there is nothing in doubt to resolve")
        }
        let resolution = DrillEvent.operatorResolved(.init(ref: halt.ref, attempt: halt.attempt, decision: decision, by: by, note: note))
        try await carryOn(run, scenario: scenario, first: [resolution], force: force, store: db, quiet: quiet)
    }
}

extension Resolution.Decision: EnumerableFlag {}
