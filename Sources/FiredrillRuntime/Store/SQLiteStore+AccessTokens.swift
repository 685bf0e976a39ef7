import GRDB

extension SQLiteStore {
    public func createToken(name: String, role: AccessRole, hash: String, wallNs: Int64) throws -> AccessToken {
        try AccessToken.checkNew(name: name, hash: hash)
        return try write { db in
            // Either unique index (a live name, a hash) turns the row away without an error.
            try db.execute(sql: """
                INSERT INTO access_tokens (name, role, token_sha256, created_wall_ns) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, arguments: [name, role.rawValue, hash, wallNs])
            guard db.changesCount == 1 else {
                let live = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE name = ? AND revoked_wall_ns IS NULL)",
                                             arguments: [name]) ?? false
                throw AccessToken.taken(name: name, liveNameExists: live)
            }
            return AccessToken(name: name, role: role, createdWallNs: wallNs)
        }
    }

    public func tokens() throws -> [AccessToken] {
        try read { db in try Row.fetchAll(db, sql: "SELECT \(AccessToken.columns) FROM access_tokens ORDER BY id").map(Self.accessToken) }
    }

    public func revokeToken(name: String, wallNs: Int64) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE access_tokens SET revoked_wall_ns = ? WHERE name = ? AND revoked_wall_ns IS NULL", arguments: [wallNs, name])
            return db.changesCount > 0
        }
    }

    public func token(hash: String) throws -> AccessToken? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(AccessToken.columns) FROM access_tokens WHERE token_sha256 = ? AND revoked_wall_ns IS NULL",
                             arguments: [hash]).map(Self.accessToken)
        }
    }

    static func accessToken(_ row: Row) throws -> AccessToken {
        let name: String = row["name"]
        return AccessToken(name: name, role: try AccessToken.role(row["role"], of: name), createdWallNs: row["created_wall_ns"],
                           revokedWallNs: row["revoked_wall_ns"])
    }
}
