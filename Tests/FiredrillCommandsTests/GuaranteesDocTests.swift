import Foundation
import Testing

/// docs/GUARANTEES.md names the test behind each promise: every name it gives is a test that
/// exists, so the page cannot drift from the suites (a test renamed, moved or never written).
@Suite struct GuaranteesDocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Suite` and `Suite.test` in backticks, where the suite's name ends in `Tests`.
    static func names(in doc: String) -> [(suite: String, test: String?)] {
        let pattern = try! NSRegularExpression(pattern: "`([A-Z][A-Za-z0-9]*Tests)(?:\\.([A-Za-z_][A-Za-z0-9_]*))?`")
        let range = NSRange(doc.startIndex..., in: doc)
        return pattern.matches(in: doc, range: range).map { match in
            let suite = String(doc[Range(match.range(at: 1), in: doc)!])
            let test = Range(match.range(at: 2), in: doc).map { String(doc[$0]) }
            return (suite, test)
        }
    }

    /// Every Swift file under Tests/, by path.
    static func testSources() throws -> [String: String] {
        let tests = root.appendingPathComponent("Tests")
        var sources: [String: String] = [:]
        let paths = FileManager.default.enumerator(atPath: tests.path)?.compactMap { $0 as? String } ?? []
        for path in paths where path.hasSuffix(".swift") {
            sources[path] = try String(contentsOf: tests.appendingPathComponent(path), encoding: .utf8)
        }
        return sources
    }

    /// What is wrong with the names `doc` gives, checked against `sources`: a suite declared
    /// nowhere, or a test that is no `func` of the files declaring (or extending) that suite.
    static func problems(in doc: String, sources: [String: String]) -> [String] {
        var problems: [String] = []
        for (suite, test) in names(in: doc) {
            let declaring = sources.filter { _, text in
                text.range(of: "\\b(struct|class|enum|extension)\\s+\(suite)\\b", options: .regularExpression) != nil
            }
            guard !declaring.isEmpty else {
                problems.append("`\(suite)\(test.map { ".\($0)" } ?? "")`: no suite \(suite) in Tests/")
                continue
            }
            if let test, !declaring.values.contains(where: { $0.range(of: "func\\s+\(test)\\s*\\(", options: .regularExpression) != nil }) {
                problems.append("`\(suite).\(test)`: \(suite) (\(declaring.keys.sorted().joined(separator: ", "))) has no test \(test)")
            }
        }
        return problems
    }

    @Test func everyTestTheGuaranteesNameExists() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/GUARANTEES.md"), encoding: .utf8)
        let sources = try Self.testSources()
        #expect(Self.names(in: doc).count > 50, "the page names its tests in backticks")
        let problems = Self.problems(in: doc, sources: sources)
        #expect(problems.isEmpty, "docs/GUARANTEES.md names tests that do not exist:\n\(problems.joined(separator: "\n"))")
    }

    /// The check itself tells a wrong name: a suite that does not exist, a test in the wrong suite.
    @Test func aMisnamedTestIsFound() {
        let sources = ["A/StoreTests.swift": "@Suite struct StoreTests {\n    @Test func opensOnce() {}\n}\n",
                       "B/MigrationTests.swift": "struct MigrationTests {}\nextension MigrationTests {\n    @Test(arguments: [1]) func migratesOnce(n: Int) {}\n}\n"]
        let doc = "[`StoreTests.opensOnce`, `MigrationTests.migratesOnce`, `MigrationTests`] [`NoSuchTests`] [`StoreTests.migratesOnce`]"
        #expect(Self.names(in: doc).count == 5)
        #expect(Self.problems(in: doc, sources: sources) == [
            "`NoSuchTests`: no suite NoSuchTests in Tests/",
            "`StoreTests.migratesOnce`: StoreTests (A/StoreTests.swift) has no test migratesOnce",
        ])
    }
}
