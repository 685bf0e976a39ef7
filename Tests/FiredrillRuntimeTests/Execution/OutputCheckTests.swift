import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// Output checks and inventories judged in the executor's one place for driver calls, on real
/// processes and a real HTTP server on 127.0.0.1: in steps, `wait_for`, steady state and guards,
/// on more output than the record keeps, and with what was found in the record.
@Suite struct OutputCheckTests {
    static func run(_ yaml: String) async throws -> (RunOutcome, DrillMachine, InMemoryStore) {
        let parsed = ScenarioLoader.parse(text: yaml, file: "output.yaml", baseDirectory: "/", fileExists: { _ in true })
        let scenario = try #require(parsed.scenario, "\(parsed.findings)")
        let store = InMemoryStore()
        let outcome = try await DrillExecutor.start(ScenarioSource(scenario: scenario, path: "output.yaml", text: yaml, sha256: "00"),
                                                    store: store, progress: ProgressPrinter(enabled: false))
        let machine = DrillMachine.replay(scenario, events: try store.events(of: outcome.runID).map { ($0.event, $0.at) })
        return (outcome, machine, store)
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-output-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func attempt(_ machine: DrillMachine, _ name: String) -> RunState.Attempt? {
        machine.state.attempts.last { $0.stepName == name }
    }

    @Test func checksHoldOverOutputLargerThanTheRecordKeeps() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 20,000 items: about 400 KiB of JSON, past the record's 64 KiB.
        let script = dir + "/items.py"
        try "import json\nprint(json.dumps({'items': [{'n': i, 'phase': 'Completed'} for i in range(20000)]}))\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let (outcome, machine, _) = try await Self.run("""
            firedrill: 1
            name: output
            steady_state:
              - {name: the list is whole, run: [python3, "\(script)"], output: [{json: "$.items[*]", expect: "count == 20000"}, {json: "$.items[-1].n", expect: "== 19999"}]}
            phases:
              - name: p
                steps:
                  - name: every item completed
                    run: [python3, "\(script)"]
                    output: {json: "$.items[*].phase", expect: "== Completed"}
                  - name: a line appears
                    wait_for: {shell: 'echo "$(date +%s%N)" | grep -E "[02468]$" || echo none', output: {matches: "^[0-9]+$"}, every: 10ms}
                    timeout: 30s
            """)
        #expect(outcome.status == .completed, "\(outcome.failureReason ?? "")")
        let whole = try #require(Self.attempt(machine, "every item completed")?.report)
        #expect(whole.checks?.map(\.passed) == [true])
        #expect(whole.checks?.first?.found.hasPrefix("20000 values: \"Completed\"") == true)
        #expect(whole.stdout?.keptBytes == 64 * 1024)
        #expect((whole.stdout?.totalBytes ?? 0) > 300_000)
    }

    @Test func aFailedCheckFailsTheStepAndTheRecordSaysWhatWasFound() async throws {
        let (outcome, machine, _) = try await Self.run("""
            firedrill: 1
            name: output
            phases:
              - name: p
                steps:
                  - name: the restore completed
                    shell: 'echo "{\\"status\\": {\\"phase\\": \\"PartiallyFailed\\", \\"errors\\": 2}}"'
                    output: [{json: "$.status.phase", expect: "== Completed"}, {json: "$.status.errors", expect: "== 0"}]
            """)
        #expect(outcome.status == .failed)
        let attempt = try #require(Self.attempt(machine, "the restore completed"))
        #expect(attempt.verdict == .failed)
        #expect(attempt.summary == "exit 0, but the output: expected $.status.phase == Completed, found \"PartiallyFailed\" (and 1 more check failed)")
        #expect(attempt.report?.checks?.map(\.found) == ["\"PartiallyFailed\"", "2"])
        #expect(outcome.failureReason?.contains("found \"PartiallyFailed\"") == true)
    }

    @Test func anHTTPBodyIsCheckedAndAGuardTripsOnIt() async throws {
        // Answers 200 on both paths: only the body tells the broken backend (/guarded) from the healthy one.
        let server = try LoopbackTCPServer { connection in
            let request = String(decoding: connection.readRequest(), as: UTF8.self)
            let body = request.hasPrefix("GET /guarded") ? "<html>502 Bad Gateway</html>" : #"{"state":"ok","errors":0}"#
            _ = connection.write(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
        }
        defer { server.stop() }
        // The guard's first poll, as the phases start, finds the body is not JSON: no grid to wait on.
        let (outcome, machine, _) = try await Self.run("""
            firedrill: 1
            name: output
            steady_state:
              - {name: healthy, http: {url: "\(server.base)/status"}, output: {json: "$.state", expect: "== ok"}}
            guards:
              - name: the API still answers JSON
                every: 30s
                http: {url: "\(server.base)/guarded", timeout: 30s}
                output: {json: "$.errors", expect: "== 0"}
            phases:
              - name: p
                steps:
                  - {name: wait, sleep: 60s}
            """)
        #expect(outcome.status == .aborted || outcome.status == .failed, "\(outcome.status)")
        #expect(Self.attempt(machine, "healthy")?.report?.checks?.first?.found == "\"ok\"")
        let trip = try #require(machine.state.guardTrip)
        #expect(trip.name == "the API still answers JSON")
        #expect(trip.summary.contains("output not JSON at line 1, column 1: unexpected character '<'"), "\(trip.summary)")
    }
}
