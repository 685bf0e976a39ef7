import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// The JSON Schema ships as the loader describes it, every shipped scenario names it and passes
/// it, and a real validator (Python's jsonschema) and the loader agree on every unknown key.
@Suite struct ScenarioSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let schemaFile = repository.appendingPathComponent("schema/firedrill-scenario-v1.schema.json").path

    static var scenarios: [String] {
        let root = repository.appendingPathComponent("scenarios")
        let found = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return found.filter { $0.hasSuffix(".yaml") }.sorted().map { root.appendingPathComponent($0).path }
    }

    /// Whether the system's python3 has jsonschema and PyYAML (`apt-get install python3-jsonschema python3-yaml`).
    static let hasValidator: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import jsonschema, yaml"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
    static let validatorMissing: Comment = "python3 with jsonschema and PyYAML is not installed: apt-get install python3-jsonschema python3-yaml"

    /// Runs `schema/check-scenarios.py` (python3 with jsonschema and PyYAML, as `.ci/run` installs them).
    static func checker(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [repository.appendingPathComponent("schema/check-scenarios.py").path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func theShippedSchemaIsTheOneTheLoaderDescribes() throws {
        let shipped = try String(contentsOfFile: Self.schemaFile, encoding: .utf8)
        #expect(shipped == ScenarioSchema.text, "regenerate it: firedrill schema > schema/firedrill-scenario-v1.schema.json")
    }

    @Test func everyKeyTheLoaderReadsIsTypedInTheSchema() {
        #expect(ScenarioSchema.drift.isEmpty, "\(ScenarioSchema.drift)")
    }

    @Test func theDocumentedActionsAreTheRegistrys() throws {
        let doc = try String(contentsOf: Self.repository.appendingPathComponent("docs/scenario-format.md"), encoding: .utf8)
        #expect(doc.contains(ActionKind.documentationTable), "docs/scenario-format.md's table of actions is not ActionKind.all's")
    }

    /// A kind listed in the registry that the loader does not read would be dropped without a word.
    @Test(arguments: ActionKind.all.map(\.key))
    func everyKindInTheRegistryIsReadByTheLoader(_ key: String) throws {
        let kind = try #require(ActionKind.named(key))
        let text = """
            firedrill: 1
            name: kinds
            steady_state:
              - {name: probe, \(key): \(kind.example)}
            phases:
              - name: p
                steps:
                  - {name: step, \(key): \(kind.example)}
            """
        let parsed = ScenarioLoader.parse(text: text, file: "k.yaml", baseDirectory: "/", fileExists: { _ in true })
        let errors = parsed.findings.filter { $0.severity == .error }.map(\.description)
        // Only a probe may stand in steady state; the phase step is read either way.
        #expect(errors.isEmpty == kind.isProbe, "\(errors)")
        if !kind.isProbe { #expect(errors.count == 1 && errors[0].contains("steady_state steps must be probes"), "\(errors)") }
        let scenario = try #require(ScenarioLoader.parse(text: text.replacingOccurrences(of: "steady_state:\n  - {name: probe, \(key): \(kind.example)}\n", with: ""),
                                                         file: "k.yaml", baseDirectory: "/", fileExists: { _ in true }).scenario)
        #expect(scenario.phases.first?.steps.first?.action.kind == kind.readsAs)
        #expect(ActionKind.all.filter { $0.key == key }.count == 1, "listed once")
    }

    @Test func everyShippedScenarioNamesTheSchema() throws {
        let scenarios = Self.scenarios
        #expect(scenarios.count >= 7)
        for path in scenarios {
            let first = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
            let depth = path.dropFirst(Self.repository.path.count + 1).split(separator: "/").count - 1
            let expected = "# yaml-language-server: $schema=" + String(repeating: "../", count: depth) + "schema/firedrill-scenario-v1.schema.json"
            #expect(first == expected, "\(path)")
        }
    }

    @Test(.enabled(if: hasValidator, validatorMissing)) func everyShippedScenarioPassesTheSchema() throws {
        let checked = try Self.checker(Self.scenarios)
        #expect(checked.status == 0, "\(String(decoding: checked.stdout, as: UTF8.self)) \(checked.stderr)")
    }

    /// For every mapping of every shipped scenario, the file with an unknown key added there:
    /// the schema refuses it exactly where the loader does (free-form mappings, `vars` and
    /// `headers`, take any key in both).
    @Test(.enabled(if: hasValidator, validatorMissing)) func theSchemaAndTheLoaderAgreeOnEveryUnknownKey() throws {
        struct Mutant: Decodable {
            var file: String
            var path: String
            var schemaAccepts: Bool
            var yaml: String
        }
        let checked = try Self.checker(["--mutants"] + Self.scenarios)
        #expect(checked.status == 0, "\(checked.stderr)")
        let mutants = try JSONDecoder().decode([Mutant].self, from: checked.stdout)
        #expect(mutants.count > 200, "\(mutants.count) mutants")
        #expect(mutants.contains { $0.schemaAccepts } && mutants.contains { !$0.schemaAccepts })
        for mutant in mutants {
            let parsed = ScenarioLoader.parse(text: mutant.yaml, file: mutant.file, baseDirectory: "/", fileExists: { _ in true })
            let loaderAccepts = !parsed.findings.contains { $0.severity == .error }
            #expect(loaderAccepts == mutant.schemaAccepts,
                    "\(mutant.file) at /\(mutant.path): schema \(mutant.schemaAccepts ? "accepts" : "refuses"), loader \(loaderAccepts ? "accepts" : "refuses"): \(parsed.findings.map(\.message))")
        }
    }
}
