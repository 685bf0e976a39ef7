import FiredrillCore
import FiredrillRuntime
import Foundation
import GRDB
import Testing

/// `firedrill report` on real runs: content, byte-identical renders, the audit chain checked
/// while rendering, and a team's own template.
@Suite struct ReportCommandTests {
    /// A small drill that completes, with a participant, a canary, retries and output.
    static func drill(in dir: String, rto: String = "1m") throws -> String {
        let path = dir + "/report-drill.yaml"
        try """
            firedrill: 1
            name: report-drill
            title: Lose the report service
            owner: sre-team
            objectives: {rto: \(rto), rpo: 5s}
            vars: {data: "\(dir)/canary.txt", flag: "\(dir)/attempts.txt"}
            steady_state:
              - name: service healthy
                shell: "true"
            canary:
              every: 100ms
              warmup: 300ms
              write: {shell: "echo ${canary.seq} >> ${data}"}
              read: {shell: "tail -n 1 ${data}"}
            phases:
              - name: disaster
                steps:
                  - name: kill the service
                    shell: "echo killed"
                    mark: disaster
              - name: detect
                steps:
                  - name: outage seen
                    wait_for: {shell: "true", every: 50ms}
                    timeout: 10s
                    mark: detected
              - name: restore
                steps:
                  - name: restore needs a second try
                    shell: "echo x >> ${flag}; [ $(wc -l < ${flag}) -ge 2 ]"
                    retries: 2
                    retry_delay: 50ms
              - name: verify
                steps:
                  - name: service answers
                    wait_for: {shell: "true", every: 50ms, consecutive: 3}
                    timeout: 10s
                    mark: recovered
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func runDrill(_ dir: String, rto: String = "1m") async throws -> String {
        let scenario = try drill(in: dir, rto: rto)
        let ran = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/fd.db", "--quiet", "--participant", "alice:incident lead"],
                                                 directory: dir)
        #expect([0, 1].contains(ran.status), "\(ran.output)")
        return try #require(try SQLiteStore(path: dir + "/fd.db").runs(scenario: "report-drill").first?.id)
    }

    static func report(_ runID: String, _ dir: String, _ extra: [String]) async throws -> FiredrillProcess.Finished {
        try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db", "--out", "-"] + extra, directory: dir)
    }

    @Test func everyFormatRendersTheSameBytesFromTheSameRecord() async throws {
        let dir = try temporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runDrill(dir)
        for format in ["md", "html", "json"] {
            let first = try await Self.report(runID, dir, ["--format", format])
            let second = try await Self.report(runID, dir, ["--format", format])
            #expect(first.status == 0, "\(first.output)")
            #expect(!first.stdout.isEmpty)
            #expect(first.stdout == second.stdout, "\(format) differs between two renders")
        }
        // Written to a file by default, next to the retrospective.
        let written = try await FiredrillProcess.run(["report", runID, "--db", dir + "/fd.db"], directory: dir)
        #expect(written.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "reports/report-drill/\(runID)/report.html")
        #expect(FileManager.default.fileExists(atPath: dir + "/reports/report-drill/\(runID)/report.html"))
    }

    @Test func theReportHoldsWhatAnAuditorAsksFor() async throws {
        let dir = try temporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runDrill(dir)
        let md = try await Self.report(runID, dir, ["--format", "md", "--prepared-by", "Alice Example"]).stdout
        let record = try #require(try SQLiteStore(path: dir + "/fd.db").run(runID))
        for expected in [
            "# Drill report: Lose the report service", "**Recovered within every objective: RTO ", "| Run | `\(runID)` |",
            "| Owner | sre-team |", "alice (incident lead)", "| Scenario SHA-256 | `\(record.scenarioSHA256)` |",
            "| RTO | 1m |", "| RPO | 5s |", "| disaster | +", "| recovered | +", "| restore needs a second try | restore | 2 |",
            "| outage seen | 1 |", "Audit chain head `\(record.headHash ?? "?")` over \(record.eventCount) events: intact",
            "| Prepared by | Alice Example | | |", "| ISO/IEC 27001:2022 | A.5.30 ICT readiness for business continuity |",
            "kill the service (attempt 1, stdout):", "None: the drill ran as written and met its objectives.",
        ] {
            #expect(md.contains(expected), "missing \(expected)")
        }
        #expect(!md.contains("Rendered"), "a render time appeared without --rendered-at")

        let html = try await Self.report(runID, dir, ["--format", "html", "--rendered-at", "2026-11-21 10:00 UTC"]).stdout
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<td>2026-11-21 10:00 UTC</td>"))
        #expect(html.contains("class=\"verdict met\""))
        // Self-contained: no external resource of any kind.
        for external in ["src=\"http", "href=\"http", "<script", "<link", "@import", "url("] {
            #expect(!html.contains(external), "\(external)")
        }
        // The timeline: a bar per phase and per step, a line per mark.
        let svg = try #require(html.range(of: "<svg").flatMap { start in html.range(of: "</svg>").map { html[start.lowerBound..<$0.upperBound] } })
        #expect(svg.components(separatedBy: "<rect class=\"phase\"").count - 1 == 4)
        #expect(svg.components(separatedBy: "<rect class=\"passed\"").count - 1 >= 5)
        #expect(svg.components(separatedBy: "class=\"mark ").count - 1 == 3)

        let json = try await Self.report(runID, dir, ["--format", "json"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let verdict = try #require(object["verdict"] as? [String: Any])
        #expect(verdict["outcome"] as? String == "met")
        let objectives = try #require(object["objectives"] as? [[String: Any]])
        #expect(objectives.map { $0["name"] as? String } == ["RTO", "RPO"])
        #expect((objectives[0]["measuredSeconds"] as? Double).map { abs($0 - (record.rtoSeconds ?? -1)) < 1e-9 } == true)
    }

    @Test func aMissedObjectiveAndATamperedRecordAreFindings() async throws {
        let dir = try temporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runDrill(dir, rto: "1ms")
        var md = try await Self.report(runID, dir, ["--format", "md"]).stdout
        #expect(md.contains("**Completed, objectives not met: RTO missed ("))
        #expect(md.contains("- RTO objective missed: "))

        let queue = try DatabaseQueue(path: dir + "/fd.db")
        try await queue.write { db in
            // As a tamperer would: the append-only triggers go first.
            try db.execute(sql: "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete")
            try db.execute(sql: "UPDATE events SET payload = replace(payload, 'killed', 'KILLED') WHERE run_id = ?", arguments: [runID])
        }
        md = try await Self.report(runID, dir, ["--format", "md"]).stdout
        #expect(md.contains("events: BROKEN: "))
        #expect(md.contains("- The audit chain is broken ("))
    }

    @Test func aTeamsOwnTemplateGetsTheSameData() async throws {
        let dir = try temporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runDrill(dir)
        try "{{% CONTENT_TYPE: TEXT}}{{cover.scenario}} {{verdict.outcome}}{{#objectives}} {{name}}={{result}}{{/objectives}}\n"
            .write(toFile: dir + "/mine.mustache", atomically: true, encoding: .utf8)
        let mine = try await Self.report(runID, dir, ["--format", "md", "--template", dir + "/mine.mustache"])
        #expect(mine.stdout == "report-drill met RTO=met RPO=met\n", "\(mine.output)")
        let bad = try await Self.report(runID, dir, ["--format", "md", "--template", dir + "/missing.mustache"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("cannot read template"))
    }

    @Test func theRetrospectiveComesFromATemplateToo() async throws {
        let dir = try temporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runDrill(dir)
        let first = try await FiredrillProcess.inFolder(["retro", runID, "--out", "-"], dir)
        let second = try await FiredrillProcess.inFolder(["retro", runID, "--out", "-"], dir)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.stdout == second.stdout)
        for expected in ["# Drill retrospective: Lose the report service", "| Participants | alice (incident lead) |",
                         "- _Prompt:_ Step 'restore needs a second try' attempt 1: exit 1. Why?", "## What went well?",
                         "Record one with `firedrill actions add \(runID) --title TEXT"] {
            #expect(first.stdout.contains(expected), "\(expected)")
        }
        try "{{% CONTENT_TYPE: TEXT}}{{report.cover.runID}}: {{#toImprove}}[{{.}}]{{/toImprove}}\n"
            .write(toFile: dir + "/retro.mustache", atomically: true, encoding: .utf8)
        let mine = try await FiredrillProcess.inFolder(["retro", runID, "--out", "-", "--template", dir + "/retro.mustache"], dir)
        #expect(mine.stdout.hasPrefix("\(runID): [Step 'restore needs a second try' attempt 1: exit 1. Why?]"), "\(mine.output)")
    }
}
