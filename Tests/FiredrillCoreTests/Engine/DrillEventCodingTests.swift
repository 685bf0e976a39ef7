import FiredrillCore
import Foundation
import Testing

@Suite("DrillEvent coding")
struct DrillEventCodingTests {
    static let report = DriverReport(
        verdict: .failed, summary: "exit 2", exitStatus: 2, terminationSignal: nil, httpStatus: nil,
        stdout: CapturedOutput(text: "partial", keptBytes: 7, totalBytes: 9000), stderr: CapturedOutput(text: "", keptBytes: 0, totalBytes: 0))

    /// One of each case, with optional fields both set and unset.
    static let everyCase: [DrillEvent] = [
        .runStarted(RunStarted(scenario: "db-failover", scenarioSHA256: String(repeating: "ab", count: 32), firedrillVersion: "0.1.0",
                               vars: ["region": "eu-west-1", "empty": ""],
                               participants: [Participant(name: "Alice", role: "lead")], runner: RunnerIdentity(pid: 12, host: "h"))),
        .attemptStarted(AttemptStarted(ref: .phase(1, 2), attempt: 3, action: .http(ResolvedHTTP(
            method: "POST", url: "http://x/y", headers: [.init(name: "X-Token", value: "t")], body: "{}", status: [200, 204],
            bodyContains: "ok", timeout: .seconds(2))))),
        .attemptStarted(AttemptStarted(ref: .phase(2, 0), attempt: 1, instructions: "Promote the replica")),
        .attemptStarted(AttemptStarted(ref: .setup(0), attempt: 1, resolutionError: "unknown variable '${env.X}'")),
        .attemptFinished(AttemptFinished(ref: .rollback(4), attempt: 1, report: report, startedAt: t(1.5), endedAt: t(2.25))),
        .probeSampled(ProbeSampled(ref: .steadyAfter(0), attempt: 2, sample: 7,
                                   report: DriverReport(verdict: .passed, summary: "HTTP 200", httpStatus: 200),
                                   startedAt: t(3), endedAt: t(3.001))),
        .deadlinePassed(ref: .teardown(1), attempt: 2),
        .operatorConfirmed(OperatorConfirmation(ref: .phase(0, 0), by: "bob", note: "done")),
        .operatorConfirmed(OperatorConfirmation(ref: .phase(0, 0), by: "bob")),
        .canaryWritten(CanaryWritten(seq: 42, report: DriverReport(verdict: .timedOut, summary: "timed out", terminationSignal: 9),
                                     startedAt: t(4), endedAt: t(5))),
        .canaryRead(CanaryRead(highestSeq: 41, report: DriverReport(verdict: .passed, summary: "41"), startedAt: t(6), endedAt: t(6.2))),
        .canaryRead(CanaryRead(highestSeq: nil, report: DriverReport(verdict: .error, summary: "no such file"), startedAt: t(6), endedAt: t(6))),
        .abortRequested(by: "alice", reason: "customer impact \"real\""),
        .runSuspended(reason: "operator away"),
        .runResumed(RunnerIdentity(pid: 99, host: "standby")),
        .runEnded(.deviated),
    ]

    static func roundTrip(_ event: DrillEvent) throws -> (DrillEvent, [String: Any]) {
        let data = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try JSONDecoder().decode(DrillEvent.self, from: data), object)
    }

    @Test(arguments: everyCase)
    func roundTripsThroughJSON(_ event: DrillEvent) throws {
        let (decoded, object) = try Self.roundTrip(event)
        #expect(decoded == event)
        #expect(object["type"] as? String == event.type)
    }

    @Test func everyCaseHasItsOwnType() {
        let types = Set(Self.everyCase.map(\.type))
        #expect(types == ["run_started", "attempt_started", "attempt_finished", "probe_sampled", "deadline_passed", "operator_confirmed",
                          "canary_written", "canary_read", "abort_requested", "run_suspended", "run_resumed", "run_ended"])
    }

    /// The end carries the headline its events gave; an end recorded before it did reads as none.
    @Test func theEndCarriesItsHeadlineAndAnOlderEndReadsWithout() throws {
        let run = ScriptedRun.completedFourPhase(scenario: Drill.fourPhase(objectives: .init(rto: .seconds(10), rpo: .seconds(1))))
        let headline = RunHeadline(scenario: "four-phase", status: .completed, measurement: DrillMeasurement(scenario: run.scenario, state: run.state))
        let (decoded, object) = try Self.roundTrip(.runEnded(.completed, headline: headline))
        #expect(decoded == .runEnded(.completed, headline: headline))
        #expect((object["headline"] as? [String: Any])?["rto"] != nil)
        let older = try JSONDecoder().decode(DrillEvent.self, from: Data(#"{"type":"run_ended","status":"completed"}"#.utf8))
        #expect(older == .runEnded(.completed, headline: nil))
        let (_, without) = try Self.roundTrip(.runEnded(.aborted))
        #expect(without["headline"] == nil, "no headline, no key: an end without one is written as before")
    }

    @Test func stepRefsAreStoredAsText() throws {
        let (_, object) = try Self.roundTrip(.deadlinePassed(ref: .phase(1, 0), attempt: 2))
        #expect(object["ref"] as? String == "phase.1.0")
        #expect(object["attempt"] as? Int == 2)
        let (_, status) = try Self.roundTrip(.runEnded(.aborted))
        #expect(status["status"] as? String == "aborted")
    }

    @Test(arguments: [StepRef.setup(0), .steadyBefore(3), .phase(12, 7), .steadyAfter(1), .rollback(0), .teardown(2)])
    func everyStepRefRoundTrips(_ ref: StepRef) throws {
        #expect(StepRef(ref.description) == ref)
        let (decoded, _) = try Self.roundTrip(.deadlinePassed(ref: ref, attempt: 1))
        #expect(decoded == .deadlinePassed(ref: ref, attempt: 1))
    }

    @Test(arguments: [
        #"{"type":"run_exploded"}"#,
        #"{"type":"deadline_passed","ref":"phase.x","attempt":1}"#,
        #"{"type":"deadline_passed","ref":"phase.1.0"}"#,
        #"{"payload":{}}"#,
    ])
    func malformedEventsAreRejected(_ json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DrillEvent.self, from: Data(json.utf8)) }
    }

    @Test func aRecordedLogDecodedAgainReplaysToTheSameState() throws {
        let run = RecordedRun.failedWithRollback.play()
        let stored = try run.log.map { event, at in (try JSONEncoder().encode(event), at) }
        let loaded = try stored.map { data, at in (try JSONDecoder().decode(DrillEvent.self, from: data), at) }
        #expect(DrillMachine.replay(run.scenario, events: loaded) == run.machine)
    }
}
