import FiredrillRuntime
import Foundation

/// A PostgreSQL cluster for tests: the one `.ci/run` started (`FIREDRILL_TEST_POSTGRES`, an admin
/// URL), or one of this process's own made with Debian's `initdb` and `pg_ctl` (as the
/// `postgres` user when root, which initdb requires) on 127.0.0.1 and a free port. Password
/// authentication over TCP (scram-sha-256), trust on its Unix socket. Nil where PostgreSQL is
/// missing: `unavailableReason` says why, and the tests that need it are skipped saying so.
public final class TestPostgres: @unchecked Sendable {
    public let port: Int
    public let host = "127.0.0.1"
    public let adminPassword: String
    /// The data folder and its Unix socket's folder, when this process started the cluster.
    public let dataDirectory: String?
    public let socketDirectory: String?
    let binDirectory: String?

    public static let adminUser = "postgres"

    /// The shared cluster for this test process.
    public static let shared: TestPostgres? = {
        if let url = ProcessInfo.processInfo.environment["FIREDRILL_TEST_POSTGRES"], let found = TestPostgres(adminURL: url) {
            return found
        }
        guard let own = try? TestPostgres.start(durable: false) else { return nil }
        ownShared = own
        // Stopped (and its folder removed) when the test process exits: nothing else would.
        atexit { TestPostgres.ownShared?.stop() }
        return own
    }()

    /// The shared cluster when this process started it.
    nonisolated(unsafe) static var ownShared: TestPostgres?

    public static var unavailableReason: String {
        if ProcessInfo.processInfo.environment["FIREDRILL_TEST_POSTGRES"] != nil {
            return "FIREDRILL_TEST_POSTGRES is not an admin URL with a port (postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres)"
        }
        return binDirectoryFound() == nil ? "PostgreSQL is not installed (no initdb): install Debian's postgresql package, as .ci/run does"
            : "a PostgreSQL cluster of the tests' own did not start (see the log under the temporary directory)"
    }

    /// Whether clusters of the tests' own can be made here (`start()`): PostgreSQL's programs are
    /// installed. Asked without starting the shared cluster, which nothing stops when the tests end.
    public static var canStartClusters: Bool { binDirectoryFound() != nil }

    init?(adminURL: String) {
        guard let components = URLComponents(string: adminURL), let port = components.port else { return nil }
        self.port = port
        adminPassword = components.password ?? ""
        dataDirectory = nil
        socketDirectory = nil
        binDirectory = Self.binDirectoryFound()
    }

    init(port: Int, adminPassword: String, dataDirectory: String, binDirectory: String) {
        self.port = port
        self.adminPassword = adminPassword
        self.dataDirectory = dataDirectory
        socketDirectory = dataDirectory
        self.binDirectory = binDirectory
    }

