import FiredrillRuntime

/// The two roles a shared record is used with, as GRANT statements (docs/POSTGRESQL.md): a
/// runner, which drives drills (it adds events and keeps the projections beside them, and may
/// change no event), and an auditor, which reads. Both are tested against a real server.
/// Access tokens are written by the owner alone (`firedrill token`).
public enum PostgresGrants {
    /// Append-only tables: read and add, never change. The triggers refuse UPDATE and DELETE too.
    static let appendOnly = ["events", "signed_heads"]
    /// Projections the runner keeps in step with the events, and the rows it owns.
    static let projections = ["runs", "chain_heads", "attempts", "probe_samples", "canary_writes", "measurements"]
    /// Replaced as a whole when a run ends.
    static let replaced = ["marks"]
    /// Queues and working rows that are taken away once used.
    static let consumed = ["leases", "inbox", "step_processes"]
    static let actionItems = ["action_items"]
    static let sequences = ["inbox_id_seq", "action_items_id_seq", "signed_heads_id_seq"]
    static var every: [String] { appendOnly + projections + replaced + consumed + actionItems + ["firedrill_migrations"] }
    /// `firedrill serve` looks a token up by its hash as the runner; an auditor may see who holds
    /// tokens, not their hashes.
    static let accessTokens = "access_tokens"
    static let tokenListing = "id, " + AccessToken.columns

    /// Statements that make `runner` and `auditor` (existing roles) what they are on `database`'s record.
    public static func statements(runner: String?, auditor: String?, database: String) -> [String] {
        func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines: [String] = []
        if let runner {
            let role = quoted(runner)
            lines += [
                "GRANT CONNECT ON DATABASE \(quoted(database)) TO \(role);",
                "GRANT USAGE ON SCHEMA public TO \(role);",
                "GRANT SELECT ON firedrill_migrations TO \(role);",
                "GRANT SELECT, INSERT ON \(appendOnly.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT, INSERT, UPDATE ON \(projections.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT, INSERT, DELETE ON \(replaced.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON \(consumed.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT, INSERT, UPDATE ON \(actionItems.joined(separator: ", ")) TO \(role);",
                "GRANT USAGE ON SEQUENCE \(sequences.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT ON \(accessTokens) TO \(role);",
            ]
        }
        if let auditor {
            let role = quoted(auditor)
            lines += [
                "GRANT CONNECT ON DATABASE \(quoted(database)) TO \(role);",
                "GRANT USAGE ON SCHEMA public TO \(role);",
                "GRANT SELECT ON \(every.joined(separator: ", ")) TO \(role);",
                "GRANT SELECT (\(tokenListing)) ON \(accessTokens) TO \(role);",
            ]
        }
        return lines
    }
}
