import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends the service's own record of what happened, one JSON object per line.
///
/// Each line is a single write(2) on an O_APPEND descriptor: once the call returns the line is in
/// the page cache, so it survives SIGKILL of this process without an fsync, and lines from several
/// processes sharing the file never interleave.
final class TruthLog: Sendable {
    /// A value of an extra field on a line.
    enum Value: Sendable {
        case int(Int)
        case uint(UInt64)
        case string(String)
        case null
    }

    static let disabled = TruthLog(fd: -1, path: "")

    let path: String
    private let fd: Int32
    private let pid = getpid()

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Opens `path` for appending, or returns the disabled log when no path was given.
    static func appending(to path: String?) throws -> TruthLog {
        guard let path else { return .disabled }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try DurableFile.makeDirectory(directory) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SampleServiceError.posix("open truth log \(path)") }
        return TruthLog(fd: fd, path: path)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Writes `{"event": ..., "pid": ..., "mono_ns": ..., "wall_ns": ..., <fields>}`.
    func record(_ event: String, _ fields: KeyValuePairs<String, Value> = [:]) {
        guard fd >= 0 else { return }
        let mono = SystemClock.monotonicNs()
        let wall = SystemClock.realtimeNs()
        var line = "{\"event\":\(Self.quoted(event)),\"pid\":\(pid),\"mono_ns\":\(mono),\"wall_ns\":\(wall)"
        for (key, value) in fields {
            line += ",\(Self.quoted(key)):"
            switch value {
            case .int(let number): line += String(number)
            case .uint(let number): line += String(number)
            case .string(let text): line += Self.quoted(text)
            case .null: line += "null"
            }
        }
        line += "}\n"
        // Losing a truth line must not take the service down; the analysis reports what it has.
        try? DurableFile.writeAll(fd, Array(line.utf8), path: path)
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
