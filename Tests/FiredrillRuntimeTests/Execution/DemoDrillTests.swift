import FiredrillCore
import FiredrillRuntime
import FiredrillSampleService
import FiredrillTestSupport
import Foundation
import Testing

/// The shipped demo drill against the real sample service, on 127.0.0.1: the measured RTO
/// and RPO must agree with the service's own log of when it went down, came back and what
/// it lost, within the probe and canary periods.
@Suite struct DemoDrillTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test(.timeLimit(.minutes(3))) func measuredFiguresAgreeWithTheServicesOwnLog() async throws {
        let service = try #require(BuiltProducts.path(of: "firedrill-sample-service"), "the sample service is built for these tests")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let loaded = try ScenarioLoader.load(path: Self.repository.appendingPathComponent("scenarios/demo.yaml").path)
        let store = try SQLiteStore(path: dir + "/firedrill.db")
        let outcome = try await DrillExecutor.start(
            ScenarioSource(scenario: loaded.scenario, path: loaded.path, text: loaded.text, sha256: loaded.sha256),
            overrides: ["service": service, "port": String(try LoopbackPort.free()), "dir": dir],
            store: store, console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        #expect(outcome.status == .completed, "\(outcome.failureReason ?? "")")
        #expect(outcome.exitCode == 0)

        let truth = try SampleServiceTruth.analyze(logFile: dir + "/service.log")
        let m = try #require(outcome.measurement)
        let rto = try #require(m.rto)
        let rpo = try #require(m.rpo)
        let rpoSpan = try #require(rpo.span)
        let probePeriod = 0.1, canaryPeriod = 0.2, heartbeat = Double(truth.heartbeatNs) / 1e9

        // RTO: disaster (kill done) to recovered (first probe of the passing streak).
        #expect(abs(rto.value.seconds - truth.downtimeSeconds) <= probePeriod + canaryPeriod,
                "measured RTO \(rto.value.seconds)s, the service was down \(truth.downtimeSeconds)s")
        #expect(rto.lower.seconds - heartbeat <= truth.downtimeSeconds, "the truth is not below the measured bounds")
        // RPO: the newest surviving acknowledged write to the disaster.
        #expect(rpo.highestSurvivingSeq == truth.restoredSeq)
        // The service's log knows its own death to one heartbeat: that resolution adds to the canary's.
        #expect(abs(rpoSpan.value.seconds - truth.rpoSeconds) <= canaryPeriod + heartbeat,
                "measured RPO \(rpoSpan.value.seconds)s, the service lost \(truth.rpoSeconds)s")
        // A write the service acknowledged just as it was killed may never have reached us.
        #expect(abs(rpo.lostWrites - truth.lostWrites) <= 1, "measured \(rpo.lostWrites) lost, the service says \(truth.lostWrites)")

        // The record alone gives the same figures.
        let record = try #require(try store.run(outcome.runID))
        #expect(record.rtoSeconds == rto.value.seconds)
        #expect(record.rpoSeconds == rpoSpan.value.seconds)
        let replayed = DrillMachine.replay(loaded.scenario, events: try store.events(of: outcome.runID).map { ($0.event, $0.at) })
        #expect(DrillMeasurement(scenario: loaded.scenario, state: replayed.state) == m)
    }
}
