import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers: the service's guarantees (acked means on disk, backups are whole
/// or absent) rest on these rather than on Foundation's buffered I/O.
enum DurableFile {
    /// `mkdir -p`, with errors that name the path and the system's reason.
    static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SampleServiceError("cannot create directory \(path): a file is in the way") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw SampleServiceError.posix("cannot create directory \(path)") }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw SampleServiceError.posix("write \(path)")
            }
            written += result
        }
    }

    static func sync(_ fd: Int32, path: String) throws {
        while fsync(fd) != 0 {
            if errno != EINTR { throw SampleServiceError.posix("fsync \(path)") }
        }
    }

    /// Makes a rename or a file creation in `directory` itself durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SampleServiceError.posix("open \(directory)") }
        defer { close(fd) }
        try sync(fd, path: directory)
    }

    /// Replaces `path` with `bytes` so readers see either the old file or the whole new one.
    static func atomicWrite(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        // Dot-prefixed so directory scans for backups never pick up a half-written file.
        let temporary = (directory as NSString).appendingPathComponent(".\(name).\(getpid()).tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SampleServiceError.posix("create \(temporary)") }
        do {
            try writeAll(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SampleServiceError.posix("rename \(temporary) to \(path)", errno: code)
        }
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SampleServiceError("cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// Resolves `path` against the working directory, so a daemon gets paths that do not depend on its cwd.
    static func absolute(_ path: String) -> String {
        let resolved = path.hasPrefix("/")
            ? path
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (resolved as NSString).standardizingPath
    }
}
