import FiredrillPostgres
@testable import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import GRDB
import Testing

extension RunStoreContractTests {
    /// `firedrill serve`'s tokens as both record stores keep them: by hash alone, one live token
    /// per name, revocation seen by the next lookup. Nested here to be serialized with the
    /// contract (PostgreSQL's cases block a thread of the test pool each).
    @Suite struct AccessTokenStoreTests {
        static let stores = StoreFactory.all.filter { $0.name != "InMemoryStore" }
        static let at = StoreFixture.epoch

        func with(_ factory: StoreFactory, _ body: (any DrillStore) throws -> Void) throws {
            let (store, tearDown) = try factory.make()
            defer { tearDown() }
            try body(try #require(store as? any DrillStore))
        }

        /// A token made with a fresh secret; the secret is returned for the lookups.
        @discardableResult
        func create(_ store: any DrillStore, _ name: String, _ role: AccessRole = .viewer, at wallNs: Int64 = at) throws -> (AccessToken, String) {
            let secret = TokenSecret.generate()
            return (try store.createToken(name: name, role: role, hash: TokenSecret.hash(secret), wallNs: wallNs), secret)
        }

        @Test(arguments: stores)
        func aNewTokenIsLiveAndFoundByItsHashAlone(_ factory: StoreFactory) throws {
            try with(factory) { store in
                #expect(try store.tokens().isEmpty)
                let (made, secret) = try create(store, "alice", .operator)
                let expected = AccessToken(name: "alice", role: .operator, createdWallNs: Self.at)
                #expect(made == expected)
                #expect(try store.token(hash: TokenSecret.hash(secret)) == expected)
                #expect(try store.tokens() == [expected])
                // Neither another secret's hash nor the secret itself finds it.
                #expect(try store.token(hash: TokenSecret.hash(TokenSecret.generate())) == nil)
                #expect(try store.token(hash: secret) == nil)
                #expect(try store.token(hash: TokenSecret.hash(secret).uppercased()) == nil)
            }
        }

        @Test(arguments: stores)
        func aLiveNameIsRefusedAndFreeAgainOnceRevoked(_ factory: StoreFactory) throws {
            try with(factory) { store in
                let (_, first) = try create(store, "alice", .admin)
                let refused = #expect(throws: StoreError.self) { try create(store, "alice", .viewer, at: Self.at + 1) }
                #expect(refused?.description.contains("a live token named 'alice' exists already") == true, "\(refused.map(String.init(describing:)) ?? "")")
                #expect(try store.tokens().count == 1, "nothing was stored")
                // Another name is no trouble.
                try create(store, "bob", .viewer, at: Self.at + 2)

                #expect(try store.revokeToken(name: "alice", wallNs: Self.at + 3))
                #expect(try store.token(hash: TokenSecret.hash(first)) == nil, "revoked: the next lookup refuses it")
                #expect(try !store.revokeToken(name: "alice", wallNs: Self.at + 4), "no live token of that name")
                #expect(try !store.revokeToken(name: "nobody", wallNs: Self.at + 4))

                let (again, second) = try create(store, "alice", .viewer, at: Self.at + 5)
                #expect(try store.token(hash: TokenSecret.hash(second)) == again)
                #expect(try store.token(hash: TokenSecret.hash(first)) == nil, "the old secret stays revoked")
                #expect(try store.tokens() == [
                    AccessToken(name: "alice", role: .admin, createdWallNs: Self.at, revokedWallNs: Self.at + 3),
                    AccessToken(name: "bob", role: .viewer, createdWallNs: Self.at + 2),
                    AccessToken(name: "alice", role: .viewer, createdWallNs: Self.at + 5),
                ], "oldest first, live and revoked")
            }
        }

