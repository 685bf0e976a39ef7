import ArgumentParser

/// The root of the `firedrill-sample-service` command line.
public struct SampleServiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "firedrill-sample-service",
        abstract: "A small HTTP service with data on disk and periodic backups, for disaster-recovery drills.",
        subcommands: [ServeCommand.self, StartCommand.self, StopCommand.self, RestoreCommand.self, TruthCommand.self]
    )

    public init() {}
}
