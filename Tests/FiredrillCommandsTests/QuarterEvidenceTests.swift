import Foundation
import Testing

/// A quarter's worth of drills, as an auditor would receive them: several runs of several
/// scenarios, some missing their objectives or failing, with action items; then the drill
/// reports, the trend and the `due` listing, each checked for content and determinism.
@Suite struct QuarterEvidenceTests {
    func fd(_ args: [String], _ dir: String) async throws -> FiredrillProcess.Finished { try await FiredrillProcess.inFolder(args, dir) }

    @Test func reportsTrendAndDueFromAQuartersDrills() async throws {
        let dir = try temporaryFolder("quarter")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenarios = try DueCommandTests.folder(dir)
        // restore-billing with an RTO nobody can meet; a third scenario whose restore fails.
        let billing = scenarios + "/restore-billing.yaml"
        try String(contentsOfFile: billing, encoding: .utf8).replacingOccurrences(of: "rto: 1m", with: "rto: 1ms")
            .write(toFile: billing, atomically: true, encoding: .utf8)
        try String(contentsOfFile: scenarios + "/adhoc.yaml", encoding: .utf8)
            .replacingOccurrences(of: "name: adhoc", with: "name: failing-restore\nschedule: monthly")
            .replacingOccurrences(of: "[ $(wc -l < ${flag}) -ge 2 ]", with: "false")
            .write(toFile: scenarios + "/adhoc.yaml", atomically: true, encoding: .utf8)

        var runs: [String: [String]] = [:]
        for (name, file, expected) in [("report-drill", "report-drill", Int32(0)), ("restore-billing", "restore-billing", 1),
                                        ("failing-restore", "adhoc", 3), ("report-drill", "report-drill", 0)] {
            try? FileManager.default.removeItem(atPath: dir + "/attempts.txt")
            let ran = try await fd(["run", "\(scenarios)/\(file).yaml", "--quiet", "--participant", "alice:lead"], dir)
            #expect(ran.status == expected, "\(name): \(ran.output)")
            let status = try await fd(["history", "--scenario", name, "--json"], dir)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            runs[name] = list.compactMap { $0["id"] as? String }
        }
        let billingRun = try #require(runs["restore-billing"]?.first)
        _ = try await fd(["actions", "add", billingRun, "--title", "Warm standby for billing", "--owner", "erin", "--due", "2027-01-31"], dir)
        _ = try await fd(["actions", "add", billingRun, "--title", "Restore runbook step 4 is wrong", "--owner", "erin", "--due", "2026-12-15"], dir)
        _ = try await fd(["actions", "close", "2", "--note", "fixed in runbook v3"], dir)

        // The drill report of the objective missed.
        let report = try await fd(["report", billingRun, "--format", "md", "--out", "-", "--as-of", "2026-12-20"], dir).stdout
        #expect(report.contains("**Completed, objectives not met: RTO missed ("))
        #expect(report.contains("| 1 | Warm standby for billing | erin | 2027-01-31 | open |"))
        #expect(report.contains("| 2 | Restore runbook step 4 is wrong | erin | 2026-12-15 | closed: fixed in runbook v3 |"))
        #expect(report.contains("| Schedule | cron 0 6 * * MON (UTC) |"))
        #expect(report.contains("| Next drill | between "))

        // The trend of every scenario, as the quarterly review shows it.
        let args = ["report", "--all", "--out", "-", "--as-of", "2026-12-20"]
        let md = try await fd(args + ["--format", "md"], dir).stdout
        #expect(try await fd(args + ["--format", "md"], dir).stdout == md, "the same record gives the same trend")
        for expected in ["## Lose the report service (`failing-restore`)", "## Lose the report service (`report-drill`)",
                         "## Lose the report service (`restore-billing`)", "Action items: 1 open, 0 overdue as of 2026-12-20."] {
            #expect(md.contains(expected), "\(expected)")
        }
        let json = try await fd(args + ["--format", "json"], dir).stdout
        let trend = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let byName = Dictionary(uniqueKeysWithValues: try #require(trend["scenarios"] as? [[String: Any]]).map { ($0["name"] as! String, $0) })
        func results(_ name: String) -> [String] { (byName[name]?["drills"] as? [[String: Any]])?.compactMap { $0["result"] as? String } ?? [] }
        func quarters(_ name: String) -> [String] { (byName[name]?["quarters"] as? [[String: Any]])?.compactMap { $0["result"] as? String } ?? [] }
        #expect(results("report-drill") == ["met", "met"])
        #expect(results("restore-billing") == ["missed"])
        #expect(results("failing-restore") == ["failed"])
        #expect(quarters("report-drill") == ["pass"])
        #expect(quarters("restore-billing") == ["fail"])
        // Past its due date, the open item is counted overdue in the trend too.
        let later = try await fd(["report", "--scenario", "restore-billing", "--out", "-", "--format", "md", "--as-of", "2027-02-01"], dir).stdout
        #expect(later.contains("Action items: 1 open, 1 overdue as of 2027-02-01."))
        let html = try await fd(args + ["--format", "html"], dir).stdout
        #expect(html.components(separatedBy: "<svg").count - 1 == 6, "an RTO and an RPO chart per scenario")
        let one = try await fd(["report", "--scenario", "report-drill", "--out", dir], dir)
        #expect(one.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(dir)/trend.html")

        // What is due: the failed scenario has no drill that counts.
        let due = try await fd(["due", scenarios], dir)
        #expect(due.status == 1)
        #expect(due.stdout.contains("NEVER DRILLED  failing-restore, monthly (UTC)"))
        #expect(due.stdout.contains("ok             report-drill"))
        #expect(due.stdout.contains("ok             restore-billing"), "a drill that missed its objectives was still held")
    }
}