        @Test(arguments: stores)
        func aSecretsHashIsTakenOnceEvenAfterItsTokenIsRevoked(_ factory: StoreFactory) throws {
            try with(factory) { store in
                let hash = TokenSecret.hash(TokenSecret.generate())
                _ = try store.createToken(name: "alice", role: .viewer, hash: hash, wallNs: Self.at)
                _ = try store.revokeToken(name: "alice", wallNs: Self.at + 1)
                let refused = #expect(throws: StoreError.self) { try store.createToken(name: "carol", role: .admin, hash: hash, wallNs: Self.at + 2) }
                #expect(refused?.description.contains("this secret's hash is in the record already") == true)
                #expect(try store.token(hash: hash) == nil, "a revoked secret is not brought back")
            }
        }

        @Test(arguments: stores)
        func everyRoleIsKeptAsGiven(_ factory: StoreFactory) throws {
            try with(factory) { store in
                for (index, role) in AccessRole.allCases.enumerated() {
                    let (_, secret) = try create(store, "holder \(index)", role, at: Self.at + Int64(index))
                    #expect(try store.token(hash: TokenSecret.hash(secret))?.role == role)
                }
                #expect(try store.tokens().map(\.role) == AccessRole.allCases)
            }
        }

        /// What a caller gets wrong is refused before anything is written: a name the commands
        /// would refuse, or the secret passed where its hash belongs.
        @Test(arguments: stores)
        func aBadNameOrAValueThatIsNotAHashIsRefused(_ factory: StoreFactory) throws {
            try with(factory) { store throws in
                let secret = TokenSecret.generate()
                let notHashed = #expect(throws: StoreError.self) { try store.createToken(name: "alice", role: .viewer, hash: secret, wallNs: Self.at) }
                #expect(notHashed?.description.contains("SHA-256") == true)
                for name in ["", "bell\u{07}", String(repeating: "x", count: 65)] {
                    #expect(throws: StoreError.self) { try store.createToken(name: name, role: .viewer, hash: TokenSecret.hash(secret), wallNs: Self.at) }
                }
                #expect(try store.tokens().isEmpty)
            }
        }

        /// The secret is nowhere in the record: SQLite's file, its WAL and shared memory are read
        /// byte by byte, PostgreSQL's table row by row; the hash is found the same way, so the scan sees.
        @Test(arguments: stores)
        func theSecretIsNeverStored(_ factory: StoreFactory) throws {
            try with(factory) { store in
                let (_, secret) = try create(store, "alice", .admin)
                try create(store, "bob", .viewer)
                _ = try store.revokeToken(name: "bob", wallNs: Self.at + 1)
                let stored = try Self.storedText(store)
                #expect(stored.contains(TokenSecret.hash(secret)), "the scan reads what the store wrote")
                #expect(!stored.contains(secret))
                #expect(!stored.contains(String(secret.dropFirst(4))), "nor its random part")
            }
        }

        /// Every byte SQLite keeps (read as Latin-1, so any byte is a character), or every token row PostgreSQL keeps.
        static func storedText(_ store: any DrillStore) throws -> String {
            if let sqlite = store as? SQLiteStore {
                return ["", "-wal", "-shm"].compactMap { FileManager.default.contents(atPath: sqlite.path + $0) }
                    .map { String(decoding: $0.map { UInt16($0) }, as: UTF16.self) }.joined()
            }
            let postgres = try #require(store as? PostgresStore)
            return try #require(TestPostgres.shared).psql("SELECT t::text FROM access_tokens t", database: postgres.url.database)
        }

        /// A role a newer Firedrill might write grants nothing here: the lookup fails, said in words.
        @Test(arguments: stores)
        func aRoleThisFiredrillDoesNotKnowGrantsNothing(_ factory: StoreFactory) throws {
            try with(factory) { store in
                let (_, secret) = try create(store, "alice", .admin)
                let sql = "UPDATE access_tokens SET role = 'superuser'"
                if let sqlite = store as? SQLiteStore {
                    try sqlite.write { try $0.execute(sql: sql) }
                } else {
                    try #require(TestPostgres.shared).psql(sql, database: try #require(store as? PostgresStore).url.database)
                }
                let unknown = #expect(throws: StoreError.self) { try store.token(hash: TokenSecret.hash(secret)) }
                #expect(unknown?.description.contains("token 'alice' has role 'superuser'") == true)
            }
        }
    }
}
