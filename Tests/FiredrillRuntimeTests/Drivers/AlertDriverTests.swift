import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// The `alert` probe against a real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1:
/// alerts posted to it as Prometheus posts them, routed by severity; silenced ones still seen as
/// suppressed with the receivers they would have paged. And against endpoints that are not one.
@Suite(.serialized) struct AlertDriverTests {
    static let binary = SilenceTests.binary
    static let config = """
        route:
          receiver: oncall-p3
          group_wait: 0s
          routes:
            - {matchers: ['severity="critical"'], receiver: oncall-p1}
            - {matchers: ['severity="warning"'], receiver: oncall-p2}
        receivers: [{name: oncall-p1}, {name: oncall-p2}, {name: oncall-p3}]
        """

    static func withAlertmanager(_ body: (String) async throws -> Void) async throws {
        try await DriverTestSupport.withLoopbackServer(try #require(binary), named: "am-alerts", readyWithin: .seconds(30), arguments: { dir, port in
            try config.write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
            return ["--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/data",
                    "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address="]
        }, isReady: { base in
            await HTTPDriver().perform(.http(ResolvedHTTP(method: "GET", url: base + "/api/v2/status")), deadline: .none, limits: DriverLimits()).passed
        }, body)
    }

    /// Posts alerts as Prometheus does (`POST /api/v2/alerts`), firing from `startsAt`.
    static func post(_ base: String, _ alerts: [[String: Any]]) async throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: alerts), as: UTF8.self)
        let report = await HTTPDriver().perform(.http(ResolvedHTTP(method: "POST", url: base + "/api/v2/alerts",
                                                                    headers: [.init(name: "Content-Type", value: "application/json")], body: body,
                                                                    status: [200])), deadline: .none, limits: DriverLimits())
        #expect(report.passed, "\(report.summary)")
    }

    static func probe(_ base: String, _ matchers: [AlertMatcher], unless: [AlertMatcher] = [], state: AlertState = .any) async -> DriverReport {
        await AlertDriver().perform(.init(ResolvedAlert(url: base, matchers: matchers, unless: unless, state: state, timeout: .seconds(5))),
                                    deadline: .none, limits: DriverLimits(outputBytes: 4096))
    }

    @Test(.enabled(if: binary != nil, "prometheus-alertmanager is not installed"))
    func firingAlertsAreSeenWithTheirReceiversAndSilencedOnesAsSuppressed() async throws {
        try await Self.withAlertmanager { base in
            let startsAt = WallTime.iso8601(Int64(Date().timeIntervalSince1970 * 1e9) - 5_000_000_000)
            let endsAt = WallTime.iso8601(Int64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000)
            try await Self.post(base, [
                ["labels": ["alertname": "SampleServiceDown", "severity": "critical", "job": "app"], "startsAt": startsAt, "endsAt": endsAt],
                ["labels": ["alertname": "SampleServiceSlow", "severity": "warning", "job": "app"], "startsAt": startsAt, "endsAt": endsAt],
                ["labels": ["alertname": "Watchdog", "severity": "none"], "startsAt": startsAt, "endsAt": endsAt],
            ])
            let down = AlertMatcher(name: "alertname", value: "SampleServiceDown")
            var report = await Self.probe(base, [down])
            for _ in 0..<50 where !report.passed {
                try await Task.sleep(for: .milliseconds(100))
                report = await Self.probe(base, [down])
            }
            #expect(report.verdict == .passed, "\(report.summary)")
            let seen = try #require(report.alerts?.alerts.first)
            #expect(seen.name == "SampleServiceDown")
            #expect(seen.state == "active")
            #expect(seen.receivers == ["oncall-p1"])
            #expect(seen.startsAtNs == WallTime.parseRFC3339(startsAt)?.ns)
            #expect(report.summary.hasPrefix("SampleServiceDown (severity critical) active since"), "\(report.summary)")

            // A regex and a negation, as a silence writes them; `unless` takes the drill's own out.
            let critical = await Self.probe(base, [AlertMatcher(name: "severity", value: "crit.*|warning", isRegex: true),
                                                   AlertMatcher(name: "alertname", value: "Watchdog", isEqual: false)])
            #expect(critical.alerts?.alerts.map(\.name).sorted() == ["SampleServiceDown", "SampleServiceSlow"])
            // A label longer than the record keeps is matched whole.
            let long = String(repeating: "x", count: 300)
            try await Self.post(base, [["labels": ["alertname": "LongJob", "job": long], "startsAt": startsAt, "endsAt": endsAt]])
            var longReport = await Self.probe(base, [AlertMatcher(name: "job", value: long)])
            for _ in 0..<50 where !longReport.passed {
                try await Task.sleep(for: .milliseconds(100))
                longReport = await Self.probe(base, [AlertMatcher(name: "job", value: long)])
            }
            #expect(longReport.passed, "\(longReport.summary)")
            #expect(longReport.alerts?.alerts.first?.labels["job"]?.count == 257)
            let notOurs = await Self.probe(base, [AlertMatcher(name: "severity", value: "critical")], unless: [down])
            #expect(notOurs.verdict == .failed)
            #expect(notOurs.summary == "no matching alert firing (1 alert listed)", "\(notOurs.summary)")

            // Silenced: still firing, as suppressed, with the receiver it would have paged.
            let silence: [String: Any] = ["matchers": [["name": "alertname", "value": "SampleServiceDown", "isRegex": false, "isEqual": true]],
                                          "startsAt": WallTime.iso8601(Int64(Date().timeIntervalSince1970 * 1e9)), "endsAt": endsAt,
                                          "createdBy": "test", "comment": "drill"]
            let created = await HTTPDriver().perform(.http(ResolvedHTTP(
                method: "POST", url: base + "/api/v2/silences", headers: [.init(name: "Content-Type", value: "application/json")],
                body: String(decoding: try JSONSerialization.data(withJSONObject: silence), as: UTF8.self), status: [200])), deadline: .none, limits: DriverLimits())
            let silenceID = try #require(DrillExecutorSilenceID.of(created.stdout?.text ?? ""))
            var suppressed = await Self.probe(base, [down], state: .suppressed)
            for _ in 0..<50 where !suppressed.passed {
                try await Task.sleep(for: .milliseconds(100))
                suppressed = await Self.probe(base, [down], state: .suppressed)
            }
            #expect(suppressed.passed, "\(suppressed.summary)")
            #expect(suppressed.alerts?.alerts.first?.silencedBy == [silenceID])
            #expect(suppressed.alerts?.alerts.first?.receivers == ["oncall-p1"])
            #expect(await Self.probe(base, [down], state: .active).verdict == .failed)
            #expect(await Self.probe(base, [down]).passed)
        }
    }

    @Test func anEndpointThatIsNotAlertmanagerFailsInWords() async throws {
        let answers = [
            ("HTTP/1.1 500 Internal Server Error", "oops"),
            ("HTTP/1.1 200 OK", "<html>login</html>"),
            ("HTTP/1.1 200 OK", #"{"status":"success"}"#),
            ("HTTP/1.1 200 OK", #"[{"labels": 5}]"#),
            ("HTTP/1.1 200 OK", String(repeating: "[", count: 100_000)),
        ]
        for (status, body) in answers {
            let server = try LoopbackTCPServer { connection in
                _ = connection.readRequest()
                _ = connection.write(Array("\(status)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
            }
            defer { server.stop() }
            let report = await Self.probe(server.base, [AlertMatcher(name: "alertname", value: "X")])
            #expect(report.verdict == .error, "\(status) \(body.prefix(20)): \(report.summary)")
            #expect(report.summary.hasPrefix("Alertmanager") || report.summary.hasPrefix("expected Alertmanager") || report.summary.hasPrefix("alert 1"),
                    "\(report.summary)")
        }
        // Down: refused at once; and a server that never answers is cut off at the probe's timeout.
        let unaccepted = try LoopbackTCPServer.unaccepted()
        let port = unaccepted.port
        unaccepted.stop()
        let down = await Self.probe("http://127.0.0.1:\(port)", [])
        // Never a plain "no such alert": a guard or steady state expecting none would take it as all clear.
        #expect(down.verdict == .error)
        #expect(down.summary.hasPrefix("Alertmanager: "), "\(down.summary)")
        let silent = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            while !connection.isStopped { usleep(50_000) }
        }
        defer { silent.stop() }
        let started = ContinuousClock.now
        let hung = await AlertDriver().perform(.init(ResolvedAlert(url: silent.base, matchers: [], timeout: .seconds(1))), deadline: .none,
                                               limits: DriverLimits(outputBytes: 4096))
        #expect(hung.verdict == .timedOut || hung.verdict == .error, "\(hung.summary)")
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}

/// The silence id from Alertmanager's answer.
enum DrillExecutorSilenceID {
    static func of(_ text: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["silenceID"] as? String
    }
}
