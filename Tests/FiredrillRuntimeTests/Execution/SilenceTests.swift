import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// The drill's Alertmanager silence against a real Alertmanager (Debian's prometheus-alertmanager)
/// on 127.0.0.1: active while the drill runs, expired when it ends, after a failure too.
@Suite(.serialized) struct SilenceTests {
    static let binary = ["/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func withAlertmanager(_ body: (String) async throws -> Void) async throws {
        try await DriverTestSupport.withLoopbackServer(try #require(binary), named: "am", readyWithin: .seconds(30), arguments: { dir, port in
            try "route: {receiver: drill}\nreceivers: [{name: drill}]\n".write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
            return ["--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/data",
                    "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address="]
        }, isReady: { base in
            await HTTPDriver().perform(.http(ResolvedHTTP(method: "GET", url: base + "/api/v2/status")), deadline: .none, limits: DriverLimits()).passed
        }, body)
    }

    static func run(_ yaml: String) async throws -> (RunOutcome, DrillMachine) {
        let parsed = ScenarioLoader.parse(text: yaml, file: "silence.yaml", baseDirectory: "/", fileExists: { _ in true })
        let scenario = try #require(parsed.scenario, "\(parsed.findings)")
        let store = InMemoryStore()
        let outcome = try await DrillExecutor.start(ScenarioSource(scenario: scenario, path: "silence.yaml", text: yaml, sha256: "00"),
                                                    store: store, progress: ProgressPrinter(enabled: false))
        let machine = DrillMachine.replay(scenario, events: try store.events(of: outcome.runID).map { ($0.event, $0.at) })
        return (outcome, machine)
    }

    /// The silences Alertmanager holds, as (comment, state).
    static func silences(_ base: String) async throws -> [(comment: String, state: String, matchers: [[String: Any]])] {
        let report = await HTTPDriver().perform(.http(ResolvedHTTP(method: "GET", url: base + "/api/v2/silences")), deadline: .none, limits: DriverLimits())
        let list = try #require(try JSONSerialization.jsonObject(with: Data((report.stdout?.text ?? "[]").utf8)) as? [[String: Any]])
        return list.map { ($0["comment"] as? String ?? "", ($0["status"] as? [String: Any])?["state"] as? String ?? "",
                           $0["matchers"] as? [[String: Any]] ?? []) }
    }

    static func scenario(_ base: String, failing: Bool) -> String {
        """
        firedrill: 1
        name: silence-drill
        vars: {am: "\(base)"}
        silence:
          alertmanager: "${am}"
          matchers:
            - {name: alertname, value: "Thanos.*", regex: true}
            - {name: severity, value: info, negate: true}
          duration: 1h
        phases:
          - name: disaster
            steps:
              - name: the silence is active now
                http: {url: "${am}/api/v2/silences", body_contains: '"state":"active"'}
              - name: and it names this run
                http: {url: "${am}/api/v2/silences", body_contains: "run ${run.id}"}
              - name: the restore
                run: ["\(failing ? "false" : "true")"]
        """
    }

    @Test(.enabled(if: binary != nil, "prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager"))
    func theSilenceHoldsForTheDrillAndIsExpiredAtItsEnd() async throws {
        try await Self.withAlertmanager { base in
            let (outcome, machine) = try await Self.run(Self.scenario(base, failing: false))
            #expect(outcome.status == .completed, "\(machine.state.failureReason ?? "") \(machine.state.deviations.map(\.message))")
            let id = try #require(machine.state.silence.created?.id)
            #expect(machine.state.silence.expired?.report.passed == true)
            let held = try await Self.silences(base)
            #expect(held.count == 1)
            #expect(held.first?.comment.contains("run \(outcome.runID)") == true)
            #expect(held.first?.state == "expired")
            let matchers = held.first?.matchers ?? []
            #expect(matchers.contains { $0["name"] as? String == "alertname" && $0["isRegex"] as? Bool == true })
            #expect(matchers.contains { $0["name"] as? String == "severity" && $0["isEqual"] as? Bool == false })
            print("silence \(id) held for run \(outcome.runID) and expired")

            // A drill that fails (and rolls back) expires its silence too.
            let (failed, failedMachine) = try await Self.run(Self.scenario(base, failing: true))
            #expect(failed.status == .failed)
            #expect(failedMachine.state.silence.expired?.report.passed == true)
            #expect(try await Self.silences(base).allSatisfy { $0.state == "expired" })
        }
    }

    @Test func anUnreachableAlertmanagerIsADeviationNotAFailure() async throws {
        let (outcome, machine) = try await Self.run("""
            firedrill: 1
            name: silence-down
            silence:
              alertmanager: "http://127.0.0.1:1"
              matchers: [{name: alertname, value: Drill}]
            phases:
              - name: p
                steps:
                  - {name: s, run: ["true"]}
            """)
        #expect(outcome.status == .completed)
        #expect(machine.state.silence.created?.id == nil)
        #expect(machine.state.deviations.contains { $0.message.hasPrefix("the Alertmanager silence could not be created: ") })
    }
}
