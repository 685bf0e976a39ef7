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

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List past runs.")

    @Option(help: "Only runs of this scenario.") var scenario: String?
    @Flag(help: "A JSON array of runs.") var json = false
    @OptionGroup var store: StoreOptions

    struct Entry: Encodable {
        var id: String
        var scenario: String
        var status: String
        var started_at: String
        var ended_at: String?
        var rto_seconds: Double?
        var rpo_seconds: Double?
        var objectives_met: Bool?
        /// met, missed, undetermined (bounds straddling an objective, or a figure not measured), or null.
        var objectives: String?
        var rto_objective: String?
        var rpo_objective: String?

        enum CodingKeys: String, CodingKey {
            case id, scenario, status, started_at, ended_at, rto_seconds, rpo_seconds, objectives_met, objectives, rto_objective, rpo_objective
        }

        // nil fields are written as null, not left out.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(scenario, forKey: .scenario)
            try c.encode(status, forKey: .status)
            try c.encode(started_at, forKey: .started_at)
            try c.encode(ended_at, forKey: .ended_at)
            try c.encode(rto_seconds, forKey: .rto_seconds)
            try c.encode(rpo_seconds, forKey: .rpo_seconds)
            try c.encode(objectives_met, forKey: .objectives_met)
            try c.encode(objectives, forKey: .objectives)
            try c.encode(rto_objective, forKey: .rto_objective)
            try c.encode(rpo_objective, forKey: .rpo_objective)
        }
    }

    func run() throws {
        let db = try store.openExisting()
        // Figures from each run's chain, not the editable runs table (`verify` names any difference).
        let found = try chainedRuns(scenario: scenario, in: db)
        let runs = found.map(\.run)
        func judged(_ objective: DrillMeasurement.Objective?, _ run: RunRecord) -> String? {
            run.endedWallNs == nil ? nil : objective?.verdict.rawValue
        }
        if json {
            let entries = found.map { e in
                let run = e.run
                return Entry(id: run.id, scenario: run.scenario, status: run.status.rawValue, started_at: WallTime.iso8601(run.startedWallNs),
                             ended_at: run.endedWallNs.map(WallTime.iso8601), rto_seconds: run.rtoSeconds, rpo_seconds: run.rpoSeconds,
                             objectives_met: run.objectivesMet,
                             objectives: run.endedWallNs == nil ? nil : e.measurement.objectivesVerdict?.rawValue,
                             rto_objective: judged(e.measurement.rtoObjective, run), rpo_objective: judged(e.measurement.rpoObjective, run))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        if runs.isEmpty { print("no runs\(scenario.map { " of \($0)" } ?? "")") }
        for (run, e) in zip(runs, found) {
            let rto = run.rtoSeconds.map { String(format: "RTO %.3fs", $0) } ?? "RTO —"
            let rpo = run.rpoSeconds.map { String(format: "RPO %.3fs", $0) } ?? "RPO —"
            let met = run.endedWallNs == nil ? "" : e.measurement.objectivesVerdict.map { "objectives \($0.summaryWord)" } ?? ""
            print("\(run.id)  \(WallTime.human(run.startedWallNs))  \(run.scenario)  \(run.status.rawValue)  \(rto)  \(rpo)  \(met)")
        }
    }
}

struct RetroCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retro", abstract: "Write a run's retrospective (Markdown), rendered from the record alone.")

    @Argument(help: "Run id (or a unique prefix).") var runID: String
    @Option(help: "Where to write it (default reports/SCENARIO/RUN_ID/retrospective.md; - for stdout).") var out: String?
    @Option(help: "A Mustache template of your own, given the same data as the shipped one.") var template: String?
    @Option(help: "Judge action items overdue as of this day (YYYY-MM-DD) instead of today.") var asOf: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let db = try store.openExisting()
        let run = try findRun(runID, in: db)
        let templateText = try template.map(readTemplate)
        let (text, chained) = try Retro.render(run, store: db, template: templateText, asOf: asOf)
        let path = out ?? "reports/\(pathComponent(chained.scenario))/\(pathComponent(run.id))/retrospective.md"
        if path == "-" { print(text, terminator: ""); return }
        try createParentDirectory(of: path)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        print(path)
    }
}

enum Retro {
    /// The retrospective, and the run as its chain tells it.
    static func render(_ run: RunRecord, store: SQLiteStore, template: String? = nil, asOf: String? = nil) throws -> (text: String, run: RunRecord) {
        let (input, chained) = try Report.input(run, store: store, renderedAt: nil, asOf: try ActionsCommand.today(asOf), signOff: .init())
        do {
            return (try ReportRenderer.render(DrillRetrospective(input, status: input.retrospective.state.status), template: template), chained)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
    }
}
