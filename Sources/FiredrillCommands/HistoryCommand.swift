import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

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
        var detect_seconds: Double?
        var detect_objective: String?
        /// The alert whose firing set the detected mark; null where a Firedrill probe did.
        var detected_by: String?
        /// The age at the disaster of the oldest restore point the drill restored and verified.
        var retention_seconds: Double?
        var retention_objective: String?
        /// Restore points listed past forget_after; null without that objective or an inventory.
        var restore_points_past_forget_after: Int?
        var forget_after_objective: String?

        enum CodingKeys: String, CodingKey {
            case id, scenario, status, started_at, ended_at, rto_seconds, rpo_seconds, objectives_met, objectives, rto_objective, rpo_objective
            case detect_seconds, detect_objective, detected_by
            case retention_seconds, retention_objective, restore_points_past_forget_after, forget_after_objective
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
            try c.encode(detect_seconds, forKey: .detect_seconds)
            try c.encode(detect_objective, forKey: .detect_objective)
            try c.encode(detected_by, forKey: .detected_by)
            try c.encode(retention_seconds, forKey: .retention_seconds)
            try c.encode(retention_objective, forKey: .retention_objective)
            try c.encode(restore_points_past_forget_after, forKey: .restore_points_past_forget_after)
            try c.encode(forget_after_objective, forKey: .forget_after_objective)
        }
    }

    func run() throws {
        let db = try store.openExisting()
        // Figures from each run's chain, not the editable runs table (`verify` names any difference).
        let found = try chainedSummaries(scenario: scenario, in: db)
        func judged(_ objective: DrillMeasurement.Objective?, _ run: RunSummary) -> String? {
            run.endedWallNs == nil ? nil : objective?.verdict.rawValue
        }
        if json {
            let entries = found.map { run in
                Entry(id: run.id, scenario: run.scenario, status: run.status.rawValue, started_at: WallTime.iso8601(run.startedWallNs),
                      ended_at: run.endedWallNs.map(WallTime.iso8601), rto_seconds: run.rtoSeconds, rpo_seconds: run.rpoSeconds,
                      objectives_met: run.objectivesMet, objectives: run.objectivesVerdict?.rawValue,
                      rto_objective: judged(run.headline.rtoObjective, run), rpo_objective: judged(run.headline.rpoObjective, run),
                      detect_seconds: run.endedWallNs == nil ? nil : run.headline.timeToDetect?.value.seconds,
                      detect_objective: judged(run.headline.detectObjective, run),
                      detected_by: run.endedWallNs == nil ? nil : run.headline.detectedBy,
                      retention_seconds: run.retentionSeconds, retention_objective: judged(run.headline.retentionObjective, run),
                      restore_points_past_forget_after: run.endedWallNs == nil ? nil : run.headline.pastForgetAfter,
                      forget_after_objective: judged(run.headline.forgetAfterObjective, run))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        if found.isEmpty { print("no runs\(scenario.map { " of \($0)" } ?? "")") }
        var lines = ""
        for run in found {
            let rto = run.rtoSeconds.map { String(format: "RTO %.3fs", $0) } ?? "RTO —"
            let rpo = run.rpoSeconds.map { String(format: "RPO %.3fs", $0) } ?? "RPO —"
            let met = run.objectivesVerdict.map { "objectives \($0.summaryWord)" } ?? ""
            let retention = run.retentionSeconds.map { String(format: "  retention %@", DrillDuration(nanoseconds: Int64($0 * 1e9)).description) } ?? ""
            lines += "\(run.id)  \(WallTime.human(run.startedWallNs))  \(run.scenario)  \(run.status.rawValue)  \(rto)  \(rpo)\(retention)  \(met)\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }
}
