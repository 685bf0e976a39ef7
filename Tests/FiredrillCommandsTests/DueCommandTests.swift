import Foundation
import Testing

/// `firedrill due` and `firedrill schedule` over a folder of scheduled scenarios and real runs.
@Suite struct DueCommandTests {
    /// A folder with the report drill scheduled quarterly, another never drilled, one unscheduled.
    static func folder(_ dir: String) throws -> String {
        let scenarios = dir + "/scenarios"
        try FileManager.default.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
        let drill = try ReportCommandTests.drill(in: dir)
        let text = try String(contentsOfFile: drill, encoding: .utf8)
            .replacingOccurrences(of: "owner: sre-team\n", with: "owner: sre-team\nschedule: {every: quarterly, time_zone: Europe/Stockholm}\n")
        try text.write(toFile: scenarios + "/report-drill.yaml", atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "name: report-drill", with: "name: restore-billing")
            .replacingOccurrences(of: "schedule: {every: quarterly, time_zone: Europe/Stockholm}", with: "schedule: {cron: \"0 6 * * MON\"}")
            .write(toFile: scenarios + "/restore-billing.yaml", atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: "name: report-drill", with: "name: adhoc")
            .replacingOccurrences(of: "schedule: {every: quarterly, time_zone: Europe/Stockholm}\n", with: "")
            .write(toFile: scenarios + "/adhoc.yaml", atomically: true, encoding: .utf8)
        return scenarios
    }

    @Test func dueListsEachScenarioAndExitsOneWhenAnyIsLate() async throws {
        let dir = try temporaryFolder("due")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenarios = try Self.folder(dir)
        let ran = try await FiredrillProcess.run(["run", scenarios + "/report-drill.yaml", "--db", dir + "/fd.db", "--quiet"], directory: dir)
        #expect(ran.status == 0, "\(ran.output)")
        let now = ISO8601DateFormatter().string(from: Date())

        let due = try await FiredrillProcess.run(["due", scenarios, "--db", dir + "/fd.db", "--as-of", now], directory: dir)
        #expect(due.status == 1, "restore-billing was never drilled: \(due.output)")
        let lines = due.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("not scheduled  adhoc") })
        #expect(lines.contains { $0.hasPrefix("ok             report-drill, quarterly (Europe/Stockholm); last drill ") && $0.contains("; next between ") })
        #expect(lines.contains { $0.hasPrefix("NEVER DRILLED  restore-billing, cron 0 6 * * MON (UTC); next planned ") })

        // Only the drilled one: fine now, overdue once the quarter after next has begun.
        let one = [scenarios + "/report-drill.yaml", "--db", dir + "/fd.db", "--json"]
        let fine = try await FiredrillProcess.run(["due"] + one + ["--as-of", now], directory: dir)
        #expect(fine.status == 0, "\(fine.output)")
        let late = try await FiredrillProcess.run(["due"] + one + ["--as-of", Self.inAYear()], directory: dir)
        #expect(late.status == 1)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(late.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows[0]["status"] as? String == "OVERDUE")
        #expect(rows[0]["overdue"] as? Bool == true)
        #expect((rows[0]["due"] as? String)?.hasSuffix(" 09:00 Europe/Stockholm") == true)
        #expect(rows[0]["last_drill_run_id"] as? String != nil)

        // A file that is not a scenario is named, and the exit says something could not be read.
        let bad = try await FiredrillProcess.run(["due", dir + "/nope.yaml", "--db", dir + "/fd.db"], directory: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("nope.yaml: cannot be read as a scenario"))
    }

    static func inAYear() -> String { ISO8601DateFormatter().string(from: Date().addingTimeInterval(366 * 86_400)) }

    @Test func scheduleWritesCrontabSystemdAndICalendar() async throws {
        let dir = try temporaryFolder("due")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenarios = try Self.folder(dir)
        let base = [scenarios, "--db", dir + "/fd.db", "--firedrill", "/usr/local/bin/firedrill"]
        let cron = try await FiredrillProcess.run(["schedule", "--cron"] + base, directory: dir)
        #expect(cron.status == 0, "\(cron.output)")
        #expect(cron.stdout.contains("CRON_TZ=Europe/Stockholm\n0 9 1 1,4,7,10 * cd \(dir) && /usr/local/bin/firedrill run \(scenarios)/report-drill.yaml --db \(dir)/fd.db --quiet"))
        #expect(cron.stdout.contains("CRON_TZ=UTC\n0 6 * * 1 cd "))
        #expect(!cron.stdout.contains("adhoc"))

        // Without --firedrill, the lines run this very binary, by its full path.
        let own = try await FiredrillProcess.run(["schedule", "--cron", scenarios, "--db", dir + "/fd.db"], directory: dir)
        #expect(own.stdout.contains(" && \(FiredrillProcess.path) run \(scenarios)/report-drill.yaml"), "\(own.stdout)")

        let systemd = try await FiredrillProcess.run(["schedule", "--systemd"] + base, directory: dir)
        #expect(systemd.stdout.contains("# --- firedrill-report-drill.timer"))
        #expect(systemd.stdout.contains("OnCalendar=*-01,04,07,10-01 09:00:00 Europe/Stockholm"))
        #expect(systemd.stdout.contains("OnCalendar=Mon *-*-* 06:00:00 UTC"))
        #expect(systemd.stdout.contains("ExecStart=/usr/local/bin/firedrill run \(scenarios)/report-drill.yaml"))

        let args = ["schedule", "--ics"] + base + ["--from", "2026-11-21T00:00:00Z", "--count", "2"]
        let ics = try await FiredrillProcess.run(args, directory: dir)
        let again = try await FiredrillProcess.run(args, directory: dir)
        #expect(ics.stdout == again.stdout, "the feed is the same for the same input")
        #expect(ics.stdout.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        #expect(ics.stdout.hasSuffix("END:VCALENDAR\r\n"))
        for line in ["UID:report-drill-20270101T080000Z@firedrill", "DTSTART:20270401T070000Z", "DTSTART:20261123T060000Z",
                     "DTSTART:20261130T060000Z", "SUMMARY:DR drill: Lose the report service", "DTSTAMP:20261121T000000Z"] {
            #expect(ics.stdout.contains(line + "\r\n"), "\(line)")
        }
        #expect(ics.stdout.components(separatedBy: "BEGIN:VEVENT").count - 1 == 4)
        #expect(ics.stdout.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 }, "lines are folded at 75 octets")
    }
}