    static func binDirectoryFound() -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: >) where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        return nil
    }

    /// A cluster of its own. `configure` adds lines to postgresql.conf (TLS, for one) before it
    /// starts. Not `durable`: without fsync, for the many small databases of the shared cluster;
    /// what a flushed commit promises is tested on durable ones.
    public static func start(durable: Bool = true, configure: (String) throws -> [String] = { _ in [] }) throws -> TestPostgres {
        guard let bin = binDirectoryFound() else { throw TestPostgresError(unavailableReason) }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let password = "admin-" + UUID().uuidString.prefix(12).lowercased()
        try (password + "\n").write(toFile: root + "/pw", atomically: true, encoding: .utf8)
        let data = root + "/data"
        if getuid() == 0 { _ = try run("/bin/chown", ["-R", "postgres:postgres", root]) }
        _ = try asPostgres(bin + "/initdb", ["-D", data, "-U", adminUser, "--pwfile=" + root + "/pw", "--auth-host=scram-sha-256",
                                             "--auth-local=trust", "-E", "UTF8", "--no-sync"])
        let extra = try configure(data)
        let port = try LoopbackPort.free()
        var conf = ["listen_addresses = '127.0.0.1'", "port = \(port)", "unix_socket_directories = '\(data)'", "max_connections = 100",
                    "fsync = \(durable ? "on" : "off")", "log_min_messages = warning"]
        conf += extra
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(("\n" + conf.joined(separator: "\n") + "\n").utf8))
        try handle.close()
        if getuid() == 0 { _ = try run("/bin/chown", ["-R", "postgres:postgres", root]) }
        let server = TestPostgres(port: port, adminPassword: password, dataDirectory: data, binDirectory: bin)
        try server.startServer()
        return server
    }

    /// Starts the server and waits until it accepts connections. pg_ctl leaves the postmaster with
    /// every descriptor pg_ctl was given, and Foundation's `Process` learns that a child exited when
    /// the socket it hands the child closes: a postmaster holding that socket kept `waitUntilExit`
    /// waiting for as long as the server ran (the tests hung in `start()`). They are closed first.
    // Off the test pool: initdb, pg_ctl and the wait for a killed server take seconds, and the
    // pool has two threads for every test running beside these.

    /// `start`, on a thread of its own.
    public static func started(configure: @escaping @Sendable (String) throws -> [String] = { _ in [] }) async throws -> TestPostgres {
        try await onOwnThread { Result { try start(configure: configure) } }.get()
    }

    /// `killPostmaster`, on a thread of its own.
    public func killingPostmaster() async throws {
        try await onOwnThread { Result { try self.killPostmaster() } }.get()
    }

    /// `startServer`, on a thread of its own.
    public func restarting() async throws {
        try await onOwnThread { Result { try self.startServer() } }.get()
    }

    public func startServer() throws {
        guard let dataDirectory, let binDirectory else { throw TestPostgresError("this cluster was not started here") }
        let closingInherited = "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done; exec \"$@\""
        _ = try Self.asPostgres("/bin/bash", ["-c", closingInherited, "pg_ctl", binDirectory + "/pg_ctl", "-D", dataDirectory,
                                              "-l", dataDirectory + "/../server.log", "-w", "-t", "60", "start"])
    }

    /// Stops the cluster and removes its folder.
    public func stop() {
        guard let dataDirectory, let binDirectory else { return }
        _ = try? Self.asPostgres(binDirectory + "/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: (dataDirectory as NSString).deletingLastPathComponent)
    }

    /// The postmaster's pid, from its pid file.
    public var postmasterPID: Int32? {
        guard let dataDirectory, let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// SIGKILL to the postmaster, then waits for its backends to notice and go, as a crashed
    /// server's do. Its children are read before the kill: once it is dead they are no longer its
    /// children (`pgrep -P` found none), and it is waited for until it is reaped (`startServer()`
    /// after it failed: "lock file postmaster.pid already exists").
    public func killPostmaster() throws {
        guard let pid = postmasterPID else { throw TestPostgresError("no postmaster running") }
        let children = Self.children(of: pid)
        kill(pid, SIGKILL)
        let give = Date().addingTimeInterval(30)
        while Date() < give {
            // Gone, not a zombie: a new postmaster finds the old pid in postmaster.pid and, while that
            // pid exists (this machine's init reaps orphans only now and then), takes it for a server still running.
            if kill(pid, 0) != 0 && !children.contains(where: Self.isRunning) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestPostgresError("the killed postmaster's processes \(([pid] + children).filter(Self.isRunning)) still run after 30 s")
    }

    /// The processes whose parent is `pid`, from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    /// Whether `pid` runs: neither gone nor a zombie waiting to be reaped.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    /// A URL for `user` on `database` over TCP.
    public func url(user: String = adminUser, password: String? = nil, database: String, options: String = "sslmode=disable") -> String {
        let secret = password ?? (user == Self.adminUser ? adminPassword : nil)
        let encoded = secret.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return "postgres://\(user)\(encoded)@\(host):\(port)/\(database)?\(options)"
    }

    /// A new, empty database of its own.
    public func createDatabase(_ prefix: String = "fd") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        _ = try psql("CREATE DATABASE \(name)", database: "postgres")
        return name
    }

    public func dropDatabase(_ name: String) {
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", database: "postgres")
    }

    /// Runs SQL as the admin over TCP; its output unaligned, tuples only.
    @discardableResult
    public func psql(_ sql: String, database: String, user: String = adminUser, password: String? = nil) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password ?? adminPassword
        return try Self.run("/usr/bin/psql", ["-h", host, "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-X", "-At",
                                              "-c", sql], environment: environment)
    }

    static func asPostgres(_ program: String, _ arguments: [String]) throws -> String {
        getuid() == 0 ? try run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments) : try run(program, arguments)
    }

    /// Runs a program to its end with posix_spawn and waitpid, its output through files: a
    /// server it starts (pg_ctl's postmaster) keeps no pipe of ours open, and no run loop is needed.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-pg-run-\(UUID().uuidString.prefix(8))").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, env)
        guard spawned == 0 else { throw TestPostgresError("cannot start \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw TestPostgresError("\(program) \(arguments.joined(separator: " ")) exited \(exited ? code : 128 + (status & 0x7f)): \(errors)")
        }
        return output
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
