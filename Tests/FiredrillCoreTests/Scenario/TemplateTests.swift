import FiredrillCore
import Testing

@Suite("Template")
struct TemplateTests {
    typealias Part = Template.Part

    @Test(arguments: [
        ("plain text", [Part.literal("plain text")]),
        ("", []),
        ("${host}", [.reference("host", offset: 0)]),
        ("http://${host}:${port}/x", [.literal("http://"), .reference("host", offset: 7), .literal(":"), .reference("port", offset: 15), .literal("/x")]),
        ("${a}${b}", [.reference("a", offset: 0), .reference("b", offset: 4)]),
        // Names are trimmed of spaces.
        ("${ env.TOKEN }", [.reference("env.TOKEN", offset: 0)]),
        // A lone `$` or `$$` is literal text.
        ("cost: $5 $$ $", [.literal("cost: $5 $$ $")]),
        // `$${` escapes a literal `${`.
        ("$${HOME}", [.literal("${HOME}")]),
        ("$${a} ${b}", [.literal("${a} "), .reference("b", offset: 6)]),
    ])
    func parts(_ raw: String, _ expected: [Part]) {
        let (parts, unterminated) = Template(raw).parts
        #expect(parts == expected)
        #expect(unterminated == nil)
    }

    @Test func unterminatedReferenceIsReportedWithItsOffset() {
        let (parts, unterminated) = Template("pre ${open").parts
        #expect(parts == [.literal("pre ")])
        #expect(unterminated == 4)
        #expect(Template("${a} ${b").parts.unterminatedAt == 5)
    }

    @Test func references() {
        #expect(Template("${a}/$${b}/${ c }").references == ["a", "c"])
        #expect(Template("none").references.isEmpty)
    }

    @Test func resolveSubstitutesEveryReference() throws {
        let values = ["host": "db", "port": "5432", "empty": ""]
        #expect(try Template("postgres://${host}:${port}/${empty}x").resolve { values[$0] } == "postgres://db:5432/x")
        #expect(try Template("$${host} is ${host}").resolve { values[$0] } == "${host} is db")
        // Values are not scanned again.
        #expect(try Template("${v}").resolve { _ in "${v}" } == "${v}")
    }

    @Test func resolveNamesTheUnknownReference() {
        let location = SourceLocation(file: "drill.yaml", line: 12, column: 9)
        let error = #expect(throws: UnresolvedReference.self) {
            try Template("${known}-${missing}", at: location).resolve { $0 == "known" ? "k" : nil }
        }
        #expect(error?.name == "missing")
        #expect(error?.location == location)
        #expect(error?.unterminated == false)
        #expect(error?.description == "drill.yaml:12:9: error: unknown variable '${missing}'")
    }

    @Test func resolveRejectsAnUnterminatedReference() {
        let location = SourceLocation(file: "drill.yaml", line: 3, column: 5)
        let error = #expect(throws: UnresolvedReference.self) {
            try Template("curl ${url", at: location).resolve { _ in "x" }
        }
        #expect(error?.unterminated == true)
        #expect(error?.name == "${url")
        #expect(error?.description == "drill.yaml:3:5: error: unterminated '${' in '${url'")
    }

    @Test func stringLiteralAndDescription() {
        let template: Template = "a ${b}"
        #expect(template.raw == "a ${b}")
        #expect(template.description == "a ${b}")
        #expect(template.location == .synthesized())
    }
}
