import ArgumentParser
import Foundation

/// `restore`: replaces DIR/writes.log with the newest backup, or with an empty file when there is none.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore the data directory from the newest backup."
    )

    @Option(help: "Data directory to restore into (created if missing).")
    var data: String

    @Option(help: "Directory holding the backups.")
    var backups: String

    @Option(help: "Truth log (JSON lines, appended).")
    var log: String?

    func run() throws {
        let data = DurableFile.absolute(data)
        let backups = DurableFile.absolute(backups)
        let truth = try TruthLog.appending(to: log.map(DurableFile.absolute))
        try DurableFile.makeDirectory(data)
        let target = (data as NSString).appendingPathComponent(WriteStore.fileName)
        guard let backup = BackupFile.newest(in: backups) else {
            try DurableFile.atomicWrite([], to: target)
            truth.record("restored", ["seq": .int(0), "file": .null])
            Console.say("no backup in \(backups); restored an empty \(target)")
            return
        }
        let bytes = try DurableFile.read(backup.path)
        try DurableFile.atomicWrite(bytes, to: target)
        // The seq actually restored, read from the contents rather than trusted from the name.
        let seq = WriteStore.maxSeq(in: bytes)
        truth.record("restored", ["seq": .int(seq), "file": .string(backup.path)])
        Console.say("restored seqs up to \(seq) from \(backup.path) into \(target)")
    }
}
