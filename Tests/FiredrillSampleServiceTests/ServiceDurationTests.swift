import FiredrillSampleService
import FiredrillTestSupport
import Foundation
import Testing

@Suite("Command-line values and built products")
struct ServiceDurationTests {
    @Test("durations parse with their unit and keep their text", arguments: [
        ("10ms", Duration.milliseconds(10)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1_500)),
        ("250us", .microseconds(250)), ("1m", .seconds(60)), ("1h", .seconds(3_600)), ("5ns", .nanoseconds(5)),
    ])
    func parses(text: String, expected: Duration) throws {
        let duration = try #require(ServiceDuration(argument: text))
        #expect(duration.duration == expected)
        #expect(duration.description == text)
    }

    @Test("durations without a known unit or not positive are rejected", arguments: ["", "10", "s", "0s", "-1s", "2x", "1.2.3s"])
    func rejects(text: String) {
        #expect(ServiceDuration(argument: text) == nil)
    }

    @Test("the service executable is found next to the test binary")
    func builtProduct() throws {
        let path = try #require(BuiltProducts.path(of: "firedrill-sample-service"))
        #expect(FileManager.default.isExecutableFile(atPath: path))
        #expect(BuiltProducts.path(of: "no-such-product") == nil)
    }
}
