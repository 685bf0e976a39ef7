import FiredrillCore
import FiredrillRuntime
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The PostgreSQL record: the same rows, chain and rules as `SQLiteStore`, for runners on many
/// hosts. One connection, one transaction at a time; `synchronous_commit = on` for the session,
/// so an event is acknowledged only once the server has flushed its commit. The store's
/// contract is synchronous: every call waits on a NIO future, never on a Swift task, so a
/// caller on the cooperative pool cannot starve the work it waits for.
public final class PostgresStore: DrillStore, @unchecked Sendable {
    public let location: String
    public let url: PostgresLocation
    let connection: PostgresConnection
    let logger: Logger
    /// One transaction at a time on the connection; the lease keeper takes it too.
    let lock = NIOLock()
    /// Set when the connection was lost: every later call fails with it, since what was in
    /// flight when it broke is in doubt.
    var broken: StoreError?
    /// The leases this process holds, renewed by `keeper` and checked by every append.
    let leases = NIOLockedValueBox<[String: RunnerLease]>([:])
    let leaseTTL: Double
    /// Each run's head as this store last committed it, to link the next events from.
    let heads = NIOLockedValueBox<[String: (String, Int)]>([:])
    var keeper: DispatchSourceTimer?

    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) {
        url = try PostgresLocation(url: text, environment: environment)
        location = url.masked
        var logger = Logger(label: "firedrill.postgres")
        logger.logLevel = .critical
        self.logger = logger
        leaseTTL = environment["FIREDRILL_LEASE_TTL_S"].flatMap(Double.init).map { max(1, min($0, 3600)) } ?? 30
        connection = try Self.connect(url, logger: logger)
        do {
            try Self.prepareSession(connection, logger: logger)
            try migrate()
        } catch {
            _ = try? connection.close().wait()
            throw Self.describe(error, location: location, url: url)
        }
    }

    deinit {
        keeper?.cancel()
        _ = try? connection.close().wait()
    }

    static func connect(_ url: PostgresLocation, logger: Logger) throws(StoreError) -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        do {
            if url.host.hasPrefix("/") {
                configuration = .init(unixSocketPath: "\(url.host)/.s.PGSQL.\(url.port)", username: url.user, password: url.password,
                                      database: url.database)
            } else {
                configuration = .init(host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                                      tls: try tls(url))
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(description: "database \(url.masked): the TLS settings cannot be used: \(error)")
        }
        configuration.options.connectTimeout = .milliseconds(Int64(url.connectTimeoutSeconds * 1000))
        configuration.options.requireBackendKeyData = false
        do {
            return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1,
                                                  logger: logger).wait()
        } catch {
            throw describe(error, location: url.masked, url: url)
        }
    }

    /// sslmode as libpq means it: `require` encrypts without checking whose certificate it is
    /// (unless a root certificate is given, as libpq does); `verify-ca` checks the chain;
    /// `verify-full` the chain and the host name.
    static func tls(_ url: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let root = url.sslRootCert {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw StoreError(description: "database \(url.masked): sslrootcert \(root) cannot be read")
            }
            configuration.trustRoots = .file(root)
        }
        switch url.sslMode {
        case .disable: return .disable
        case .allow, .prefer:
            configuration.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: configuration))
        case .require:
            configuration.certificateVerification = url.sslRootCert == nil ? .none : .noHostnameVerification
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    static func prepareSession(_ connection: PostgresConnection, logger: Logger) throws {
        // Durable means committed and flushed, whatever the server's default says.
        for statement in ["SET synchronous_commit = on", "SET application_name = 'firedrill'", "SET TIME ZONE 'UTC'",
                          "SET client_min_messages = warning"] {
            _ = try run(PostgresQuery(unsafeSQL: statement), on: connection, logger: logger)
        }
    }

    /// A statement on a connection that has closed: postgres-nio would have dropped it unanswered.
    struct ConnectionClosed: Error {}

    /// One statement on `connection`, its result. postgres-nio drops a query written to a channel
    /// that has closed (its pipeline is gone) without ever failing it, so once the server had ended
    /// the connection (a killed postmaster's backends say FATAL and go) the store's next statement
    /// waited forever, and the run with it. Checked on the connection's event loop, where the close
    /// is handled, so it cannot close between the check and the write.
    static func run(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) throws -> PostgresQueryResult {
        try send(query, on: connection, logger: logger).wait()
    }

    /// `run`, not waited for (a pipelined statement).
    static func send(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) -> EventLoopFuture<PostgresQueryResult> {
        connection.eventLoop.flatSubmit {
            connection.isClosed ? connection.eventLoop.makeFailedFuture(ConnectionClosed()) : connection.query(query, logger: logger)
        }
    }

    // MARK: - Queries

    /// A value bound to a query.
    enum Value {
        case text(String?)
        case int(Int64?)
        case double(Double?)
        case bool(Bool?)

        static func int(_ value: Int) -> Value { .int(Int64(value)) }
        static func int(_ value: Int32?) -> Value { .int(value.map(Int64.init)) }
        static func int(_ value: Int?) -> Value { .int(value.map(Int64.init)) }
    }

    /// Inside `transaction` (or `read`): one statement on the connection, its rows. A pipelined
    /// session sends each statement without waiting for its answer (their rows are not read), and
    /// `finish` waits for them all: a transaction in one round trip.
    final class Session {
        let store: PostgresStore
        var pipelined: [EventLoopFuture<PostgresQueryResult>]?
        /// Set when statements are gathered to be sent later, not sent.
        var gathered: [(String, [Value])]?

        init(store: PostgresStore, pipelined: Bool = false) {
            self.store = store
            self.pipelined = pipelined ? [] : nil
        }

        /// The statements `body` would run, not run.
        func gather(_ body: (Session) throws -> Void) rethrows -> [(String, [Value])] {
            let saved = gathered
            gathered = []
            defer { gathered = saved }
            try body(self)
            return gathered ?? []
        }

        /// Waits for every statement sent; the first failure is thrown (PostgreSQL aborted the rest).
        func finish() throws {
            guard let sent = pipelined else { return }
            pipelined = []
            var first: (any Error)?
            for future in sent {
                do { _ = try future.wait() } catch { if first == nil { first = error } }
            }
            if let first { throw first }
        }

        @discardableResult
        func query(_ sql: String, _ values: [Value] = []) throws -> [PostgresRow] {
            if gathered != nil {
                gathered!.append((sql, values))
                return []
            }
            var bindings = PostgresBindings(capacity: values.count)
            for value in values {
                switch value {
                case .text(let text): if let text { bindings.append(text) } else { bindings.appendNull() }
                case .int(let int): if let int { bindings.append(int) } else { bindings.appendNull() }
                case .double(let double): if let double { bindings.append(double) } else { bindings.appendNull() }
                case .bool(let bool): if let bool { bindings.append(bool) } else { bindings.appendNull() }
                }
            }
            let future = PostgresStore.send(PostgresQuery(unsafeSQL: sql, binds: bindings), on: store.connection, logger: store.logger)
            if pipelined != nil {
                pipelined!.append(future)
                return []
            }
            return try future.wait().rows
        }

        /// Several statements, one after the other, with nothing bound (a prepared statement holds one).
        func script(_ sql: String) throws {
            for statement in Self.statements(sql) { try query(statement) }
        }

        /// `sql` cut at each `;` that ends a line outside a `$$` body.
        static func statements(_ sql: String) -> [String] {
            var statements: [String] = []
            var current = ""
            var inBody = false
            for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("--") { continue }
                current += line + "\n"
                if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
                if !inBody, trimmed.hasSuffix(";") {
                    statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                    current = ""
                }
            }
            let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !rest.isEmpty { statements.append(rest) }
            return statements
        }

        /// The number of rows an UPDATE or DELETE changed.
        func changed(_ sql: String, _ values: [Value] = []) throws -> Int {
            try query(sql + " RETURNING 1", values).count
        }
    }

    /// `body` in one transaction: committed (and flushed) when it returns, rolled back when it
    /// throws. A broken connection breaks the store for good.
    func transaction<T>(synchronous: Bool = true, _ body: (Session) throws -> T) throws -> T {
        try lock.withLock {
            if let broken { throw broken }
            let session = Session(store: self)
            do {
                try session.query("BEGIN")
                if !synchronous { try session.query("SET LOCAL synchronous_commit = off") }
                let result: T
                do { result = try body(session) } catch {
                    if !connection.isClosed { _ = try? session.query("ROLLBACK") }
                    throw error
                }
                try session.query("COMMIT")
                return result
            } catch let error as LeaseError {
                throw error
            } catch let error as StoreError {
                throw error
            } catch {
                throw failure(error)
            }
        }
    }

    /// `body`'s statements pipelined in one transaction: sent at once, answered together. What
    /// must hold is checked by the statements themselves (they fail, and the whole is rolled back).
    func pipelinedTransaction(single: Bool = false, _ body: (Session) throws -> Void) throws {
        try lock.withLock {
            if let broken { throw broken }
            let session = Session(store: self, pipelined: true)
            do {
                // One statement is a transaction of its own.
                if !single { try session.query("BEGIN") }
                try body(session)
                if !single { try session.query("COMMIT") }
                try session.finish()
            } catch let error as StoreError {
                throw error
            } catch {
                throw failure(error)
            }
        }
    }

    /// `body` in a read-only transaction: one snapshot for every statement it runs.
    func read<T>(_ body: (Session) throws -> T) throws -> T {
        try lock.withLock {
            if let broken { throw broken }
            let session = Session(store: self)
            do {
                try session.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                defer { _ = try? session.query("COMMIT") }
                return try body(session)
            } catch let error as StoreError {
                throw error
            } catch {
                throw failure(error)
            }
        }
    }

    /// An error said in words; a lost connection also breaks the store.
    func failure(_ error: any Error) -> StoreError {
        let described = Self.describe(error, location: location, url: url)
        if error is ConnectionClosed {
            broken = described
        } else if let psql = error as? PSQLError, [.serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection].contains(psql.code) {
            broken = described
        } else if connection.isClosed {
            broken = described
        }
        return described
    }

    /// PostgreSQL's failures in words, the password never among them.
    static func describe(_ error: any Error, location: String, url: PostgresLocation) -> StoreError {
        if let error = error as? StoreError { return error }
        let target = url.host.hasPrefix("/") ? "the socket in \(url.host), port \(url.port)" : "\(url.host):\(url.port)"
        var said: String
        let lost = "the connection to the server at \(target) was lost (the server stopped or the network failed); what was being written is in doubt: carry the run on with `firedrill resume` once the database is back"
        if error is ConnectionClosed {
            said = lost
        } else if let psql = error as? PSQLError {
            let state = psql.serverInfo?[.sqlState]
            let message = psql.serverInfo?[.message] ?? ""
            switch (psql.code, state) {
            case (.server, "28P01"), (.server, "28000"):
                said = "the server refused user '\(url.user)': \(message) (check the password: the URL, PGPASSWORD or PGPASSFILE)"
            case (.server, "3D000"):
                said = "there is no database '\(url.database)' on \(target): create it (createdb \(url.database)) or name another"
            case (.server, "42501"):
                said = "the database role '\(url.user)' lacks a privilege this needs: \(message) (see docs/POSTGRESQL.md for the runner and auditor roles' GRANTs)"
            case (.server, "53300"):
                said = "the server has no connection left for Firedrill: \(message)"
            case (.server, "57P01"), (.server, "57P02"):
                // FATAL: the server ended the session (stopped, or its postmaster died).
                said = lost + " (the server said: \(message))"
            case (.server, "57P03"):
                said = "the server is shutting down or starting: \(message)"
            case (.server, let code?):
                said = "\(message) (SQLSTATE \(code))"
            case (.sslUnsupported, _):
                said = "sslmode=\(url.sslMode.rawValue), but the server at \(target) does not offer TLS"
            case (.connectionError, _) where psql.underlying is NIOSSLError:
                said = "TLS with the server at \(target) failed: \(tlsWords(psql.underlying!))"
            case (.connectionError, _):
                said = "no PostgreSQL answers at \(target)\(psql.underlying.map { ": \(connectionWords($0))" } ?? "")"
            case (.serverClosedConnection, _), (.uncleanShutdown, _):
                said = lost
            case (.clientClosedConnection, _):
                // The store closes its connection only when it is done with it: postgres-nio closed it on an error of the server's.
                let words = (psql.underlying as? PSQLError)?.serverInfo?[.message]
                said = lost + (words.map { " (the server said: \($0))" } ?? "")
            case (.failedToAddSSLHandler, _), (.receivedUnencryptedDataAfterSSLRequest, _):
                said = "TLS with the server at \(target) failed: \(psql.underlying.map { "\($0)" } ?? "\(psql.code)")"
            default:
                said = "\(psql.code)\(psql.underlying.map { ": \(connectionWords($0))" } ?? "")"
            }
        } else if let ssl = error as? NIOSSLError {
            said = "TLS with the server at \(target) failed: \(tlsWords(ssl))"
        } else {
            said = connectionWords(error)
        }
        if let password = url.password, !password.isEmpty { said = said.replacingOccurrences(of: password, with: "***") }
        return StoreError(description: "database \(location): \(said)")
    }

    /// A TLS failure as a person would say it, BoringSSL's words after.
    static func tlsWords(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate does not verify against sslrootcert (CERTIFICATE_VERIFY_FAILED)"
        }
        if text.contains("hostname") || text.contains("HOSTNAME") { return "the server's certificate is not for this host name (\(text))" }
        return "the handshake failed (\(text))"
    }

    /// NIO's connection errors as a person would say them.
    static func connectionWords(_ error: any Error) -> String {
        if let connect = error as? NIOConnectionError {
            let errors = connect.connectionErrors.map { "\($0.error)" }
            if errors.contains(where: { $0.contains("refused") || $0.contains("errno: 111") }) { return "connection refused (no server listens there)" }
            if connect.dnsAAAAError != nil || connect.dnsAError != nil, connect.connectionErrors.isEmpty { return "the host name does not resolve" }
            return errors.first ?? "\(connect)"
        }
        let text = "\(error)"
        if text.lowercased().contains("connecttimeout") || text.lowercased().contains("connect timeout") {
            return "no answer within the connect timeout (set connect_timeout=SECONDS in the URL, or FIREDRILL_DB_CONNECT_TIMEOUT_S)"
        }
        if text.contains("connection refused") || text.contains("errno: 111") || text.contains("ECONNREFUSED") { return "connection refused (no server listens there)" }
        if text.contains("errno: 2)") || text.contains("No such file") { return "no server socket there (is PostgreSQL running?)" }
        return text
    }
}

extension PostgresRow {
    /// Column `index` as `T`; a NULL as nil.
    func value<T: PostgresDecodable>(_ index: Int, _ type: T.Type = T.self) throws -> T? {
        let cell = makeRandomAccess()[index]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self, context: .default)
    }

    func required<T: PostgresDecodable>(_ index: Int, _ type: T.Type = T.self) throws -> T {
        try makeRandomAccess()[index].decode(T.self, context: .default)
    }
}
