import ArgumentParser
import FiredrillCore
import FiredrillReports
import FiredrillRuntime
import Foundation

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
    static func render(_ run: RunRecord, store: any DrillStore, template: String? = nil, asOf: String? = nil) throws -> (text: String, run: RunRecord) {
        let (input, chained) = try Report.input(run, store: store, renderedAt: nil, asOf: try ActionsCommand.today(asOf), signOff: .init())
        do {
            return (try ReportRenderer.render(DrillRetrospective(input, status: input.retrospective.state.status), template: template), chained)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
    }
}
