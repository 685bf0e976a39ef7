import AsyncHTTPClient
import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// `/metrics` scraped by a real Prometheus (Debian's package) with a viewer's bearer token, the
/// figures read back with PromQL; `firedrill metrics --out` writes the same text; the alert rule
/// docs/SERVE.md gives is checked by promtool.
@Suite(.serialized) struct ServeMetricsTests {
    static let prometheus = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: prometheus != nil, "prometheus is not installed: apt-get install prometheus"))
    func aRealPrometheusScrapesTheFiguresTheRecordHolds() async throws {
        let lab = try ServeLab()
        defer { Task { await lab.remove() } }
        let drilled = try await lab.firedrill(["run", lab.scenarios + "/quick.yaml", "--quiet"])
        #expect(drilled.status == 0, "\(drilled.output)")
        let run = try #require(try lab.store().runs(scenario: "quick").first)
        let rto = try #require(run.rtoSeconds)
        let token = try await lab.token("prometheus", "viewer")
        try token.write(toFile: lab.dir + "/scrape.token", atomically: true, encoding: .utf8)
        try await lab.start()

        let promPort = try LoopbackPort.free()
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: firedrill
                metrics_path: /metrics
                authorization: {credentials_file: \(lab.dir)/scrape.token}
                static_configs: [{targets: ["127.0.0.1:\(lab.port)"]}]
            """.write(toFile: lab.dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let server = try FiredrillProcess.Running(["--config.file=\(lab.dir)/prometheus.yml", "--storage.tsdb.path=\(lab.dir)/tsdb",
                                                   "--web.listen-address=127.0.0.1:\(promPort)"], directory: lab.dir, executable: Self.prometheus!)
        defer { kill(server.pid, SIGKILL) }
        func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
            let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(promPort)/api/v1/query?query=\(encoded)")
            let response = try await lab.client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any],
                  let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
            return result.compactMap { sample in
                guard let metric = sample["metric"] as? [String: String], let value = sample["value"] as? [Any],
                      let text = value.last as? String, let number = Double(text) else { return nil }
                return (metric, number)
            }
        }
        var up: Double?
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if let sample = try? await query(#"firedrill_drill_rto_seconds{scenario="quick"}"#).first { up = sample.value; break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let targets = try? await query("up")
        let scraped = try #require(up, "Prometheus never scraped an RTO; up: \(String(describing: targets))")
        #expect(abs(scraped - rto) < 1e-6, "Prometheus has \(scraped), the record \(rto)")
        #expect(try await query(#"up{job="firedrill"}"#).first?.value == 1)
        #expect(try await query(#"firedrill_drill_objective_seconds{scenario="quick",objective="rto"}"#).first?.value == 30)
        #expect(try await query(#"firedrill_drill_objectives_met{scenario="quick"}"#).first?.value == 1)
        #expect(try await query(#"firedrill_drill_overdue{scenario="quick"}"#).first?.value == 0)
        #expect(try await query(#"firedrill_drill_overdue{scenario="manual"}"#).isEmpty, "an unscheduled scenario has no overdue sample")
        let due = try #require(try await query(#"firedrill_drill_next_due_timestamp_seconds{scenario="quick"}"#).first?.value)
        #expect(due > Double(run.endedWallNs!) / 1e9, "the monthly drill is next due after this one")
        let ended = try #require(try await query(#"firedrill_drill_last_end_timestamp_seconds{scenario="quick"}"#).first?.value)
        #expect(abs(ended - Double(run.endedWallNs!) / 1e9) < 1e-3)
        #expect(try await query(#"firedrill_action_items{scenario="quick",state="open"}"#).first?.value == 0)

        // The textfile collector's file holds the same samples, written whole.
        let written = try await lab.firedrill(["metrics", lab.scenarios, "--out", lab.dir + "/firedrill.prom"])
        #expect(written.status == 0, "\(written.output)")
        let file = try String(contentsOfFile: lab.dir + "/firedrill.prom", encoding: .utf8)
        let served = try await lab.get("/metrics", bearer: token)
        #expect(served.headers["Content-Type"].first?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(Set(file.split(separator: "\n")) == Set(served.body.split(separator: "\n")), "\(file)\n---\n\(served.body)")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: lab.dir).contains { $0.hasSuffix(".tmp") }, "no temporary file left")
    }

    /// The alert rule the docs give pages once a drill has been overdue for its `for:`.
    @Test(.enabled(if: promtool != nil, "promtool is not installed: apt-get install prometheus"))
    func theDocumentedAlertRulePagesWhenADrillIsOverdue() async throws {
        let dir = try temporaryFolder("firedrill-rule")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/SERVE.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```yaml\ngroups:"))
        let rules = String(doc[doc.index(start.lowerBound, offsetBy: 8)...].prefix { $0 != "`" })
        try rules.write(toFile: dir + "/rules.yml", atomically: true, encoding: .utf8)
        try """
            rule_files: [rules.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'firedrill_drill_overdue{scenario="quarterly-db"}'
                    values: '0 0 1x120'
                  - series: 'firedrill_drill_overdue{scenario="monthly-dns"}'
                    values: '0x120'
                alert_rule_test:
                  - eval_time: 30m
                    alertname: FiredrillDrillOverdue
                    exp_alerts: []
                  - eval_time: 90m
                    alertname: FiredrillDrillOverdue
                    exp_alerts:
                      - exp_labels: {severity: warning, scenario: quarterly-db}
                        exp_annotations:
                          summary: "The quarterly-db drill is overdue"
                          description: "No drill of quarterly-db ran all its phases in its scheduled period: firedrill due says when it was last held."
            """.write(toFile: dir + "/rules.test.yml", atomically: true, encoding: .utf8)
        let checked = try await FiredrillProcess.run(["check", "rules", dir + "/rules.yml"], directory: dir, executable: Self.promtool!)
        #expect(checked.status == 0, "\(checked.output)")
        let tested = try await FiredrillProcess.run(["test", "rules", dir + "/rules.test.yml"], directory: dir, executable: Self.promtool!)
        #expect(tested.status == 0, "\(tested.output)")
    }
}
