import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// A run never reports a figure it did not measure: through the real `firedrill`, an RPO with
/// no acknowledged write, or read back from a sequence number never written, is not measured,
/// its objective is not met, and the run says so in its exit code (5), the summary and history.
@Suite(.serialized) struct FiguresTests {
    static func drill(write: String, read: String) throws -> (dir: String, scenario: String) {
        let dir = try temporaryFolder("firedrill-figures")
        let scenario = dir + "/figures.yaml"
        try """
            firedrill: 1
            name: figures
            objectives: {rpo: 1s}
            canary:
              every: 50ms
              warmup: 200ms
              write: {run: [sh, -c, '\(write)']}
              read: {run: [sh, -c, '\(read)']}
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        return (dir, scenario)
    }

    static func history(_ dir: String) async throws -> [String: Any] {
        let listed = try await FiredrillProcess.run(["history", "--json", "--db", dir + "/r.db"], directory: dir)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        return try #require(array.first)
    }

    @Test func noAcknowledgedWriteMeansRPONotMeasuredAndTheObjectiveNotMet() async throws {
        let (dir, scenario) = try Self.drill(write: "exit 1", read: "echo 5")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db"], directory: dir)
        #expect(finished.status == 5, "\(finished.output)")
        #expect(finished.stdout.contains("RPO not measured: no canary write was acknowledged"), "\(finished.stdout)")
        #expect(finished.stdout.contains("objective 1s: NOT MEASURED"), "\(finished.stdout)")
        #expect(!finished.stdout.contains("RPO 0.000s"))
        let entry = try await Self.history(dir)
        #expect(entry["rpo_seconds"] is NSNull)
        #expect(entry["objectives_met"] as? Bool == false)
        #expect(entry["objectives"] as? String == "unmeasured")
        #expect(entry["rpo_objective"] as? String == "unmeasured")
    }

    @Test func aSurvivingSequenceNumberNeverWrittenIsAnError() async throws {
        let (dir, scenario) = try Self.drill(write: "true", read: "echo 9223372036854775807")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db"], directory: dir)
        #expect(finished.status == 5, "\(finished.output)")
        #expect(finished.stdout.contains("above the highest sequence number ever written"), "\(finished.stdout)")
        let report = try await FiredrillProcess.run(["report", try #require(try SQLiteStore(path: dir + "/r.db").runs(scenario: nil).first).id,
                                                     "--format", "md", "--out", "-", "--db", dir + "/r.db"], directory: dir)
        #expect(report.stdout.contains("not measured"), "\(report.stdout)")
        #expect(report.stdout.contains("Completed, but not every objective could be judged"), "\(report.stdout)")
        #expect(!report.stdout.contains("| met"), "\(report.stdout)")
    }

    /// A probe that takes a second, polled `every: 100ms`, fails once and then passes: the recovery
    /// lies between the first sample's start (just after the disaster) and the second's end (two
    /// probes of at least 1 s each after it), so the bounds straddle a 2 s objective however fast or
    /// loaded the machine is. The value may be within 2 s; the objective is undetermined, never met:
    /// in the summary, `history --json`, the report and the exit code (5).
    @Test func aSlowProbeWhoseBoundsStraddleTheObjectiveLeavesItUndetermined() async throws {
        let dir = try temporaryFolder("firedrill-straddle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/straddle.yaml"
        try """
            firedrill: 1
            name: straddle
            objectives: {rto: 2s}
            phases:
              - name: disaster
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
              - name: verify
                steps:
                  - name: back
                    wait_for:
                      run: [sh, -c, 'sleep 1; [ -e "$0" ] && exit 0; touch "$0"; exit 1', "\(dir)/seen"]
                      every: 100ms
                    timeout: 60s
                    mark: recovered
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let db = dir + "/r.db"
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", db], directory: dir)
        let store = try SQLiteStore(path: db)
        let run = try #require(try store.runs(scenario: "straddle").first)
        let parsed = try #require(ScenarioLoader.parse(text: run.scenarioText, file: scenario, baseDirectory: dir, fileExists: { _ in true }).scenario)
        let state = DrillMachine.replay(parsed, events: try store.events(of: run.id).map { ($0.event, $0.at) }).state
        let rto = try #require(DrillMeasurement(scenario: parsed, state: state).rto, "\(finished.output)")
        // The upper bound spans two probes of a second each; the lower one is the gap between the
        // disaster step's end and the first probe's start.
        try #require(rto.lower < .seconds(2) && rto.upper > .seconds(2), "the bounds do not straddle 2s: \(rto.lower) – \(rto.upper)")
        #expect(finished.status == 5, "\(finished.output)")
        #expect(finished.stdout.contains("objective 2s: UNDETERMINED (its bounds straddle the objective)"), "\(finished.stdout)")
        let entry = try await Self.history(dir)
        #expect(entry["objectives"] as? String == "undetermined", "\(entry)")
        #expect(entry["rto_objective"] as? String == "undetermined", "\(entry)")
        #expect(entry["objectives_met"] as? Bool == false, "\(entry)")
        let report = try await FiredrillProcess.run(["report", run.id, "--format", "md", "--out", "-", "--db", db], directory: dir)
        #expect(report.status == 0, "\(report.output)")
        #expect(report.stdout.contains("Completed, but not every objective could be judged: RTO undetermined"), "\(report.stdout)")
        #expect(report.stdout.contains("| undetermined |"), "\(report.stdout)")
        #expect(!report.stdout.contains("| met |"), "\(report.stdout)")
    }

    /// A read of a negative number, a decimal or a version string names no sequence number.
    @Test(arguments: ["echo -5", "echo 2.5", "echo version 1.2 seq=nothing"])
    func aReadThatNamesNoSequenceNumberMeasuresNothing(read: String) async throws {
        let (dir, scenario) = try Self.drill(write: "true", read: read)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db"], directory: dir)
        #expect(finished.status == 5, "\(finished.output)")
        #expect(finished.stdout.contains("holds no sequence number"), "\(finished.stdout)")
    }
}
