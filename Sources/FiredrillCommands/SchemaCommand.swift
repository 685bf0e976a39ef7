import ArgumentParser
import FiredrillRuntime
import Foundation

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the scenario format's JSON Schema (2020-12), for editors.",
        discussion: """
            The same schema ships as schema/firedrill-scenario-v1.schema.json. Point the YAML language \
            server at it with a first line like '# yaml-language-server: $schema=../schema/firedrill-scenario-v1.schema.json'. \
            The schema checks the keys and the shape of their values; 'firedrill validate' checks the rest.
            """)

    func run() throws {
        FileHandle.standardOutput.write(Data(ScenarioSchema.text.utf8))
    }
}
