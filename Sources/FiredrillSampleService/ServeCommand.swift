import ArgumentParser

/// `serve`: runs the service in the foreground until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service in the foreground on 127.0.0.1."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await SampleServer(options: options.absolute).run()
    }
}
