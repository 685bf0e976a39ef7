import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every run's hash-chained event log for edits, deletions, insertions and reordering.",
        discussion: "Exit 0 when every chain is intact; 1 with the first broken link of each broken run.")

    @Argument(help: "Only these runs (ids or unique prefixes); default every run.") var runIDs: [String] = []
    @OptionGroup var store: StoreOptions

    func run() throws {
        let db = try store.openExisting()
        let ids = runIDs.isEmpty ? try db.chainedRunIDs() : try runIDs.map { try findRun($0, in: db).id }
        var broken = 0
        var events = 0
        for id in ids {
            let links = try db.chain(of: id)
            events += links.count
            guard let run = try db.run(id) else {
                broken += 1
                print("BROKEN run \(id): \(links.count) events belong to a run that is not in the runs table (the run was deleted)")
                continue
            }
            if let problem = AuditChain.verify(runID: id, links: links, headHash: run.headHash, eventCount: run.eventCount) {
                broken += 1
                print("BROKEN \(problem)")
            } else {
                print("ok     run \(id): \(links.count) events, head \(run.headHash ?? AuditChain.genesis)")
            }
        }
        print("\(ids.count) run\(ids.count == 1 ? "" : "s"), \(events) events: \(broken == 0 ? "every chain intact" : "\(broken) broken")")
        if broken > 0 { throw ExitCode(1) }
    }
}
