import FiredrillSampleService
import Foundation
import Testing

/// The analysis on hand-written logs, where every expected value is known exactly.
@Suite("Truth analysis")
struct TruthAnalysisTests {
    private static func line(_ event: String, pid: Int32, mono: UInt64, _ extra: String = "") -> String {
        "{\"event\":\"\(event)\",\"pid\":\(pid),\"mono_ns\":\(mono),\"wall_ns\":\(mono + 1_000_000)\(extra)}"
    }

    /// Process 100 acks 1, 2, 3 (twice), 4; a backup holds 2; it dies after its heartbeat at 5 010;
    /// `restore` (pid 300) restores 2; process 200 loads 2 and listens at 11 000.
    private static func outage(restartedWith startedSeq: Int?, restored: Int? = 2) -> [String] {
        var lines = [
            line("started", pid: 100, mono: 1_000, ",\"port\":0,\"seq\":0,\"heartbeat_ns\":10"),
            line("listening", pid: 100, mono: 1_100, ",\"port\":4000"),
            line("write", pid: 100, mono: 2_000, ",\"seq\":1"),
            line("alive", pid: 100, mono: 2_010),
            line("write", pid: 100, mono: 3_000, ",\"seq\":2"),
            line("backup", pid: 100, mono: 3_500, ",\"seq\":2,\"file\":\"/b/backup-00000000000000003500-2.log\""),
            line("write", pid: 100, mono: 4_000, ",\"seq\":3"),
            line("write", pid: 100, mono: 4_100, ",\"seq\":3"),
            line("write", pid: 100, mono: 5_000, ",\"seq\":4"),
            line("alive", pid: 100, mono: 5_010),
            "",
        ]
        if let restored {
            lines.append(line("restored", pid: 300, mono: 9_000, ",\"seq\":\(restored),\"file\":null"))
        }
        lines += [
            line("started", pid: 200, mono: 10_000, ",\"port\":4000" + (startedSeq.map { ",\"seq\":\($0)" } ?? "")),
            line("alive", pid: 200, mono: 10_010),
            line("listening", pid: 200, mono: 11_000, ",\"port\":4000"),
            line("write", pid: 200, mono: 12_000, ",\"seq\":5"),
        ]
        return lines
    }

    @Test("an outage with lost writes yields exact downtime, lost-write count and RPO")
    func exactValues() throws {
        let truth = try SampleServiceTruth.analyze(logLines: Self.outage(restartedWith: 2))
        #expect(truth == SampleServiceTruth(
            downAtMonoNs: 5_010, upAtMonoNs: 11_000, downtimeSeconds: 5_990e-9, lastAckedSeqBeforeDown: 4,
            restoredSeq: 2, lostWrites: 2, newestSurvivingWriteMonoNs: 3_000, rpoSeconds: 2_010e-9, heartbeatNs: 10
        ))
    }

    @Test("without a seq on the restarted process's `started` line the `restored` line is used")
    func fallsBackToRestoredLine() throws {
        let truth = try SampleServiceTruth.analyze(logLines: Self.outage(restartedWith: nil))
        #expect(truth.restoredSeq == 2)
        #expect(truth.lostWrites == 2)
        #expect(throws: SampleServiceTruth.AnalysisError.unknownRestoredSeq(pid: 200)) {
            try SampleServiceTruth.analyze(logLines: Self.outage(restartedWith: nil, restored: nil))
        }
    }

    @Test("when nothing survived, RPO runs from the first process's start; when nothing was lost it is 0")
    func rpoEdges() throws {
        let nothingSurvived = try SampleServiceTruth.analyze(logLines: Self.outage(restartedWith: 0))
        #expect(nothingSurvived.lostWrites == 4)
        #expect(nothingSurvived.newestSurvivingWriteMonoNs == nil)
        #expect(nothingSurvived.rpoSeconds == 4_010e-9)

        let nothingLost = try SampleServiceTruth.analyze(logLines: Self.outage(restartedWith: 4))
        #expect(nothingLost.lostWrites == 0)
        #expect(nothingLost.newestSurvivingWriteMonoNs == 5_000)
        #expect(nothingLost.rpoSeconds == 0)
    }

    @Test("a log without an outage, or without recovery, or with a broken line is an error")
    func errors() throws {
        let oneProcess = Array(Self.outage(restartedWith: 2).prefix(10))
        #expect(throws: SampleServiceTruth.AnalysisError.self) { try SampleServiceTruth.analyze(logLines: oneProcess) }
        do {
            _ = try SampleServiceTruth.analyze(logLines: oneProcess)
        } catch let error as SampleServiceTruth.AnalysisError {
            guard case .noOutage = error else { Issue.record("expected noOutage, got \(error)"); return }
            #expect(error.description.contains("no outage"))
        }
        #expect(throws: SampleServiceTruth.AnalysisError.noOutage("no `started` line")) {
            try SampleServiceTruth.analyze(logLines: [String]())
        }

        let neverListened = Self.outage(restartedWith: 2).filter { !$0.contains("\"listening\",\"pid\":200") }
        #expect(throws: SampleServiceTruth.AnalysisError.noRecovery(pid: 200)) {
            try SampleServiceTruth.analyze(logLines: neverListened)
        }

        var broken = Self.outage(restartedWith: 2)
        broken[3] = "{\"event\":\"alive\""
        #expect(throws: SampleServiceTruth.AnalysisError.self) { try SampleServiceTruth.analyze(logLines: broken) }
        do {
            _ = try SampleServiceTruth.analyze(logLines: broken)
        } catch let error as SampleServiceTruth.AnalysisError {
            guard case .malformedLine(4, _) = error else { Issue.record("expected line 4, got \(error)"); return }
        }
    }
}
