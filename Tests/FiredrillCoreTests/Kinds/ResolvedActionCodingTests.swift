import FiredrillCore
import Foundation
import Testing

/// The record holds each attempt's resolved action as JSON. These are the bytes every kind was
/// written as before the kinds became modules; records written then must read the same, and new
/// records must be written the same (the chain's hashes are over these bytes).
@Suite struct ResolvedActionCodingTests {
    static let golden: [(ResolvedAction, String)] = [
        (.run(argv: ["systemctl", "stop", "app"]), #"{"run":{"argv":["systemctl","stop","app"]}}"#),
        (.shell(script: "kill $(cat /run/a.pid)"), #"{"shell":{"script":"kill $(cat /run/a.pid)"}}"#),
        (.http(ResolvedHTTP(method: "POST", url: "http://127.0.0.1:8/x", headers: [.init(name: "A", value: "b")], body: "{}",
                            status: [200, 204], bodyContains: "ok", timeout: .seconds(2), maxBody: 1024)),
         #"{"http":{"_0":{"body":"{}","bodyContains":"ok","headers":[{"name":"A","value":"b"}],"maxBody":1024,"method":"POST","status":[200,204],"timeout":{"nanoseconds":2000000000},"url":"http://127.0.0.1:8/x"}}}"#),
        (.http(ResolvedHTTP(method: "GET", url: "http://127.0.0.1:8/")),
         #"{"http":{"_0":{"headers":[],"method":"GET","status":[],"url":"http://127.0.0.1:8/"}}}"#),
        (.tcp(host: "::1", port: 5432, timeout: .milliseconds(500)), #"{"tcp":{"host":"::1","port":5432,"timeout":{"nanoseconds":500000000}}}"#),
        (.tcp(host: "127.0.0.1", port: 80, timeout: nil), #"{"tcp":{"host":"127.0.0.1","port":80}}"#),
        (.kill(.pid(42), signal: "KILL", processGroup: true), #"{"kill":{"_0":{"pid":{"_0":42}},"processGroup":true,"signal":"KILL"}}"#),
        (.kill(.pidfile("/run/a.pid"), signal: "TERM", processGroup: false),
         #"{"kill":{"_0":{"pidfile":{"_0":"/run/a.pid"}},"processGroup":false,"signal":"TERM"}}"#),
        (.sleep(.seconds(3)), #"{"sleep":{"_0":{"nanoseconds":3000000000}}}"#),
        (.prometheus(ResolvedPrometheus(url: "http://127.0.0.1:9090", query: "up", expect: PromExpectation(subject: .value, comparison: .greater, number: 0),
                                        basicUser: "u", basicPassword: "p", timeout: .seconds(1), maxBody: 4096)),
         #"{"prometheus":{"_0":{"basicPassword":"p","basicUser":"u","expect":{"comparison":">","number":0,"subject":"value"},"maxBody":4096,"query":"up","timeout":{"nanoseconds":1000000000},"url":"http://127.0.0.1:9090"}}}"#),
    ]

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    @Test(arguments: golden.indices)
    func eachKindIsWrittenAsBefore(_ index: Int) throws {
        let (action, text) = Self.golden[index]
        #expect(String(decoding: try Self.encoder.encode(action), as: UTF8.self) == text)
    }

    @Test(arguments: golden.indices)
    func eachKindReadsAsBefore(_ index: Int) throws {
        let (action, text) = Self.golden[index]
        #expect(try JSONDecoder().decode(ResolvedAction.self, from: Data(text.utf8)) == action)
    }

    @Test func anUnknownKindIsADecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ResolvedAction.self, from: Data(#"{"teleport":{"to":"mars"}}"#.utf8))
        }
    }
}
