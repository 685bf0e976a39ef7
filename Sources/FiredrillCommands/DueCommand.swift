import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

/// The scenarios a command looks at: files as given, folders searched for `.yaml` and `.yml`.
struct ScenarioFiles: ParsableArguments {
    @Argument(help: "Scenario files or folders (default: scenarios).") var paths: [String] = []

    func list() -> [String] { Self.list(paths) }

    /// A property wrapper's value cannot be made outside parsing: what `serve` reads again for each page.
    static func list(_ paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths.isEmpty ? ["scenarios"] : paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { files.append(path); continue }
            if isDirectory.boolValue {
                let found = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
                files += found.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { path.withoutTrailingSlash + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Each file's scenario; the ones that do not load are reported and left out.
    func load() -> (scenarios: [(path: String, scenario: Scenario)], failed: Int) { Self.load(paths) }

    static func load(_ paths: [String]) -> (scenarios: [(path: String, scenario: Scenario)], failed: Int) {
        var out: [(String, Scenario)] = []
        var failed = 0
        for path in list(paths) {
            do {
                out.append((path, try ScenarioLoader.load(path: path).scenario))
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("\(path): cannot be read as a scenario (firedrill validate \(path) says why)\n".utf8))
            }
        }
        return (out, failed)
    }
}

struct DueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "due",
        abstract: "Each scheduled scenario's last completed drill, when the next is due, and whether it is overdue.",
        discussion: """
            Each period between two planned instants of a scenario's schedule needs one drill that ran all its \
            phases (completed or deviated; a failed or aborted drill does not count). Exit 1 when any scenario \
            is overdue or was never drilled, so that a CI job or cron can alert on it.
            """)

    @OptionGroup var files: ScenarioFiles
    @Flag(help: "JSON, one object per scenario.") var json = false
    @Option(help: "Judge as of this instant (ISO 8601, like 2027-04-02T09:00:00Z) instead of now.") var asOf: String?
    @OptionGroup var store: StoreOptions

    struct Row: Encodable {
        var scenario: String
        var file: String
        var schedule: String?
        var timeZone: String?
        var lastDrillRunID: String?
        var lastDrill: String?
        var windowOpens: String?
        var due: String?
        var status: String
        var overdue: Bool
    }

    func run() throws {
        let now = try Self.instant(asOf)
        let (scenarios, failed) = files.load()
        let db = store.isPostgres || FileManager.default.fileExists(atPath: store.path) ? try store.open() : nil
        var rows: [Row] = []
        // Every run read once, then looked up by scenario (the name its chain holds).
        let chained = try db.map { try chainedSummaries(scenario: nil, in: $0) } ?? []
        let byScenario = Dictionary(grouping: chained, by: \.scenario)
        for (path, scenario) in scenarios {
            guard let schedule = scenario.schedule else {
                rows.append(Row(scenario: scenario.name, file: path, status: "not scheduled", overdue: false))
                continue
            }
            let calendar = ScheduleCalendar(schedule)
            // The status and start as the chain has them: an edited table does not make a drill held.
            let last = byScenario[scenario.name]?.first { $0.status.heldTheDrill }
            let due = calendar.due(lastDrillWallNs: last?.startedWallNs, nowWallNs: now)
            rows.append(Row(scenario: scenario.name, file: path, schedule: schedule.description, timeZone: schedule.timeZone,
                            lastDrillRunID: last?.id, lastDrill: last.map { calendar.local($0.startedWallNs) },
                            windowOpens: due.windowOpens.map(calendar.local), due: due.deadline.map(calendar.local),
                            status: due.word, overdue: due.overdue))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            for row in rows {
                var line = "\(row.status.padding(toLength: 14, withPad: " ", startingAt: 0)) \(row.scenario)"
                if let schedule = row.schedule { line += ", \(schedule)" }
                if let last = row.lastDrill { line += "; last drill \(last) (\(row.lastDrillRunID ?? ""))" }
                if let opens = row.windowOpens, let due = row.due { line += "; next between \(opens) and \(due)" }
                if row.status == "NEVER DRILLED", let opens = row.windowOpens { line += "; next planned \(opens)" }
                print(line)
            }
            let late = rows.filter(\.overdue).count
            print("\(rows.count) scenario\(rows.count == 1 ? "" : "s"), \(late) overdue or never drilled, as of \(WallTime.human(now))")
        }
        if rows.contains(where: \.overdue) { throw ExitCode(1) }
        if failed > 0 { throw ExitCode(2) }
    }

    /// An ISO 8601 instant (or a day, taken as its midnight UTC), or now.
    static func instant(_ text: String?) throws -> Int64 {
        guard let text else { return SystemClock().now().wallNs }
        let full = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        guard let date = full.date(from: text) ?? day.date(from: text) else {
            throw CommandFailure.usage("'\(text)' is not an instant like 2027-04-02T09:00:00Z or a day like 2027-04-02")
        }
        guard let ns = WallTime.nanoseconds(since1970: date.timeIntervalSince1970) else {
            throw CommandFailure.usage("'\(text)' is outside what Firedrill records (up to \(WallTime.latest))")
        }
        return ns
    }
}

extension ScheduleCalendar.Due {
    /// What `due`, the overview page and the metrics call a scheduled scenario's standing.
    var word: String { neverDrilled ? "NEVER DRILLED" : (overdue ? "OVERDUE" : "ok") }
}
