import Foundation

/// `firedrill confirm` or `firedrill abort`, run for a person on the page as a process of its
/// own: what it records is exactly what the command records, and a run that stopped waiting is
/// carried on by it (for as long as the drill takes, after the page has its answer). Its output
/// goes to a file of its own; the record's URL reaches it by environment, never on its command line.
struct OperatorProcess {
    var exitStatus: Int32?
    var output: String
    var said: String

    /// How long the page waits for the command before saying it carries on.
    static let answerWithin: Duration = .seconds(3)

    static func start(firedrill: String, arguments: [String], database: String, logs: String) async throws -> OperatorProcess {
        // Its own, and no one else's to read: the output names the run and who acted.
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let log = logs + "/\(arguments[0])-\(pathComponent(arguments.last ?? "run"))-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: firedrill)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FIREDRILL_DB"] = database
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        let deadline = ContinuousClock.now + answerWithin
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let output = Self.head(of: log)
        guard !process.isRunning else {
            // Reaped when it ends, so it leaves no zombie behind.
            Thread.detachNewThread { process.waitUntilExit() }
            return OperatorProcess(exitStatus: nil, output: output,
                                   said: "firedrill \(arguments[0]) carries the run on in process \(process.processIdentifier); its output goes to \(log)")
        }
        let status = process.terminationStatus
        let meaning = switch status {
        case 0: "done; the run completed with every objective met, or carries on with its runner"
        case 1: "done; the run completed, but an objective was missed or steady state was not restored"
        case 3: "done; the run failed or was aborted, and its rollbacks ran"
        case 4: "done; the run waits on an operator again"
        case 5: "done; the run completed with an objective undetermined or not measured"
        default: "it was refused or failed (exit \(status)): see its output"
        }
        return OperatorProcess(exitStatus: status, output: output, said: "firedrill \(arguments[0]): \(meaning)")
    }

    /// The first 8 KiB of the command's output.
    static func head(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.read(upToCount: 8192)) ?? Data(), as: UTF8.self)
    }
}
