import ArgumentParser

/// The options shared by `serve` and `start` (which passes them on to the `serve` it launches).
struct ServiceOptions: ParsableArguments {
    @Option(help: "TCP port on 127.0.0.1 (0 picks a free port; serve only).")
    var port: Int

    @Option(help: "Data directory; holds writes.log.")
    var data: String

    @Option(help: "Directory the periodic backups are written to.")
    var backups: String

    @Option(name: .customLong("backup-every"), help: "Interval between backups, e.g. 2s or 500ms.")
    var backupEvery = ServiceDuration(argument: "2s")!

    @Option(help: "Interval between `alive` lines in the truth log.")
    var heartbeat = ServiceDuration(argument: "10ms")!

    @Option(help: "Truth log (JSON lines, appended).")
    var log: String?

    @Option(help: "File the serving process writes its pid to.")
    var pidfile: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    /// The same options with every path made absolute, for a daemon whose cwd may differ.
    var absolute: ServiceOptions {
        var copy = self
        copy.data = DurableFile.absolute(data)
        copy.backups = DurableFile.absolute(backups)
        copy.log = log.map(DurableFile.absolute)
        copy.pidfile = pidfile.map(DurableFile.absolute)
        return copy
    }

    /// The `serve` command line carrying these options.
    var serveArguments: [String] {
        var arguments = [
            "serve", "--port", String(port), "--data", data, "--backups", backups,
            "--backup-every", backupEvery.description, "--heartbeat", heartbeat.description,
        ]
        if let log { arguments += ["--log", log] }
        if let pidfile { arguments += ["--pidfile", pidfile] }
        return arguments
    }
}
