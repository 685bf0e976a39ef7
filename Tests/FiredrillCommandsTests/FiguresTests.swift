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
