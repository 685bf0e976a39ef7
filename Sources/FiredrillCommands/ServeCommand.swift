import ArgumentParser
import FiredrillRuntime
import Foundation
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The drill room and the evidence room in a browser: every scenario's standing, each run's report, live runs, /metrics.",
        discussion: """
            Every page needs a token (firedrill token create --name NAME --role viewer|operator|admin): viewers read, \
            operators also confirm and abort, admins also manage tokens. It speaks plain HTTP on 127.0.0.1 by default; \
            anywhere else, put it behind a TLS proxy (docs/SERVE.md) and pass --secure-cookies.
            """)

    @OptionGroup var files: ScenarioFiles
    @Option(help: "Address and port to listen on.") var listen = "127.0.0.1:8080"
    @Flag(help: "Mark the session cookie Secure (behind a TLS proxy).") var secureCookies = false
    @Option(help: "Folder for the output of the confirm and abort commands run from the page (default: a temporary folder).") var logs: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw CommandFailure.usage("--listen '\(listen)' is not HOST:PORT, like 127.0.0.1:8080")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let db = try store.openExisting()
        let loopback = host == "127.0.0.1" || host == "::1" || host == "localhost"
        if !loopback && !secureCookies {
            FileHandle.standardError.write(Data("firedrill: warning: serving plain HTTP on \(host), not the loopback address: tokens and session cookies cross the network unencrypted. Put serve behind a TLS proxy (docs/SERVE.md) and pass --secure-cookies.\n".utf8))
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let server = DrillServer(worker: StoreWorker(db), auth: StoreWorker(try store.open()), scenarioPaths: files.paths, database: store.path, secureCookies: secureCookies,
                                 childLogs: logs ?? FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-serve-\(ServeSessions.random().prefix(16))").path,
                                 firedrill: exe)
        var logger = Logger(label: "firedrill-serve")
        logger.logLevel = .warning
        let shown = store.shown
        let application = Application(
            router: server.router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "firedrill"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                ProgressPrinter.write("firedrill serve: http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ (record \(shown))\n")
            },
            logger: logger
        )
        try await application.runService()
    }
}
