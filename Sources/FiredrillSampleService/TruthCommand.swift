import ArgumentParser
import Foundation

/// `truth`: prints the analysis of a truth log holding one outage, as JSON.
struct TruthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truth",
        abstract: "Analyse a truth log holding one outage and print the result as JSON."
    )

    @Option(help: "The truth log to analyse.")
    var log: String

    func run() throws {
        let truth = try SampleServiceTruth.analyze(logFile: log)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        Console.say(String(decoding: try encoder.encode(truth), as: UTF8.self))
    }
}
