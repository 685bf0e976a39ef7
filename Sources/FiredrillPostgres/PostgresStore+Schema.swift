import FiredrillRuntime
import Foundation

extension PostgresStore {
    /// Forward-only, in order; an applied one is never edited. Named in `firedrill_migrations`.
    static let migrations: [(identifier: String, sql: String)] = [
        ("pg-v1-record", """
            CREATE TABLE runs (
                id text PRIMARY KEY,
                scenario text NOT NULL,
                title text,
                scenario_path text NOT NULL,
                scenario_text text NOT NULL,
                scenario_sha256 text NOT NULL,
                status text NOT NULL,
                started_wall_ns bigint NOT NULL,
                started_mono_ns bigint NOT NULL,
                boot_id text NOT NULL,
                ended_wall_ns bigint,
                rto_seconds double precision,
                rpo_seconds double precision,
                objectives_met boolean,
                vars_json text NOT NULL DEFAULT '{}'
            );
            CREATE INDEX runs_by_scenario ON runs (scenario, started_wall_ns DESC, id DESC);
            CREATE INDEX runs_newest ON runs (started_wall_ns DESC, id DESC);
            -- Who drives a run: renewed by its runner's heartbeat, by the server's clock, so hosts'
            -- clocks need not agree. A lease past expires_at may be taken over from any host.
            CREATE TABLE leases (
                run_id text PRIMARY KEY REFERENCES runs (id),
                pid bigint NOT NULL,
                host text NOT NULL,
                since_wall_ns bigint NOT NULL,
                token text NOT NULL,
                renewed_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL
            );
            CREATE TABLE events (
                run_id text NOT NULL REFERENCES runs (id),
                seq bigint NOT NULL,
                type text NOT NULL,
                at_ns bigint NOT NULL,
                mono_ns bigint NOT NULL,
                wall_ns bigint NOT NULL,
                payload text NOT NULL,
                prev_hash text NOT NULL,
                hash text NOT NULL,
                PRIMARY KEY (run_id, seq)
            );
            CREATE TABLE chain_heads (
                run_id text PRIMARY KEY REFERENCES runs (id),
                head_hash text NOT NULL,
                event_count bigint NOT NULL
            );
            CREATE TABLE attempts (
                run_id text NOT NULL REFERENCES runs (id),
                ref text NOT NULL,
                attempt bigint NOT NULL,
                action text,
                started_ns bigint NOT NULL,
                ended_ns bigint,
                verdict text,
                summary text,
                exit_status bigint,
                http_status bigint,
                stdout text,
                stdout_bytes bigint,
                stderr text,
                stderr_bytes bigint,
                PRIMARY KEY (run_id, ref, attempt)
            );
            CREATE TABLE probe_samples (
                run_id text NOT NULL REFERENCES runs (id),
                ref text NOT NULL,
                attempt bigint NOT NULL,
                sample bigint NOT NULL,
                started_ns bigint NOT NULL,
                latency_ns bigint NOT NULL,
                passed boolean NOT NULL,
                summary text NOT NULL,
                PRIMARY KEY (run_id, ref, attempt, sample)
            );
            CREATE TABLE canary_writes (
                run_id text NOT NULL REFERENCES runs (id),
                seq bigint NOT NULL,
                started_ns bigint NOT NULL,
                ended_ns bigint NOT NULL,
                acknowledged boolean NOT NULL,
                summary text NOT NULL,
                PRIMARY KEY (run_id, seq)
            );
            CREATE TABLE marks (
                run_id text NOT NULL REFERENCES runs (id),
                name text NOT NULL,
                at_ns bigint NOT NULL,
                lower_ns bigint NOT NULL,
                upper_ns bigint NOT NULL,
                ref text NOT NULL,
                probe_interval_ns bigint,
                PRIMARY KEY (run_id, name)
            );
            CREATE TABLE measurements (
                run_id text PRIMARY KEY REFERENCES runs (id),
                json text NOT NULL
            );
            CREATE TABLE inbox (
                id bigserial PRIMARY KEY,
                run_id text NOT NULL REFERENCES runs (id),
                payload text NOT NULL
            );
            CREATE TABLE action_items (
                id bigserial PRIMARY KEY,
                run_id text NOT NULL REFERENCES runs (id),
                scenario text NOT NULL,
                title text NOT NULL,
                owner text NOT NULL,
                due text NOT NULL,
                created_wall_ns bigint NOT NULL,
                closed_wall_ns bigint,
                close_note text
            );
            CREATE INDEX action_items_scenario ON action_items (scenario, id);
            CREATE TABLE signed_heads (
                id bigserial PRIMARY KEY,
                run_id text NOT NULL,
                event_count bigint NOT NULL,
                head_hash text NOT NULL,
                previous_digest text NOT NULL,
                public_key text NOT NULL,
                signature text NOT NULL,
                signed_wall_ns bigint NOT NULL,
                imported boolean NOT NULL DEFAULT false
            );
            CREATE TABLE step_processes (
                run_id text NOT NULL REFERENCES runs (id),
                activity text NOT NULL,
                pid bigint NOT NULL,
                start_ticks bigint NOT NULL,
                host text NOT NULL,
                boot_id text NOT NULL,
                cgroup text,
                PRIMARY KEY (run_id, activity, pid)
            );
            -- The log and the signed heads are append-only, whoever connects: the owner's role
            -- too, which GRANTs alone would not stop.
            CREATE FUNCTION firedrill_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END $$;
            CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
                FOR EACH ROW EXECUTE FUNCTION firedrill_append_only();
            CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
                FOR EACH STATEMENT EXECUTE FUNCTION firedrill_append_only();
            CREATE TRIGGER signed_heads_append_only BEFORE UPDATE OR DELETE ON signed_heads
                FOR EACH ROW EXECUTE FUNCTION firedrill_append_only();
            CREATE TRIGGER signed_heads_no_truncate BEFORE TRUNCATE ON signed_heads
                FOR EACH STATEMENT EXECUTE FUNCTION firedrill_append_only();
            """),
        // A run's first and end events, so `history` reads two events of a run, not all.
        ("pg-v2-bookends", "CREATE INDEX events_bookends ON events (run_id, seq) WHERE \(Bookend.condition);"),
        // `firedrill serve`'s tokens, by their secret's hash; one live token per name.
        ("pg-v3-access-tokens", """
            CREATE TABLE access_tokens (
                id bigserial PRIMARY KEY,
                name text NOT NULL,
                role text NOT NULL,
                token_sha256 text NOT NULL UNIQUE,
                created_wall_ns bigint NOT NULL,
                revoked_wall_ns bigint
            );
            CREATE UNIQUE INDEX access_tokens_live_name ON access_tokens (name) WHERE revoked_wall_ns IS NULL;
            """),
    ]

