import FiredrillCore
import FiredrillRuntime
import Foundation

/// Where every scenario stands, from the record and the scenario files: what the overview page
/// and `/metrics` show. Files give each schedule and objective; the record gives each run (its
/// headline, as `history` lists it) and the action items. A scenario with runs but no file is
/// shown from its runs alone.
struct DrillOverview: Sendable {
    /// One scenario's standing.
    struct Standing: Sendable {
        var name: String
        var file: String?
        var title: String?
        var schedule: String?
        /// nil when the scenario has no schedule (or no file saying it has one).
        var due: ScheduleCalendar.Due?
        var calendar: ScheduleCalendar?
        var rtoObjective: DrillDuration?
        var rpoObjective: DrillDuration?
        /// Newest first.
        var runs: [RunSummary]
        var openItems: Int
        var overdueItems: Int

        var lastRun: RunSummary? { runs.first }
        /// The newest run that has ended, whatever its status: the figures to show.
        var lastEnded: RunSummary? { runs.first { $0.endedWallNs != nil } }
        /// The newest drill that ran all its phases: what the schedule counts.
        var lastDrill: RunSummary? { runs.first { $0.status.heldTheDrill } }
        var status: String {
            due?.word ?? "not scheduled"
        }
    }

    var scenarios: [Standing]
    var items: [ActionItem]
    var runs: [RunSummary]
    var nowWallNs: Int64
    var today: String

    /// `files`: each scenario file's path and scenario (as `ScenarioFiles.load` gives them).
    static func load(files: [(path: String, scenario: Scenario)], store: (any DrillStore)?, nowWallNs: Int64) throws -> DrillOverview {
        let runs = try store.map { try chainedSummaries(scenario: nil, in: $0) } ?? []
        let items = try store?.actionItems() ?? []
        let today = ActionsCommand.day(of: nowWallNs)
        let byScenario = Dictionary(grouping: runs, by: \.scenario)
        var seen: Set<String> = []
        var out: [Standing] = []
        func row(_ name: String, file: String?, scenario: Scenario?) -> Standing {
            let mine = byScenario[name] ?? []
            let calendar = scenario?.schedule.map(ScheduleCalendar.init)
            let due = calendar?.due(lastDrillWallNs: mine.first { $0.status.heldTheDrill }?.startedWallNs, nowWallNs: nowWallNs)
            let headline = mine.first?.headline
            let theirs = items.filter { $0.scenario == name }
            return Standing(name: name, file: file, title: scenario?.title, schedule: scenario?.schedule?.description, due: due, calendar: calendar,
                            rtoObjective: scenario.map { $0.objectives.rto } ?? headline?.rtoObjective?.target,
                            rpoObjective: scenario.map { $0.objectives.rpo } ?? headline?.rpoObjective?.target,
                            runs: mine, openItems: theirs.filter(\.isOpen).count, overdueItems: theirs.filter { $0.isOverdue(asOf: today) }.count)
        }
        for (path, scenario) in files where seen.insert(scenario.name).inserted {
            out.append(row(scenario.name, file: path, scenario: scenario))
        }
        for name in Set(runs.map(\.scenario)).union(items.map(\.scenario)).subtracting(seen).sorted() {
            out.append(row(name, file: nil, scenario: nil))
        }
        return DrillOverview(scenarios: out, items: items, runs: runs, nowWallNs: nowWallNs, today: today)
    }
}
