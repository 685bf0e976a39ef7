import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The database file and its WAL as first seen, by device and inode. SQLite goes on writing
/// to a file that was unlinked (or renamed away) under it, and reports success: the run would
/// carry on into a record that no longer exists. Compared after every commit.
final class FileIdentity: @unchecked Sendable {
    let path: String
    let database: (dev: UInt64, ino: UInt64)
    /// Learnt once the WAL exists: SQLite keeps it while this process has the database open.
    private var wal: (dev: UInt64, ino: UInt64)?
    private let lock = NSLock()

    init(path: String) throws(StoreError) {
        self.path = path
        guard let identity = Self.identity(of: path) else {
            throw StoreError(description: "database \(path) is not there after opening it")
        }
        database = identity
        wal = Self.identity(of: path + "-wal")
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
        do {
            let current = Self.identity(of: path + "-wal")
            if let wal {
                guard let current else {
                    throw StoreError(description: "database \(path): its WAL file \(path)-wal was removed while in use, taking the latest events with it")
                }
                guard current == wal else {
                    throw StoreError(description: "database \(path): its WAL file \(path)-wal was replaced while in use")
                }
            } else {
                wal = current
            }
        }
    }
}
