import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct ConfirmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Confirm the manual step a run waits on.",
        discussion: """
            If the run's orchestrator is still live (prompting at a terminal), the confirmation is handed to it.
            If the run stopped waiting (exit 4), this command carries the run on from its record.
            """)

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Option(help: "Who confirms.") var by: String
    @Option(help: "A note for the record.") var note: String?
    @Flag(help: "Only record the confirmation; do not carry the run on here.") var noContinue = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let db = try store.openExisting()
        let (run, scenario, machine) = try replayed(runID, in: db)
        guard let waiting = machine.awaitingOperator else {
            throw CommandFailure.usage("run \(run.id) is \(machine.state.status.rawValue) and is not waiting on a manual step")
        }
        let confirmation = DrillEvent.operatorConfirmed(.init(ref: waiting.ref, by: by, note: note))
        if let runner = run.runner, runner.isLive == true {
            try db.post(confirmation, to: run.id)
            print("confirmed '\(waiting.step.name)' for run \(run.id); its orchestrator (pid \(runner.pid)) carries on")
            return
        }
        if noContinue {
            throw CommandFailure.usage("run \(run.id) has no live orchestrator; confirm without --no-continue to carry it on")
        }
        let timeline = RunTimeline(startMonoNs: run.startedMonoNs, startWallNs: run.startedWallNs, startBootID: run.bootID,
                                   bootID: SystemClock().bootID)
        if !machine.overdue(at: timeline.instant(SystemClock().now())).isEmpty {
            print("too late for '\(waiting.step.name)' of run \(run.id): its deadline (or the drill's max_duration) has passed; the confirmation is recorded, and the run goes to its rollbacks")
        } else {
            print("confirmed '\(waiting.step.name)' for run \(run.id); carrying the run on from its record")
        }
        try await carryOn(run, scenario: scenario, first: [confirmation], store: db, quiet: quiet)
    }
}
