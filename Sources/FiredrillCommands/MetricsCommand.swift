import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Every scenario's standing in Prometheus's text format, as `firedrill serve` shows it at /metrics.",
        discussion: """
            With --out, the text is written atomically (a file beside it, then renamed), for node_exporter's \
            textfile collector: run it from cron and point --collector.textfile.directory at the folder. \
            docs/SERVE.md has an alert rule that pages when a drill is overdue.
            """)

    @OptionGroup var files: ScenarioFiles
    @Option(help: "Write to this file (for node_exporter's textfile collector: a name ending .prom) instead of stdout.") var out: String?
    @Option(help: "Judge as of this instant (ISO 8601) instead of now.") var asOf: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        let now = try DueCommand.instant(asOf)
        let (scenarios, _) = files.load()
        let db = store.isPostgres || FileManager.default.fileExists(atPath: store.path) ? try store.open() : nil
        let text = DrillMetrics.text(try DrillOverview.load(files: scenarios, store: db, nowWallNs: now))
        guard let out else { return FileHandle.standardOutput.write(Data(text.utf8)) }
        do { try Self.writeAtomically(text, to: out) } catch {
            throw CommandFailure.internalError("cannot write \(out): \(error.localizedDescription)")
        }
    }

    /// Beside the target, flushed, then renamed over it: a reader sees the old text or the new, whole.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, url.path) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
