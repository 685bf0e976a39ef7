import FiredrillRuntime
import PostgresNIO

extension PostgresStore {
    public func createToken(name: String, role: AccessRole, hash: String, wallNs: Int64) throws -> AccessToken {
        try AccessToken.checkNew(name: name, hash: hash)
        return try transaction { session in
            // Either unique index (a live name, a hash) turns the row away without an error, so
            // two admins creating one name at once get one token and one refusal in words.
            let inserted = try session.query("""
                INSERT INTO access_tokens (name, role, token_sha256, created_wall_ns) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id
                """, [.text(name), .text(role.rawValue), .text(hash), .int(wallNs)])
            guard !inserted.isEmpty else {
                let live = try session.query("SELECT EXISTS (SELECT 1 FROM access_tokens WHERE name = $1 AND revoked_wall_ns IS NULL)",
                                             [.text(name)])[0].required(0, Bool.self)
                throw AccessToken.taken(name: name, liveNameExists: live)
            }
            return AccessToken(name: name, role: role, createdWallNs: wallNs)
        }
    }

    public func tokens() throws -> [AccessToken] {
        try read { session in try session.query("SELECT \(AccessToken.columns) FROM access_tokens ORDER BY id").map(Self.accessToken) }
    }

    public func revokeToken(name: String, wallNs: Int64) throws -> Bool {
        try transaction { session in
            try session.changed("UPDATE access_tokens SET revoked_wall_ns = $1 WHERE name = $2 AND revoked_wall_ns IS NULL",
                                [.int(wallNs), .text(name)]) > 0
        }
    }

    public func token(hash: String) throws -> AccessToken? {
        try read { session in
            try session.query("SELECT \(AccessToken.columns) FROM access_tokens WHERE token_sha256 = $1 AND revoked_wall_ns IS NULL",
                              [.text(hash)]).first.map(Self.accessToken)
        }
    }

    static func accessToken(_ row: PostgresRow) throws -> AccessToken {
        let name: String = try row.required(0)
        return AccessToken(name: name, role: try AccessToken.role(try row.required(1), of: name), createdWallNs: try row.required(2),
                           revokedWallNs: try row.value(3))
    }
}
