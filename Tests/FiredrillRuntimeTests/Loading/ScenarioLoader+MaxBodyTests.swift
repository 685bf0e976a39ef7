import FiredrillCore
import FiredrillRuntime
import Testing

/// `max_body` on `http` and `prometheus`: sizes read into bytes, every bad one reported at its place.
@Suite struct ScenarioLoaderMaxBodyTests {
    static func parse(_ text: String) -> (scenario: Scenario?, findings: [String]) {
        let result = ScenarioLoader.parse(text: text, file: "m.yaml", baseDirectory: "/base", fileExists: { _ in true })
        return (result.scenario, result.findings.map(\.description))
    }

    @Test func sizesAreRead() throws {
        let (scenario, findings) = Self.parse("""
            firedrill: 1
            name: bodies
            steady_state:
              - {name: a, http: {url: "http://127.0.0.1/a", max_body: 10MiB}}
              - {name: b, http: {url: "http://127.0.0.1/b", max_body: 512 KiB}}
              - {name: c, http: {url: "http://127.0.0.1/c", max_body: 4096}}
              - {name: d, http: {url: "http://127.0.0.1/d", max_body: 10MB}}
              - {name: e, http: {url: "http://127.0.0.1/e"}}
              - {name: f, prometheus: {url: "http://127.0.0.1:9090", query: up, max_body: 1GiB}}
            phases:
              - name: p
                steps:
                  - {name: s, sleep: 1s}
            """)
        #expect(findings == [])
        let steps = try #require(scenario).steadyState
        let sizes = steps.map { step -> Int? in
            if let http = step.action.as(HTTPProbe.self) { return http.maxBody }
            if let prom = step.action.as(PrometheusProbe.self) { return prom.maxBody }
            return -1
        }
        #expect(sizes == [10 << 20, 512 << 10, 4096, 10_000_000, nil, 1 << 30])
    }

    @Test func badSizesArePositioned() {
        let (scenario, findings) = Self.parse("""
            firedrill: 1
            name: bodies
            steady_state:
              - {name: a, http: {url: "http://127.0.0.1/a", max_body: 10 parsecs}}
              - {name: b, http: {url: "http://127.0.0.1/b", max_body: 0}}
              - {name: c, http: {url: "http://127.0.0.1/c", max_body: 2GiB}}
              - {name: d, http: {url: "http://127.0.0.1/d", max_body: -1MiB}}
              - {name: e, http: {url: "http://127.0.0.1/e", max_body: [1]}}
              - {name: f, prometheus: {url: "http://127.0.0.1:9090", query: up, max_body: lots}}
            phases:
              - name: p
                steps:
                  - {name: s, sleep: 1s}
            """)
        #expect(scenario == nil)
        #expect(findings == [
            "m.yaml:4:59: error: expected a size like 1MiB, 512KiB or 10MB, got '10 parsecs'",
            "m.yaml:5:59: error: max_body must be at least 1 byte",
            "m.yaml:6:59: error: max_body must be at most 1 GiB, got 2 GiB",
            "m.yaml:7:59: error: expected a size like 1MiB, 512KiB or 10MB, got '-1MiB'",
            "m.yaml:8:59: error: expected a size like 1MiB, 512KiB or 10MB, got a list",
            "m.yaml:9:79: error: expected a size like 1MiB, 512KiB or 10MB, got 'lots'",
        ])
    }

    @Test func sizesParseAndRead() {
        #expect(ByteSize.parse("1MiB") == 1 << 20)
        #expect(ByteSize.parse("1.5 MiB") == 3 << 19)
        #expect(ByteSize.parse("2k") == 2048)
        #expect(ByteSize.parse("1.") == nil && ByteSize.parse(".5MiB") == nil && ByteSize.parse("MiB") == nil)
        #expect(ByteSize.describe(1 << 20) == "1 MiB")
        #expect(ByteSize.describe(3 << 19) == "1.5 MiB")
        #expect(ByteSize.describe(900) == "900 bytes")
    }
}
