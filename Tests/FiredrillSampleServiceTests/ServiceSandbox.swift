import FiredrillRuntime
import FiredrillSampleService
import FiredrillTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary directory holding one service's data, backups, truth log and pidfile, and the ways
/// tests drive the real `firedrill-sample-service` executable against it.
struct ServiceSandbox {
    let root: String
    let data: String
    let backups: String
    let log: String
    let pidfile: String
    let output: String

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("firedrill-sample-service-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        data = root + "/data"
        backups = root + "/backups"
        log = root + "/truth.jsonl"
        pidfile = root + "/service.pid"
        output = root + "/serve.out"
    }

    static func executable() throws -> String {
        guard let path = BuiltProducts.path(of: "firedrill-sample-service") else {
            throw HarnessError("firedrill-sample-service was not built next to the test binary")
        }
        return path
    }

    /// Removes the directory, first killing a daemon its pidfile still names.
    func tearDown() {
        if let text = try? String(contentsOfFile: pidfile, encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The options `serve` and `start` share, pointing into this sandbox.
    func serviceArguments(port: Int, backupEvery: String = "2s", heartbeat: String = "10ms") -> [String] {
        [
            "--port", String(port), "--data", data, "--backups", backups,
            "--backup-every", backupEvery, "--heartbeat", heartbeat, "--log", log, "--pidfile", pidfile,
        ]
    }

    /// Launches `serve` in the foreground on a free port and returns it with the port it bound.
    func serve(backupEvery: String = "2s", heartbeat: String = "10ms") async throws -> (SpawnedProcess, Int) {
        let process = try SpawnedProcess.launch(
            try Self.executable(),
            ["serve"] + serviceArguments(port: 0, backupEvery: backupEvery, heartbeat: heartbeat),
            output: .file(output)
        )
        return (process, try await port(of: process.pid))
    }

    /// The port `pid` logged as `listening`, once it has.
    func port(of pid: pid_t) async throws -> Int {
        var port: Int?
        try await eventually("pid \(pid) to log `listening`") {
            port = try events().first { $0.event == "listening" && $0.pid == pid }?.port
            return port != nil
        }
        return port!
    }

    /// Runs a subcommand to completion.
    func run(_ arguments: [String]) async throws -> (code: Int32, output: String) {
        try await SpawnedProcess.run(try Self.executable(), arguments)
    }

    func events() throws -> [TruthEvent] {
        guard let contents = FileManager.default.contents(atPath: log) else { return [] }
        var lines = String(decoding: contents, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        // The last element is empty after a complete line, or a line still being appended: skip either.
        lines.removeLast()
        return try lines.map { try TruthEvent(line: $0) }
    }

    /// The seqs in the data directory's writes.log, in file order.
    func storedSeqs() throws -> [Int] {
        try Self.seqs(inFile: data + "/writes.log")
    }

    static func seqs(inFile path: String) throws -> [Int] {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw HarnessError("cannot read \(path)")
        }
        return String(decoding: contents, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
    }

    /// A port on 127.0.0.1 that was free a moment ago, below the ephemeral range (LoopbackPort.free).
    static func freePort() throws -> Int { try LoopbackPort.free() }

    /// True while `pid` exists and is not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    static func monotonicNs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    static func http(_ method: String, _ target: String, port: Int) throws -> LoopbackHTTP.Reply {
        try LoopbackHTTP.request(method, target, port: port)
    }
}
