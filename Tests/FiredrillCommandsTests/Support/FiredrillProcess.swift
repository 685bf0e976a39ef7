import FiredrillTestSupport
import Foundation

/// The built `firedrill` executable, run as a real process.
enum FiredrillProcess {
    struct Finished {
        var status: Int32
        /// Ended by a signal (then `status` is its number).
        var signaled: Bool
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    static var path: String {
        guard let path = BuiltProducts.path(of: "firedrill") else { fatalError("firedrill was not built next to the tests") }
        return path
    }

    /// Starts `firedrill ARGS` (or another program) with output going to files, so a killed
    /// process loses nothing. Waiting is async: a test blocking a thread of the cooperative pool
    /// (two on this machine) would starve every other test running beside it.
    final class Running: @unchecked Sendable {
        let process = Process()
        let out: URL
        let err: URL
        private let exited: AsyncStream<Void>

        init(_ arguments: [String], environment: [String: String] = [:], directory: String,
             executable: String = FiredrillProcess.path) throws {
            out = URL(fileURLWithPath: directory).appendingPathComponent("out-\(UUID().uuidString).txt")
            err = URL(fileURLWithPath: directory).appendingPathComponent("err-\(UUID().uuidString).txt")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            for (k, v) in environment { env[k] = v }
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            exited = stream
            process.terminationHandler = { _ in
                continuation.yield()
                continuation.finish()
            }
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        func wait() async -> Finished {
            for await _ in exited {}
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
            return Finished(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                            stdout: stdout, stderr: stderr)
        }
    }

    /// `firedrill ARGS --db DIR/fd.db`, run in DIR.
    static func inFolder(_ arguments: [String], _ dir: String) async throws -> Finished {
        try await run(arguments + ["--db", dir + "/fd.db"], directory: dir)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: String,
                    executable: String = FiredrillProcess.path) async throws -> Finished {
        try await Running(arguments, environment: environment, directory: directory, executable: executable).wait()
    }
}

/// Processes whose command line mentions `text` (a crashed orchestrator's orphaned steps).
func processes(mentioning text: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return cmdline.contains(text) ? pid : nil
    }
}

/// Waits (up to `limit` seconds) until no process mentions `text`, as an operator would check before deciding.
func waitForNoProcesses(mentioning text: String, limit: Double = 10) async {
    let end = Date().addingTimeInterval(limit)
    while !processes(mentioning: text).isEmpty, Date() < end { try? await Task.sleep(for: .milliseconds(20)) }
}

/// Sleeps without holding a thread.
func pause(_ seconds: Double) async {
    try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
}

/// A fresh folder under /tmp, removed by the caller.
func temporaryFolder(_ prefix: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
