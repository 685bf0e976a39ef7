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
            this host is taken over; a holder on another host needs --force. With a PostgreSQL record, a holder on
            another host renews its lease: while it does, the run is refused even with --force, and once the lease
            expired (FIREDRILL_LEASE_TTL_S, default 30 s) it is taken over without --force.
            """)

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Flag(help: "Take the run over even from a holder on another host.") var force = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print only the summary.") var quiet = false

    func run() async throws {
        let db = try store.openExisting()
        let run = try findRun(runID, in: db)
        let scenario = try storedScenario(run, in: db)
        if run.status.isFinal {
            print("run \(run.id) already ended: \(run.status.rawValue)")
            throw ExitCode(0)
        }
        try await carryOn(run, scenario: scenario, force: force, store: db, quiet: quiet)
    }
}

/// Takes a run over from its record (recording `first`), drives it to its next stop, prints the
/// summary and exits with the run's code: what resume, resolve, abort and confirm share.
func carryOn(_ run: RunRecord, scenario: Scenario, first: [DrillEvent] = [], force: Bool = false, store db: any DrillStore,
             quiet: Bool) async throws -> Never {
    let progress = ProgressPrinter(enabled: !quiet)
    if let warning = ProcessContainment.current.warning { progress.note(warning) }
    let outcome = try await Interruption.abortingOnSignals(store: db) { handle in
        try await runReporting {
            try await DrillExecutor.resume(runID: run.id, scenario: scenario, first: first, force: force, store: db,
                                           progress: progress, configure: { handle.set($0) })
        }
    }
    printSummary(outcome, store: db)
    throw ExitCode(outcome.exitCode)
}
