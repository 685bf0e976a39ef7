import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// `notify:` webhooks against a real receiver on 127.0.0.1: Slack-compatible and generic bodies
/// at start, disaster, recovered and end; failures recorded, never fatal.
@Suite struct NotifyTests {
    final class Received: Sendable {
        let requests = Mutex<[(path: String, body: String)]>([])
        func add(_ path: String, _ body: String) { requests.withLock { $0.append((path, body)) } }
        var all: [(path: String, body: String)] { requests.withLock { $0 } }
    }

    static func withReceiver(_ body: @Sendable (String, Received) async throws -> Void) async throws {
        let received = Received()
        let router = Router()
        for path in ["slack", "hook"] {
            router.post(.init(stringLiteral: path)) { request, _ -> String in
                let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
                let type = request.headers.first { $0.name.canonicalName == "content-type" }?.value ?? "-"
                received.add(path, type == "application/json" ? text : "wrong content type \(type)")
                return "ok"
            }
        }
        router.post("broken") { _, _ -> Response in Response(status: .internalServerError) }
        try await DriverTestSupport.serving(router) { base in try await body(base, received) }
    }

    @Test func notifiersAreToldAndFailuresAreRecordedNotFatal() async throws {
        try await Self.withReceiver { base, received in
            let text = """
                firedrill: 1
                name: notify-drill
                title: Notify drill
                objectives: {rto: 1m}
                vars: {base: "\(base)"}
                notify:
                  - name: drill channel
                    slack: {url: "${base}/slack"}
                  - name: incident bot
                    webhook: {url: "${base}/hook"}
                    on: [disaster, end]
                  - name: broken receiver
                    webhook: {url: "${base}/broken"}
                    on: [end]
                  - name: nobody listening
                    slack: {url: "http://127.0.0.1:1/nothing"}
                    on: [start]
                phases:
                  - name: disaster
                    steps:
                      - {name: inject, run: ["true"], mark: disaster}
                  - name: verify
                    steps:
                      - {name: back, run: ["true"], mark: recovered}
                """
            let parsed = ScenarioLoader.parse(text: text, file: "notify.yaml", baseDirectory: "/", fileExists: { _ in true })
            let scenario = try #require(parsed.scenario, "\(parsed.findings)")
            let store = InMemoryStore()
            let outcome = try await DrillExecutor.start(ScenarioSource(scenario: scenario, path: "notify.yaml", text: text, sha256: "00"),
                                                        store: store, progress: ProgressPrinter(enabled: false))
            #expect(outcome.status == .completed)
            #expect(outcome.exitCode == 0)

            let slack = received.all.filter { $0.path == "slack" }.map(\.body)
            #expect(slack.count == 4, "\(slack)")
            let texts = try slack.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])["text"] ?? "" }
            // End goes last; the others are calls of their own beside the drill, and on a loaded
            // machine the start's can arrive after the recovery's (CI's clean clone saw it).
            #expect(texts.contains("Drill 'Notify drill' started (run \(outcome.runID))."), "\(texts)")
            #expect(texts.contains { $0.contains("the disaster was injected") })
            #expect(texts.contains { $0.hasPrefix("Drill 'Notify drill': recovered after ") })
            #expect(texts.last?.hasPrefix("Drill 'Notify drill' ended: completed, RTO ") == true, "\(texts)")
            #expect(texts.last?.contains("objectives met") == true)

            let hooks = try received.all.filter { $0.path == "hook" }.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])
            }
            #expect(hooks.map { $0["event"] as? String } == ["disaster", "end"])
            #expect(hooks.last?["run_id"] as? String == outcome.runID)
            #expect(hooks.last?["status"] as? String == "completed")
            #expect(hooks.last?["objectives_met"] as? Bool == true)
            #expect((hooks.last?["rto_seconds"] as? Double).map { $0 >= 0 } == true)

            // Both failures are in the record, and the run still completed.
            let events = try store.events(of: outcome.runID)
            let machine = DrillMachine.replay(scenario, events: events.map { ($0.event, $0.at) })
            let failed = machine.state.notifications.filter { !$0.report.passed }
            #expect(failed.map(\.notifier).sorted() == [2, 3])
            #expect(machine.state.deviations.contains { $0.message.hasPrefix("notifying 'broken receiver' of end failed: HTTP 500") })
            // The end notifications went out before the run ended.
            let ended = try #require(events.firstIndex { if case .runEnded = $0.event { true } else { false } })
            #expect(events[..<ended].filter { if case .notificationSent(let s) = $0.event { s.trigger == .end } else { false } }.count == 3)
        }
    }

    /// The end notification carries the chain's head signed with the team's key, verifiable by
    /// the receiver with the public key alone, and the head is one of the run's recorded events.
    @Test func theEndNotificationCarriesTheSignedHead() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-signed-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try SigningKey.create(at: dir + "/signing.key")
        try await Self.withReceiver { base, received in
            let text = """
                firedrill: 1
                name: signed-drill
                vars: {base: "\(base)"}
                notify:
                  - {name: evidence bot, webhook: {url: "${base}/hook"}, on: [end]}
                phases:
                  - name: only
                    steps:
                      - {name: inject, run: ["true"]}
                """
            let scenario = try #require(ScenarioLoader.parse(text: text, file: "signed.yaml", baseDirectory: "/", fileExists: { _ in true }).scenario)
            let store = InMemoryStore()
            let outcome = try await DrillExecutor.start(ScenarioSource(scenario: scenario, path: "signed.yaml", text: text, sha256: "00"),
                                                        environment: ["FIREDRILL_SIGNING_KEY": key.path],
                                                        store: store, progress: ProgressPrinter(enabled: false))
            #expect(outcome.status == .completed)
            let hook = try #require(received.all.first { $0.path == "hook" })
            let body = try #require(try JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any])
            let signed = try #require(body["signed_head"] as? [String: Any], "\(body)")
            let statement = try #require(signed["statement"] as? String)
            let signature = try #require((signed["signature"] as? String).flatMap { Data(base64Encoded: $0) })
            let publicKey = try SigningKey.publicKey(key.path + ".pub")
            let events = try store.events(of: outcome.runID)
            let count = try #require(signed["events"] as? Int)
            #expect(statement.hasPrefix("firedrill-signed-head-v1\n\(outcome.runID)\n\(count)\n"), "\(statement)")
            #expect(publicKey.isValidSignature(signature, for: Data(statement.utf8)))
            #expect(!publicKey.isValidSignature(signature, for: Data(statement.replacingOccurrences(of: "\n\(count)\n", with: "\n\(count + 1)\n").utf8)))
            #expect(try SQLiteStore.chainHead(runID: outcome.runID, events: Array(events.prefix(count))) == signed["head"] as? String)
            // The final head is signed into the record.
            let final = try #require(try store.signatures(runID: outcome.runID).last)
            #expect(final.eventCount == events.count)
            #expect(final.isValid(under: publicKey))
        }
    }
}
