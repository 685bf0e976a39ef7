import Foundation

/// Writes a script a test then runs.
///
/// `String.write(toFile:atomically:)` writes through `mkstemp`, whose descriptor is not
/// close-on-exec: a process another test spawns at that moment inherits it and keeps the
/// script open for writing for its whole life, and running the script then fails with
/// ETXTBSY (exit 126). Written here with `O_CLOEXEC`, a concurrent spawn holds it at most
/// until its own exec.
public enum ExecutableScript {
    public static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            bytes = bytes.dropFirst(written)
        }
        guard fchmod(fd, 0o755) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
    }
}
