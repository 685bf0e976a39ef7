import Foundation
import GRDB

/// One forward-only schema step, named in `grdb_migrations` once applied.
struct SchemaMigration {
    var identifier: String
    var body: @Sendable (Database) throws -> Void

    /// Registration in order, in the shape GRDB's migrator has.
    struct List {
        var migrations: [SchemaMigration] = []
        mutating func registerMigration(_ identifier: String, _ body: @escaping @Sendable (Database) throws -> Void) {
            migrations.append(SchemaMigration(identifier: identifier, body: body))
        }
    }
}

extension SQLiteStore {
    /// Every migration this Firedrill knows, in the order they apply.
    public static var migrationIdentifiers: [String] { migrations.map(\.identifier) }

    /// Checks and applies the migrations in one `BEGIN IMMEDIATE` transaction, so processes
    /// opening a new database together migrate it once: the second waits for the first's
    /// write lock (the busy timeout), then finds every migration applied. GRDB's migrator
    /// reads what is applied outside the transaction that applies it, which raced.
    static func migrate(_ pool: DatabasePool, path: String) throws {
        let known = migrations
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
                let unknown = applied.subtracting(known.map(\.identifier))
                if !unknown.isEmpty {
                    throw StoreError(description: "database \(path) was written by a newer Firedrill (its schema has migrations this \(Firedrill.version) does not know: \(unknown.sorted().joined(separator: ", "))); use that version, or another --db")
                }
                for migration in known where !applied.contains(migration.identifier) {
                    try migration.body(db)
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                }
                return .commit
            }
        }
    }
}
