import FiredrillRuntime
import Foundation

/// Where a PostgreSQL record is, read from `postgres://USER[:PASSWORD]@HOST[:PORT]/DB?sslmode=...`
/// as libpq reads it: `host=/dir` in the query for a Unix socket, the password from the URL,
/// then `PGPASSWORD`, then `PGPASSFILE` (or ~/.pgpass). The password is kept apart from every
/// text shown to people (`masked`).
public struct PostgresLocation: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// A host name or address; or, when it starts with `/`, the folder of the server's Unix socket.
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCert: String?
    public var connectTimeoutSeconds: Double

    /// Whether `text` names a PostgreSQL record rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The URL with any password shown as `***`, for an error about a URL that did not parse.
    public static func masked(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<scheme.upperBound]) + authority[..<colon] + ":***" + text[at...]
    }

    /// The URL as shown to people: every part but the password.
    public var masked: String { text(password: password == nil ? "" : ":***") }

    /// The URL with no password at all, for a command line written out (crontab, a unit file):
    /// the password then comes from PGPASSWORD or PGPASSFILE where it runs.
    public var withoutPassword: String { text(password: "") }

    func text(password shown: String) -> String {
        var text = "postgres://\(user)\(shown)@"
        var query: [String] = []
        if host.hasPrefix("/") { query.append("host=\(host)") } else { text += host.contains(":") ? "[\(host)]" : host }
        text += ":\(port)/\(database)"
        query.append("sslmode=\(sslMode.rawValue)")
        if let sslRootCert { query.append("sslrootcert=\(sslRootCert)") }
        return text + "?" + query.joined(separator: "&")
    }

    /// `environment` gives PGPASSWORD, PGPASSFILE, PGUSER, PGSSLMODE and HOME as libpq takes them,
    /// and FIREDRILL_DB_CONNECT_TIMEOUT_S (default 5 s).
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) {
        func refuse(_ why: String) -> StoreError {
            StoreError(description: "the database URL \(Self.masked(text)) cannot be used: \(why) (expected postgres://USER@HOST:PORT/DATABASE?sslmode=MODE)")
        }
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw refuse("it is not a URL")
        }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw refuse("the option '\(item.name)' has no value") }
            options[item.name] = value
        }
        let known: Set = ["sslmode", "sslrootcert", "host", "port", "user", "password", "dbname", "connect_timeout", "application_name"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw refuse("the option '\(unknown)' is not one Firedrill reads (sslmode, sslrootcert, host, port, connect_timeout)")
        }
        user = options["user"] ?? components.user.flatMap { $0.removingPercentEncoding ?? $0 }
            ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        guard !user.isEmpty else { throw refuse("it names no user") }
        host = options["host"] ?? components.host ?? "127.0.0.1"
        if host.isEmpty { host = "127.0.0.1" }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let portText = options["port"] {
            guard let value = Int(portText), (1...65535).contains(value) else { throw refuse("the port '\(portText)' is not a number from 1 to 65535") }
            port = value
        } else {
            port = components.port ?? 5432
            guard (1...65535).contains(port) else { throw refuse("the port \(port) is not from 1 to 65535") }
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = options["dbname"] ?? (path.removingPercentEncoding ?? path)
        if database.isEmpty { database = user }
        guard !database.contains("/") else { throw refuse("the database name '\(database)' holds a '/'") }
        let modeText = options["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw refuse("sslmode '\(modeText)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        sslMode = mode
        sslRootCert = options["sslrootcert"] ?? environment["PGSSLROOTCERT"]
        if mode == .verifyCA || mode == .verifyFull, sslRootCert == nil {
            throw refuse("sslmode \(mode.rawValue) needs sslrootcert=FILE, the CA that signed the server's certificate")
        }
        let timeoutText = options["connect_timeout"] ?? environment["FIREDRILL_DB_CONNECT_TIMEOUT_S"] ?? "5"
        guard let timeout = Double(timeoutText), timeout > 0, timeout <= 3600 else {
            throw refuse("connect_timeout '\(timeoutText)' is not a number of seconds from 0 to 3600")
        }
        connectTimeoutSeconds = timeout
        if let given = options["password"] ?? components.password {
            password = given.removingPercentEncoding ?? given
        } else if let fromEnvironment = environment["PGPASSWORD"] {
            password = fromEnvironment
        } else {
            password = nil
            let passfile = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
            if let passfile {
                password = try Self.password(inPassfile: passfile, explicit: environment["PGPASSFILE"] != nil, host: host, port: port,
                                             database: database, user: user)
            }
        }
    }

    /// The first `hostname:port:database:username:password` line of a passfile that matches,
    /// `*` matching anything and `\` escaping `:` and itself, as libpq reads it. A passfile
    /// others may read is ignored, as libpq ignores it (said when it was named explicitly).
    static func password(inPassfile path: String, explicit: Bool, host: String, port: Int, database: String,
                         user: String) throws(StoreError) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if explicit { throw StoreError(description: "PGPASSFILE \(path) cannot be read: \(String(cString: strerror(errno)))") }
            return nil
        }
        if info.st_mode & 0o077 != 0 {
            if explicit { throw StoreError(description: "PGPASSFILE \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): make it 0600") }
            return nil
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let localHost = host.hasPrefix("/") ? "localhost" : host
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped { fields[fields.count - 1].append(character); escaped = false } else if character == "\\" { escaped = true } else if character == ":" && fields.count < 5 { fields.append("") } else { fields[fields.count - 1].append(character) }
            }
            guard fields.count == 5 else { continue }
            let wanted = [localHost, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }
}