    /// Every migration this Firedrill knows, in the order they apply.
    public static var migrationIdentifiers: [String] { migrations.map(\.identifier) }

    /// The migrations applied here, in order.
    public func appliedMigrations() throws -> [String] {
        try read { session in
            guard try session.query("SELECT to_regclass('firedrill_migrations') IS NOT NULL")[0].required(0, Bool.self) else { return [] }
            return try session.query("SELECT identifier FROM firedrill_migrations ORDER BY applied_at, identifier").map { try $0.required(0) }
        }
    }

    /// Applies what is missing in one transaction, under an advisory lock so runners starting
    /// together migrate once. A database with migrations this Firedrill does not know is
    /// refused; a role that may not create tables is told who may. Returns what it applied.
    @discardableResult
    func migrate() throws -> [String] {
        let applied = try appliedMigrations()
        let known = Self.migrationIdentifiers
        let unknown = Set(applied).subtracting(known)
        guard unknown.isEmpty else {
            throw StoreError(description: "database \(location) was written by a newer Firedrill (its schema has migrations this \(Firedrill.version) does not know: \(unknown.sorted().joined(separator: ", "))); use that version, or another --db")
        }
        guard known.contains(where: { !applied.contains($0) }) else { return [] }
        do {
            return try transaction { session in
                try session.query("SELECT pg_advisory_xact_lock(7415001200)")
                try session.query("CREATE TABLE IF NOT EXISTS firedrill_migrations (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())")
                let done = Set(try session.query("SELECT identifier FROM firedrill_migrations").map { try $0.required(0, String.self) })
                var now: [String] = []
                for migration in Self.migrations where !done.contains(migration.identifier) {
                    try session.script(migration.sql)
                    try session.query("INSERT INTO firedrill_migrations (identifier) VALUES ($1)", [.text(migration.identifier)])
                    now.append(migration.identifier)
                }
                return now
            }
        } catch let error as StoreError where error.description.contains("lacks a privilege") {
            throw StoreError(description: "database \(location) has \(applied.isEmpty ? "no Firedrill schema yet" : "an older Firedrill schema") and role '\(url.user)' may not change it: run `firedrill db migrate` as the database's owner (docs/POSTGRESQL.md)")
        }
    }
}
