import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The database file, its WAL and its shared-memory index as first seen, by device and inode.
/// SQLite goes on writing to a file that was unlinked (or renamed away) under it, and reports
/// success: the run would carry on into a record that no longer exists. A removed `-shm` is as
/// bad: the next process makes a new one, and the two then overwrite each other's commits.
/// Compared after every commit.
final class FileIdentity: @unchecked Sendable {
    let path: String
    let database: (dev: UInt64, ino: UInt64)
    /// Learnt once each exists: SQLite keeps both while this process has the database open.
    private var companions: [String: (dev: UInt64, ino: UInt64)] = [:]
    private let lock = NSLock()
    static let suffixes = ["-wal", "-shm"]

    init(path: String) throws(StoreError) {
        self.path = path
        guard let identity = Self.identity(of: path) else {
            throw StoreError(description: "database \(path) is not there after opening it")
        }
        database = identity
        for suffix in Self.suffixes { companions[suffix] = Self.identity(of: path + suffix) }  // nil ones are not stored
    }

    static func identity(of path: String) -> (dev: UInt64, ino: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Throws when the path no longer names the file this store writes.
    func check() throws(StoreError) {
        guard let now = Self.identity(of: path) else {
            throw StoreError(description: "database \(path) was removed or moved away while in use: what was written since did not go to \(path)")
        }
        guard now == database else {
            throw StoreError(description: "database \(path) was replaced by another file while in use: what was written since went to the old one")
        }
        lock.lock()
        defer { lock.unlock() }
        for suffix in Self.suffixes {
            let current = Self.identity(of: path + suffix)
            guard let known = companions[suffix] else {
                companions[suffix] = current
                continue
            }
            let what = suffix == "-wal" ? "its WAL file" : "its shared-memory index"
            guard let current else {
                throw StoreError(description: "database \(path): \(what) \(path)\(suffix) was removed while in use, so commits from here on can be lost")
            }
            guard current == known else {
                throw StoreError(description: "database \(path): \(what) \(path)\(suffix) was replaced while in use, so commits from here on can be lost")
            }
        }
    }
}
