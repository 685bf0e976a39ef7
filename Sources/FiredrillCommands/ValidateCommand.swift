import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check scenario files; print every error as FILE:LINE:COLUMN: error: message.")

    @Argument(help: "Scenario files.") var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let loaded = try ScenarioLoader.load(path: file)
                for warning in loaded.warnings { print(ControlCharacters.visible("\(warning)")) }
                let steps = loaded.scenario.phases.reduce(0) { $0 + $1.steps.count }
                print("\(file): ok (\(loaded.scenario.phases.count) phases, \(steps) steps)")
            } catch {
                failed = true
                FileHandle.standardError.write(Data(ControlCharacters.visible(error.description + "\n").utf8))
            }
        }
        if failed { throw ExitCode(2) }
    }
}
