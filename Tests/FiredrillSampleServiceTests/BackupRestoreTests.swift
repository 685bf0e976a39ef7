import FiredrillSampleService
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Backups and restore")
struct BackupRestoreTests {
    @Test("backups appear periodically and restore brings back the backed-up seqs only")
    func restoreBringsBackBackedUpSeqsOnly() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, port) = try await sandbox.serve(backupEvery: "200ms")

        for seq in 1...5 {
            #expect(try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port).status == 200)
        }
        try await eventually("a backup holding seq 5") { BackupFile.newest(in: sandbox.backups)?.maxSeq == 5 }
        for seq in 6...8 {
            #expect(try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port).status == 200)
        }
        service.signal(SIGKILL)
        try await service.waitForExit()

        let names = try FileManager.default.contentsOfDirectory(atPath: sandbox.backups)
        // A kill during a backup may leave its dot-prefixed temporary; anything else is a finished backup.
        #expect(names.filter { !$0.hasPrefix(".") }.allSatisfy { BackupFile(path: $0) != nil }, "\(names)")
        let newest = try #require(BackupFile.newest(in: sandbox.backups))
        #expect((5...8).contains(newest.maxSeq))
        let backedUp = try ServiceSandbox.seqs(inFile: newest.path)
        #expect(backedUp == Array(1...newest.maxSeq))
        // Each backup is logged once it is renamed into place: every logged one names its file and
        // seq, and only the newest may be unlogged, when the kill fell between its rename and its line.
        let backupEvents = try sandbox.events().filter { $0.event == "backup" }
        #expect(!backupEvents.isEmpty)
        for event in backupEvents {
            let file = try #require(event.file.flatMap(BackupFile.init(path:)), "\(event)")
            #expect(event.seq == file.maxSeq, "\(event)")
        }
        let unlogged = BackupFile.all(in: sandbox.backups)
            .filter { file in !backupEvents.contains { $0.file == file.path } }
        #expect(unlogged.allSatisfy { $0.path == newest.path }, "unlogged backups: \(unlogged.map(\.name))")

        // The disaster: the data directory is gone.
        try FileManager.default.removeItem(atPath: sandbox.data)
        let restore = try await sandbox.run(["restore", "--data", sandbox.data, "--backups", sandbox.backups, "--log", sandbox.log])
        #expect(restore.code == 0, "\(restore.output)")
        #expect(try sandbox.storedSeqs() == backedUp)
        let restored = try #require(try sandbox.events().last { $0.event == "restored" })
        #expect(restored.seq == newest.maxSeq)
        #expect(restored.file == newest.path)

        let (restarted, newPort) = try await sandbox.serve()
        #expect(try ServiceSandbox.http("GET", "/latest", port: newPort).body == String(newest.maxSeq))
        restarted.signal(SIGTERM)
        try await restarted.waitForExit()
    }

    @Test("restore picks the newest backup by the timestamp in its name")
    func restorePicksNewestByName() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        try FileManager.default.createDirectory(atPath: sandbox.backups, withIntermediateDirectories: true)
        // The higher seq is in the older backup: restore must go by time, not by seq.
        let files = [
            (BackupFile.name(wallNs: 2_000, maxSeq: 9), "1\n9\n"),
            (BackupFile.name(wallNs: 3_000, maxSeq: 4), "1\n4\n"),
            (BackupFile.name(wallNs: 1_000, maxSeq: 12), "12\n"),
            ("backup-not-a-backup.log", "99\n"),
            (".backup-00000000000000009999-99.log.1.tmp", "99\n"),
        ]
        for (name, contents) in files {
            try contents.write(toFile: sandbox.backups + "/" + name, atomically: true, encoding: .utf8)
        }
        #expect(BackupFile.name(wallNs: 3_000, maxSeq: 4) == "backup-00000000000000003000-4.log")

        let restore = try await sandbox.run(["restore", "--data", sandbox.data, "--backups", sandbox.backups, "--log", sandbox.log])
        #expect(restore.code == 0, "\(restore.output)")
        #expect(try sandbox.storedSeqs() == [1, 4])
        let restored = try #require(try sandbox.events().last)
        #expect(restored.event == "restored")
        #expect(restored.seq == 4)
        #expect(restored.file == sandbox.backups + "/backup-00000000000000003000-4.log")
    }

    @Test("restore without any backup creates an empty writes.log and logs seq 0")
    func restoreWithoutBackups() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        try FileManager.default.createDirectory(atPath: sandbox.data, withIntermediateDirectories: true)
        try "1\n2\n".write(toFile: sandbox.data + "/writes.log", atomically: true, encoding: .utf8)

        let restore = try await sandbox.run(["restore", "--data", sandbox.data, "--backups", sandbox.backups, "--log", sandbox.log])
        #expect(restore.code == 0, "\(restore.output)")
        #expect(FileManager.default.contents(atPath: sandbox.data + "/writes.log") == Data())
        let restored = try #require(try sandbox.events().last)
        #expect(restored.event == "restored")
        #expect(restored.seq == 0)
        #expect(restored.file == nil)
    }
}
