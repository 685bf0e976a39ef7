import FiredrillCommands
import Foundation
import Testing

/// Exit codes are part of the interface: usage errors and invalid scenarios are 2.
@Suite struct ExitCodeTests {
    @Test func unknownSubcommandIsUsage() async {
        #expect(await FiredrillCommand.main(arguments: ["frobnicate"]) == 2)
    }

    @Test func missingScenarioFileIsInvalid() async {
        #expect(await FiredrillCommand.main(arguments: ["validate", "/nonexistent/firedrill-scenario.yaml"]) == 2)
    }

    @Test func invalidScenarioIsTwoAndValidIsZero() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml").path
        try "firedrill: 1\nname: Bad Name\nphases: []\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(await FiredrillCommand.main(arguments: ["validate", bad]) == 2)
        let good = dir.appendingPathComponent("good.yaml").path
        try """
            firedrill: 1
            name: good
            phases:
              - name: only
                steps:
                  - name: pause
                    sleep: 10ms
            """.write(toFile: good, atomically: true, encoding: .utf8)
        #expect(await FiredrillCommand.main(arguments: ["validate", good]) == 0)
    }
}
