import ArgumentParser
import FiredrillCore
import FiredrillReports
import FiredrillRuntime
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show runs in progress, or one run in detail.")

    @Argument(help: "Run id (or a unique prefix).") var runID: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let db = try store.openExisting()
        guard let runID else {
            let open = try db.runs(scenario: nil).filter { !$0.status.isFinal }
            if open.isEmpty { print("no drills in progress") }
            for run in open {
                let runner = run.runner.map { $0.isLive == false ? "  runner gone (pid \($0.pid)): firedrill resume \(run.id)" : "  \($0)" }
                    ?? (run.status == .running ? "  no runner: firedrill resume \(run.id)" : "")
                print("\(run.id)  \(run.scenario)  \(run.status.rawValue)  started \(WallTime.human(run.startedWallNs))\(runner)")
            }
            return
        }
        let (run, scenario, machine) = try replayed(runID, in: db)
        let state = machine.state
        var lines = [
            "run:      \(run.id)",
            "scenario: \(run.scenario)\(run.title.map { " (\($0))" } ?? "")",
            "status:   \(state.status.rawValue)\(state.failureReason.map { " — \($0)" } ?? "")",
            "started:  \(WallTime.human(run.startedWallNs))",
        ]
        if let ended = run.endedWallNs { lines.append("ended:    \(WallTime.human(ended))") }
        if let runner = run.runner {
            let state = switch runner.isLive { case true?: "running"; case false?: "gone: firedrill resume \(run.id) takes over"; case nil: "on another host" }
            lines.append("runner:   \(runner) (\(state))")
        } else if !run.status.isFinal, run.status != .waiting, run.status != .halted {
            lines.append("runner:   none: firedrill resume \(run.id) carries the run on")
        }
        if let current = state.current, let step = machine.step(current.ref) {
            lines.append("current:  \(machine.phaseName(of: current.ref)) › \(step.name)")
        }
        if let waiting = machine.awaitingOperator {
            lines.append("waiting:  '\(waiting.step.name)': \(waiting.instructions)")
            lines.append("          confirm with: firedrill confirm \(run.id) --by NAME")
        }
        if let halt = state.halt {
            lines.append("halted:   \(halt.reason)")
            lines.append("          decide with: firedrill resolve \(run.id) --retry | --skip | --rollback --by NAME")
        }
        for mark in state.marks { lines.append("mark:     \(mark.name) at \(mark.at)") }
        if let trip = state.guardTrip { lines.append("guard:    '\(trip.name)' tripped at \(trip.at): \(trip.summary)") }
        let owed = state.rollbacksOwed.compactMap { state.ledger[safe: $0]?.step.name }
        if !owed.isEmpty {
            lines.append("owed:     rollbacks still to run, in order: \(owed.joined(separator: ", "))")
            if !run.status.isFinal { lines.append("          run them with: firedrill resume \(run.id)") }
        } else if !state.ledger.isEmpty, !run.status.isFinal, state.stage != .rollback {
            lines.append("ledger:   \(state.ledger.count) rollback\(state.ledger.count == 1 ? "" : "s") registered (run on failure or abort)")
        }
        let failedRollbacks = state.ledger.indices.filter { state.stepsFailed.contains(.rollback($0)) }.compactMap { state.ledger[$0].step.name }
        if !failedRollbacks.isEmpty { lines.append("rollbacks failed: \(failedRollbacks.joined(separator: ", "))") }
        lines.append("chain:    \(run.eventCount) events, head \(run.headHash ?? AuditChain.genesis) (check with firedrill verify)")
        let m = DrillMeasurement(scenario: scenario, state: state)
        if let rto = m.rto { lines.append("RTO:      \(rto.value.secondsText)") }
        if let rpo = m.rpo?.span { lines.append("RPO:      \(rpo.value.secondsText)") }
        // Names and summaries come from the scenario and its steps: no escape sequence reaches the terminal.
        print(ControlCharacters.visible(lines.joined(separator: "\n")))
    }
}
