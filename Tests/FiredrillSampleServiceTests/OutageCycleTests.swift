import FiredrillSampleService
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The truth analysis on logs written by real processes, checked against what the test itself did.
@Suite("Truth of a real outage")
struct OutageCycleTests {
    @Test("kill, restore, start: the truth brackets the kill and the restart and counts the lost writes")
    func killRestoreStart() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (first, port) = try await sandbox.serve(backupEvery: "1s", heartbeat: "10ms")

        for seq in 1...3 {
            #expect(try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port).status == 200)
        }
        try await eventually("a backup holding seq 3") { BackupFile.newest(in: sandbox.backups)?.maxSeq == 3 }
        // Acknowledged after that backup, so (barring a backup within these few requests) lost in the outage.
        for seq in 4...6 {
            #expect(try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port).status == 200)
        }

        let beforeKill = ServiceSandbox.monotonicNs()
        first.signal(SIGKILL)
        try await first.waitForExit()
        let afterKill = ServiceSandbox.monotonicNs()

        let backup = try #require(BackupFile.newest(in: sandbox.backups))
        let restore = try await sandbox.run(["restore", "--data", sandbox.data, "--backups", sandbox.backups, "--log", sandbox.log])
        #expect(restore.code == 0, "\(restore.output)")
        let start = try await sandbox.run(["start"] + sandbox.serviceArguments(port: port) + ["--wait", "60s"])
        try #require(start.code == 0, "\(start.output)")
        let afterStart = ServiceSandbox.monotonicNs()
        let latest = try ServiceSandbox.http("GET", "/latest", port: port).body

        let truth = try SampleServiceTruth.analyze(logFile: sandbox.log)
        let printed = try await sandbox.run(["truth", "--log", sandbox.log])
        #expect(printed.code == 0, "\(printed.output)")
        #expect(try JSONDecoder().decode(SampleServiceTruth.self, from: Data(printed.output.utf8)) == truth)

        let stop = try await sandbox.run(["stop", "--pidfile", sandbox.pidfile, "--wait", "60s"])
        #expect(stop.code == 0, "\(stop.output)")

        let firstLines = try sandbox.events().filter { $0.pid == first.pid }
        let lastWrite = try #require(firstLines.last { $0.event == "write" && $0.seq == 6 })
        // Down: after the last acknowledged write, no later than the kill, and the heartbeat keeps it close
        // to the kill (a generous bound for a loaded machine; normally one heartbeat).
        #expect(truth.downAtMonoNs >= lastWrite.monoNs)
        #expect(truth.downAtMonoNs <= afterKill)
        #expect(beforeKill < truth.downAtMonoNs + 5_000_000_000)
        #expect(truth.heartbeatNs == 10_000_000)
        // Up: the restarted daemon started listening after the kill and before `start` returned.
        #expect(truth.upAtMonoNs > afterKill)
        #expect(truth.upAtMonoNs <= afterStart)
        #expect(abs(truth.downtimeSeconds - (Double(truth.upAtMonoNs) - Double(truth.downAtMonoNs)) / 1e9) < 1e-9)
        #expect(truth.downtimeSeconds >= Double(truth.upAtMonoNs - afterKill) / 1e9)

        #expect(truth.lastAckedSeqBeforeDown == 6)
        #expect(backup.maxSeq >= 3)
        #expect(truth.restoredSeq == backup.maxSeq)
        #expect(latest == String(backup.maxSeq))
        #expect(truth.lostWrites == 6 - backup.maxSeq)
        let survivor = try #require(firstLines.last { $0.event == "write" && $0.seq == backup.maxSeq })
        #expect(truth.newestSurvivingWriteMonoNs == survivor.monoNs)
        if truth.lostWrites > 0 {
            #expect(abs(truth.rpoSeconds - (Double(truth.downAtMonoNs) - Double(survivor.monoNs)) / 1e9) < 1e-9)
            #expect(truth.rpoSeconds > 0)
        } else {
            #expect(truth.rpoSeconds == 0)
        }
    }

    @Test("truth on a real log of one process that simply stopped reports that there was no outage")
    func noOutageInRealLog() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, port) = try await sandbox.serve()
        #expect(try ServiceSandbox.http("POST", "/write?seq=1", port: port).status == 200)
        service.signal(SIGTERM)
        try await service.waitForExit()

        #expect(throws: SampleServiceTruth.AnalysisError.self) { try SampleServiceTruth.analyze(logFile: sandbox.log) }
        let printed = try await sandbox.run(["truth", "--log", sandbox.log])
        #expect(printed.code == 1)
        #expect(printed.output.contains("no outage"), "\(printed.output)")
    }
}
