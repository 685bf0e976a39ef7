import FiredrillCore
@testable import FiredrillRuntime
import Foundation
import Testing

/// The samples' own decoder against JSONDecoder: the same event from every payload the store
/// writes, and nil (JSONDecoder decides) for any other form.
@Suite struct SampleJSONTests {
    static func text(_ random: inout some RandomNumberGenerator) -> String {
        let pieces = ["connection refused to 127.0.0.1:15432", "HTTP 200 OK", "\"quoted\"", "back\\slash", "a/b", "tab\there", "line\nbreak",
                      "\u{1}\u{1f}\u{7f}", "é", "日本語", "🚒", "\u{2028}", "", " "]
        return (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func report(_ random: inout some RandomNumberGenerator) -> DriverReport {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        let verdicts: [DriverReport.Verdict] = [.passed, .failed, .timedOut, .cancelled, .error]
        func captured() -> CapturedOutput {
            let text = Self.text(&random)
            return CapturedOutput(text: text, keptBytes: text.utf8.count, totalBytes: text.utf8.count + Int.random(in: 0...1_000_000, using: &random))
        }
        return DriverReport(verdict: verdicts.randomElement(using: &random)!, summary: text(&random),
                            exitStatus: maybe(Int32.random(in: Int32.min...Int32.max, using: &random)), terminationSignal: maybe(Int32.random(in: 1...64, using: &random)),
                            httpStatus: maybe(Int.random(in: 100...599, using: &random)), stdout: maybe(captured()), stderr: maybe(captured()))
    }

    /// Any instants, or (`stored`) ones the store can project (it subtracts them).
    static func event(_ random: inout some RandomNumberGenerator, stored: Bool = false) -> DrillEvent {
        let refs: [StepRef] = [.setup(0), .steadyBefore(2), .phase(3, 12), .steadyAfter(0), .rollback(1), .teardown(4)]
        let start = DrillInstant(nanoseconds: Int64.random(in: stored ? 0...1 << 50 : Int64.min...Int64.max, using: &random))
        let end = stored ? start + DrillDuration(nanoseconds: Int64.random(in: 0...1 << 40, using: &random))
                         : DrillInstant(nanoseconds: Int64.random(in: Int64.min...Int64.max, using: &random))
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            return .probeSampled(ProbeSampled(ref: refs.randomElement(using: &random)!, attempt: Int.random(in: 1...5, using: &random),
                                              sample: Int.random(in: 1...Int.max, using: &random), report: report(&random), startedAt: start, endedAt: end))
        case 1:
            return .canaryWritten(CanaryWritten(seq: Int.random(in: 0...100_000, using: &random), report: report(&random), startedAt: start, endedAt: end))
        default:
            return .guardSampled(GuardSampled(guardIndex: Int.random(in: 0...3, using: &random), sample: Int.random(in: 1...9, using: &random),
                                              report: report(&random), startedAt: start, endedAt: end))
        }
    }

    @Test func everySampleTheStoreWritesDecodesAsJSONDecoderDecodesIt() throws {
        var random = SystemRandomNumberGenerator()
        var samples = SampleJSON()
        for _ in 0..<3_000 {
            let event = Self.event(&random)
            let payload = try StoreJSON.text(event)
            let read = samples.event(payload)
            let decoded = try #require(read, "\(payload)")
            #expect(decoded == event, "\(payload)")
            #expect(decoded == (try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8))))
        }
    }

    /// Any end with a headline: any scenario name and status, each figure there or not.
    static func end(_ random: inout some RandomNumberGenerator) -> DrillEvent {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        func ns() -> DrillDuration { .init(nanoseconds: Int64.random(in: Int64.min...Int64.max, using: &random)) }
        func span() -> DrillMeasurement.Span { .init(value: ns(), lower: ns(), upper: ns(), resolution: ns(), resolutionSource: text(&random)) }
        let verdicts: [DrillMeasurement.Verdict] = [.met, .missed, .undetermined, .unmeasured]
        func objective() -> DrillMeasurement.Objective { .init(target: ns(), verdict: verdicts.randomElement(using: &random)!) }
        var headline = RunHeadline(scenario: text(&random), status: RunStatus.allCases.randomElement(using: &random)!)
        headline.rto = maybe(span())
        headline.rpo = maybe(span())
        headline.timeToDetect = maybe(span())
        headline.rtoObjective = maybe(objective())
        headline.rpoObjective = maybe(objective())
        headline.detectObjective = maybe(objective())
        headline.detectedBy = maybe(text(&random))
        headline.retention = maybe(span())
        headline.retentionObjective = maybe(objective())
        headline.forgetAfterObjective = maybe(objective())
        headline.pastForgetAfter = maybe(Int.random(in: 0...1_000_000, using: &random))
        headline.windowOldestNs = maybe(Int64.random(in: Int64.min...Int64.max, using: &random))
        headline.windowNewestNs = maybe(Int64.random(in: Int64.min...Int64.max, using: &random))
        return .runEnded(RunStatus.allCases.randomElement(using: &random)!, headline: headline)
    }

    @Test func everyEndTheStoreWritesDecodesAsJSONDecoderDecodesIt() throws {
        var random = SystemRandomNumberGenerator()
        var samples = SampleJSON()
        for _ in 0..<2_000 {
            let event = Self.end(&random)
            let payload = try StoreJSON.text(event)
            let read = samples.event(payload)
            let decoded = try #require(read, "\(payload)")
            #expect(decoded == event, "\(payload)")
            #expect(decoded == (try JSONDecoder().decode(DrillEvent.self, from: Data(payload.utf8))))
        }
        // An end without a headline, and any other form, is JSONDecoder's.
        let plain = try StoreJSON.text(DrillEvent.runEnded(.completed))
        #expect(samples.event(plain) == nil)
        let payload = try StoreJSON.text(DrillEvent.runEnded(.completed, headline: RunHeadline(scenario: "s", status: .completed)))
        #expect(samples.event(payload) == .runEnded(.completed, headline: RunHeadline(scenario: "s", status: .completed)))
        for other in [payload.replacingOccurrences(of: #""scenario":"s","#, with: ""),
                      payload.replacingOccurrences(of: #""scenario":"s""#, with: #""scenario":"s","extra":1"#),
                      payload.replacingOccurrences(of: #""status":"completed"}"#, with: #""status":"won"}"#),
                      payload.replacingOccurrences(of: ",", with: ", ")] {
            #expect(other != payload)
            #expect(samples.event(other) == nil, "\(other)")
        }
    }

    @Test func anyOtherFormIsLeftToJSONDecoder() throws {
        let event = DrillEvent.probeSampled(ProbeSampled(ref: .phase(1, 0), attempt: 1, sample: 7, report: DriverReport(verdict: .passed, summary: "ok"),
                                                         startedAt: .init(nanoseconds: 10), endedAt: .init(nanoseconds: 20)))
        let payload = try StoreJSON.text(event)
        var samples = SampleJSON()
        #expect(samples.event(payload) == event)
        let others = [
            payload.replacingOccurrences(of: ",", with: ", "),                                        // spaces
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":7.0"#),                  // a fraction
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":7e0"#),                  // an exponent
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":07"#),                   // a leading zero
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":7,"sample":8"#),         // a repeated key
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":7,"extra":1"#),          // an unknown key
            payload.replacingOccurrences(of: #""sample":7,"#, with: ""),                               // a missing key
            payload.replacingOccurrences(of: #""summary":"ok""#, with: #""summary":null"#),            // null where required
            payload.replacingOccurrences(of: #""ref":"phase.1.0""#, with: #""ref":"phase.x""#),        // no such step
            payload.replacingOccurrences(of: #""verdict":"passed""#, with: #""verdict":"won""#),       // no such verdict
            payload.replacingOccurrences(of: #""sample":7"#, with: #""sample":99999999999999999999"#), // beyond 64 bits
            payload.replacingOccurrences(of: #""summary":"ok""#, with: #""summary":"\ud800""#),        // a lone surrogate
            payload.replacingOccurrences(of: "probe_sampled", with: "attempt_finished"),               // another event
            payload + " ",
        ]
        for other in others {
            #expect(other != payload)
            #expect(samples.event(other) == nil, "\(other)")
        }
        // Optional fields may be null, as JSONDecoder reads them.
        let nulls = payload.replacingOccurrences(of: #""summary":"ok""#, with: #""exitStatus":null,"stdout":null,"summary":"ok""#)
        #expect(samples.event(nulls) == event)
        #expect(try JSONDecoder().decode(DrillEvent.self, from: Data(nulls.utf8)) == event)
    }

    @Test func theStoreReadsBackWhatItWrote() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sample-json-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/fd.db")
        let started = RunStarted(scenario: "s", scenarioSHA256: "", firedrillVersion: "t", vars: [:], runner: RunnerIdentity(pid: 1, host: "h"))
        try store.createRun(RunRecord(id: "r", scenario: "s", title: nil, scenarioPath: "s.yaml", scenarioText: "", scenarioSHA256: "",
                                      status: .running, startedWallNs: 1, startedMonoNs: 1, bootID: "b"),
                            first: RecordedEvent(seq: 1, event: .runStarted(started), at: .start, monoNs: 1, wallNs: 1))
        var random = SystemRandomNumberGenerator()
        let events = (2...300).map { RecordedEvent(seq: $0, event: Self.event(&random, stored: true), at: .init(nanoseconds: Int64($0)), monoNs: Int64($0), wallNs: Int64($0)) }
        try store.append(events, to: "r")
        var streamed: [RecordedEvent] = []
        try store.forEachEvent(of: "r") { streamed.append($0) }
        #expect(Array(streamed.dropFirst()) == events)
        #expect(try store.events(of: "r") == streamed)
        // What the body throws ends the read and comes out as it was thrown.
        struct Stop: Error {}
        var read = 0
        #expect(throws: Stop.self) {
            try store.forEachEvent(of: "r") { _ in
                read += 1
                if read == 10 { throw Stop() }
            }
        }
        #expect(read == 10)
    }
}
