import Foundation
import Testing

/// `firedrill actions`: recorded with the runs, listed with overdue ones flagged, closed with a
/// note, and carried into the retrospective and the next drill's report.
@Suite struct ActionItemsTests {
    func fd(_ args: [String], _ dir: String) async throws -> FiredrillProcess.Finished { try await FiredrillProcess.inFolder(args, dir) }

    @Test func addListOverdueAndClose() async throws {
        let dir = try temporaryFolder("actions")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await ReportCommandTests.runDrill(dir)
        let added = try await fd(["actions", "add", runID, "--title", "Automate the restore", "--owner", "bob", "--due", "2027-01-15"], dir)
        #expect(added.status == 0, "\(added.output)")
        #expect(added.stdout.contains("action item 1 added to run \(runID)"))
        _ = try await fd(["actions", "add", runID, "--title", "Page the DBA earlier", "--owner", "carol", "--due", "2026-12-01"], dir)

        let before = try await fd(["actions", "list", "--as-of", "2026-12-01"], dir)
        #expect(before.stdout.contains("1\topen\tdue 2027-01-15\tbob\treport-drill\tAutomate the restore"))
        #expect(before.stdout.contains("2\topen\tdue 2026-12-01\tcarol"), "the day it is due is not late yet")
        let after = try await fd(["actions", "list", "--overdue", "--as-of", "2026-12-02"], dir)
        #expect(after.stdout.contains("2\tOVERDUE\tdue 2026-12-01\tcarol"))
        #expect(!after.stdout.contains("Automate"))
        #expect(after.stdout.contains("1 overdue as of 2026-12-02"))

        let closed = try await fd(["actions", "close", "2", "--note", "paging rule changed"], dir)
        #expect(closed.status == 0, "\(closed.output)")
        let again = try await fd(["actions", "close", "2", "--note", "twice"], dir)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already closed"))
        let json = try await fd(["actions", "list", "--json", "--as-of", "2026-12-02"], dir)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(items.map { $0["open"] as? Bool } == [true, false])
        #expect(items[1]["close_note"] as? String == "paging rule changed")
        #expect(items[1]["overdue"] as? Bool == false)

        for bad in [["--due", "2026-02-30"], ["--due", "tomorrow"]] {
            let refused = try await fd(["actions", "add", runID, "--title", "x", "--owner", "y"] + bad, dir)
            #expect(refused.status == 2, "\(bad)")
            #expect(refused.stderr.contains("is not a date like"))
        }
        #expect(try await fd(["actions", "close", "99", "--note", "x"], dir).stderr.contains("no action item 99"))

        let retro = try await fd(["retro", runID, "--out", "-"], dir)
        #expect(retro.stdout.contains("| 1 | Automate the restore | bob | 2027-01-15 | open |"))
        #expect(retro.stdout.contains("| 2 | Page the DBA earlier | carol | 2026-12-01 | closed: paging rule changed |"))
    }

    @Test func theNextDrillsReportCarriesThePreviousFindings() async throws {
        let dir = try temporaryFolder("actions")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await ReportCommandTests.runDrill(dir)
        for (title, due) in [("Automate the restore", "2026-12-10"), ("Alert on replica lag", "2026-12-20"), ("Shorter DNS TTL", "2027-03-01")] {
            _ = try await fd(["actions", "add", first, "--title", title, "--owner", "bob", "--due", due], dir)
        }
        _ = try await fd(["actions", "close", "1", "--note", "done in runbook v2"], dir)
        _ = try await fd(["actions", "close", "3", "--note", "TTL is 60s"], dir)
        try FileManager.default.removeItem(atPath: dir + "/attempts.txt")
        let second = try await ReportCommandTests.runDrill(dir)
        #expect(second != first)
        _ = try await fd(["actions", "add", second, "--title", "Rehearse with the night shift", "--owner", "dana", "--due", "2027-02-01"], dir)

        let md = try await fd(["report", second, "--format", "md", "--out", "-", "--as-of", "2027-01-05"], dir).stdout
        #expect(md.contains("Findings from the previous drill (`\(first)`): 2 closed, 1 open (1 overdue)."))
        #expect(md.contains("- 2. Alert on replica lag (bob, due 2026-12-20): **OVERDUE**"))
        #expect(md.contains("- 1. Automate the restore (bob, due 2026-12-10): closed: done in runbook v2"))
        #expect(md.contains("| 4 | Rehearse with the night shift | dana | 2027-02-01 | open |"))
        #expect(md.contains("- Action item 2 'Alert on replica lag' (bob) is overdue: it was due 2026-12-20."))
        #expect(md.contains("As of 2027-01-05."))
        // The first drill had no drill before it.
        let firstReport = try await fd(["report", first, "--format", "md", "--out", "-", "--as-of", "2027-01-05"], dir).stdout
        #expect(!firstReport.contains("Findings from the previous drill"))
    }
}
