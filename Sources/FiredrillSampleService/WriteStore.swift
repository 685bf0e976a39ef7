import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The service's data: `DIR/writes.log`, one acknowledged seq per line.
///
/// A seq is appended and fsync'd before its write is acknowledged. The file only ever grows while the
/// service runs, so a byte prefix taken under the lock is a consistent snapshot for backups.
final class WriteStore: Sendable {
    static let fileName = "writes.log"

    /// A consistent view of the file for a backup: its first `byteCount` bytes hold seqs up to `maxSeq`.
    struct Snapshot: Sendable {
        let byteCount: Int
        let maxSeq: Int
    }

    private struct State {
        var byteCount: Int
        var maxSeq: Int
    }

    let path: String
    private let fd: Int32
    private let state: Mutex<State>

    /// Opens (creating if needed) `directory/writes.log` and loads the seqs it already holds.
    init(directory: String) throws {
        try DurableFile.makeDirectory(directory)
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SampleServiceError.posix("open \(path)") }
        do {
            let loaded = try Self.load(fd: fd, path: path)
            self.fd = fd
            state = Mutex(State(byteCount: loaded.byteCount, maxSeq: loaded.maxSeq))
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(fd)
    }

    var latest: Int {
        state.withLock { $0.maxSeq }
    }

    func snapshot() -> Snapshot {
        state.withLock { Snapshot(byteCount: $0.byteCount, maxSeq: $0.maxSeq) }
    }

    /// Appends `seq`, makes it durable, then records the `write` truth line; only after this returns
    /// may the write be acknowledged. The lock keeps file order, truth order and ack order the same.
    func append(_ seq: Int, truth: TruthLog) throws {
        try state.withLock { state in
            let line = Array("\(seq)\n".utf8)
            try DurableFile.writeAll(fd, line, path: path)
            try DurableFile.sync(fd, path: path)
            state.byteCount += line.count
            state.maxSeq = max(state.maxSeq, seq)
            truth.record("write", ["seq": .int(seq)])
        }
    }

    /// Reads the first `byteCount` bytes, which later appends never change.
    func read(_ snapshot: Snapshot) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: snapshot.byteCount)
        var done = 0
        while done < snapshot.byteCount {
            let result = bytes.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, raw.count - done, off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw SampleServiceError.posix("read \(path)")
            }
            if result == 0 { throw SampleServiceError("\(path) shrank while being backed up") }
            done += result
        }
        return bytes
    }

    /// The highest seq in the text of a writes.log (0 when empty).
    static func maxSeq(in bytes: some Sequence<UInt8>) -> Int {
        var highest = 0
        var current: Int?
        for byte in bytes {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                current = (current ?? 0) &* 10 &+ Int(byte - UInt8(ascii: "0"))
            } else {
                if let value = current { highest = max(highest, value) }
                current = nil
            }
        }
        if let value = current { highest = max(highest, value) }
        return highest
    }

    /// Loads the file, cutting off a torn last line: a crash mid-append leaves a line that was never
    /// acknowledged, and the next append must start on a fresh line.
    private static func load(fd: Int32, path: String) throws -> Snapshot {
        var bytes = try DurableFile.read(path)
        if let last = bytes.last, last != UInt8(ascii: "\n") {
            let keep = (bytes.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
            guard ftruncate(fd, off_t(keep)) == 0 else { throw SampleServiceError.posix("truncate \(path)") }
            try DurableFile.sync(fd, path: path)
            bytes.removeSubrange(keep...)
        }
        return Snapshot(byteCount: bytes.count, maxSeq: maxSeq(in: bytes))
    }
}
