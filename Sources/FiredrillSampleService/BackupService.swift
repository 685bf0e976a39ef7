import Foundation
import Logging
import ServiceLifecycle

/// Copies writes.log into the backups directory every interval, atomically (temp file, fsync, rename).
struct BackupService: Service {
    let store: WriteStore
    let directory: String
    let interval: Duration
    let truth: TruthLog
    let logger: Logger

    func run() async throws {
        let service = self
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: service.interval)
                do {
                    try service.takeBackup()
                } catch {
                    // A failed backup is what a drill should notice through RPO, not a reason to stop serving.
                    service.logger.error("backup failed: \(error)")
                }
            }
        }
    }

    @discardableResult
    func takeBackup() throws -> BackupFile {
        try DurableFile.makeDirectory(directory)
        let snapshot = store.snapshot()
        let bytes = try store.read(snapshot)
        let name = BackupFile.name(wallNs: SystemClock.realtimeNs(), maxSeq: snapshot.maxSeq)
        let path = (directory as NSString).appendingPathComponent(name)
        try DurableFile.atomicWrite(bytes, to: path)
        truth.record("backup", ["seq": .int(snapshot.maxSeq), "file": .string(path)])
        return BackupFile(path: path)!
    }
}
