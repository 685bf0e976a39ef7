import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct ActionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "Action items from drills: add, list, close. Shown in retrospectives and reports until closed.",
        subcommands: [Add.self, List.self, Close.self])

    /// Today as `YYYY-MM-DD` (UTC), or the day given for reproducible listings.
    /// The UTC day an instant falls on, `YYYY-MM-DD`: what an action item's due date is compared with.
    static func day(of wallNs: Int64) -> String { String(WallTime.iso8601(wallNs).prefix(10)) }

    static func today(_ asOf: String?) throws -> String {
        if let asOf {
            guard let day = ActionItem.validDate(asOf) else { throw CommandFailure.usage("--as-of '\(asOf)' is not a date like 2026-12-31") }
            return day
        }
        return day(of: SystemClock().now().wallNs)
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an action item found by a drill.")
        @Argument(help: "The run that found it (id or unique prefix).") var runID: String
        @Option(help: "What is to be done.") var title: String
        @Option(help: "Who does it.") var owner: String
        @Option(help: "By when, YYYY-MM-DD.") var due: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard let day = ActionItem.validDate(due) else { throw CommandFailure.usage("--due '\(due)' is not a date like 2026-12-31") }
            for (name, value) in [("title", title), ("owner", owner)] where value.trimmingCharacters(in: .whitespaces).isEmpty {
                throw CommandFailure.usage("--\(name) must not be empty")
            }
            let db = try store.openExisting()
            let run = try findRun(runID, in: db)
            let item = try db.addActionItem(runID: run.id, scenario: run.scenario, title: title, owner: owner, due: day,
                                            wallNs: SystemClock().now().wallNs)
            print("action item \(item.id) added to run \(run.id): \(item.title) (\(item.owner), due \(item.due))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List action items, oldest first; overdue ones are flagged.")
        @Flag(help: "Only open items.") var open = false
        @Flag(help: "Only open items past their due date.") var overdue = false
        @Option(help: "Only this scenario's.") var scenario: String?
        @Option(help: "Judge overdue as of this day (YYYY-MM-DD) instead of today.") var asOf: String?
        @Flag(help: "JSON, one object per item.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let day = try ActionsCommand.today(asOf)
            let db = try store.openExisting()
            let items = try db.actionItems(scenario: scenario).filter { (!open || $0.isOpen) && (!overdue || $0.isOverdue(asOf: day)) }
            if json {
                let rows: [[String: Any]] = items.map { item in
                    var row: [String: Any] = ["id": item.id, "run_id": item.runID, "scenario": item.scenario, "title": item.title,
                                              "owner": item.owner, "due": item.due, "open": item.isOpen, "overdue": item.isOverdue(asOf: day)]
                    if let closed = item.closedWallNs { row["closed"] = WallTime.iso8601(closed) }
                    if let note = item.closeNote { row["close_note"] = note }
                    return row
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if items.isEmpty { print("no action items\(open || overdue ? " to show" : "")"); return }
            for item in items {
                let state = item.isOverdue(asOf: day) ? "OVERDUE" : (item.isOpen ? "open" : "closed")
                print("\(item.id)\t\(state)\tdue \(item.due)\t\(item.owner)\t\(item.scenario)\t\(item.title)"
                    + (item.closeNote.map { "\t(\($0))" } ?? ""))
            }
            let late = items.filter { $0.isOverdue(asOf: day) }.count
            if late > 0 { print("\(late) overdue as of \(day)") }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an action item, saying what was done.")
        @Argument(help: "The item's number.") var id: Int64
        @Option(help: "What was done.") var note: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let db = try store.openExisting()
            guard let (item, wasOpen) = try db.closeActionItem(id: id, note: note, wallNs: SystemClock().now().wallNs) else {
                throw CommandFailure.usage("no action item \(id)")
            }
            guard wasOpen else {
                throw CommandFailure.usage("action item \(id) was already closed on \(WallTime.human(item.closedWallNs ?? 0)): \(item.closeNote ?? "")")
            }
            print("action item \(item.id) closed: \(item.title)")
        }
    }
}
