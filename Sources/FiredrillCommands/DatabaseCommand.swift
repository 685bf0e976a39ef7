import ArgumentParser
import FiredrillPostgres
import FiredrillRuntime
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Look after the record's schema and its database roles.",
        subcommands: [Migrate.self, Grants.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema migrations this Firedrill knows (forward only), as the database's owner.",
            discussion: "A record is also migrated on first use. One written by a newer Firedrill is refused.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let db = try store.open()
            let applied: [String]
            if let postgres = db as? PostgresStore {
                applied = try postgres.appliedMigrations()
            } else {
                applied = SQLiteStore.migrationIdentifiers
            }
            print("\(store.shown): schema up to date, \(applied.count) migration\(applied.count == 1 ? "" : "s") applied (\(applied.last ?? "none"))")
        }
    }

    struct Grants: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the GRANT statements for a PostgreSQL record's runner and auditor roles.",
            discussion: """
                The runner drives drills: it adds events and signed heads (never changes one) and keeps the projections, \
                leases and inbox. The auditor reads: history, report, verify and export. Create the roles first \
                (CREATE ROLE NAME LOGIN PASSWORD '...'), migrate as the owner, then run these as the owner.
                """)
        @Option(help: "The runner role.") var runner: String?
        @Option(help: "The auditor role.") var auditor: String?
        @Option(help: "The database (default: the one --db names).") var database: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard runner != nil || auditor != nil else { throw CommandFailure.usage("name --runner ROLE, --auditor ROLE, or both") }
            var name = database
            if name == nil, store.isPostgres {
                do { name = try PostgresLocation(url: store.path).database } catch { throw CommandFailure.usage(error.description) }
            }
            guard let name else { throw CommandFailure.usage("--database NAME, or --db postgres://...") }
            for line in PostgresGrants.statements(runner: runner, auditor: auditor, database: name) { print(line) }
        }
    }
}
