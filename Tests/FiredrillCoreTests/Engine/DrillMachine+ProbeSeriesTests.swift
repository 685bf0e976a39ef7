@testable import FiredrillCore
import FiredrillTestSupport
import Testing

/// A replay that keeps no samples (a report's) rebuilds the same state as one that keeps them,
/// and its per-step series hold what the samples did.
@Suite("DrillMachine: probe series")
struct DrillMachineProbeSeriesTests {
    /// The state a machine that keeps no samples must reach: the live one's, without them.
    static func withoutSamples(_ state: RunState) -> RunState {
        var state = state
        state.samples = []
        return state
    }

    @Test(arguments: RecordedRun.allCases)
    func aReplayKeepingNoSamplesReachesTheSameState(_ recorded: RecordedRun) {
        let run = recorded.play()
        let replayed = DrillMachine.replay(run.scenario, events: run.log, keepsSamples: false)
        #expect(replayed.state == Self.withoutSamples(run.state))
        #expect(!replayed.state.needsEverySample)
    }

    @Test func eachStepsSeriesSumsUpItsSamples() throws {
        var run = ScriptedRun(DrillMachineWaitForTests.scenario(consecutive: 2))
        run.start()
        let ref = DrillMachineWaitForTests.ref
        run.begin(ref)
        run.sample(ref, passed: false, taking: .milliseconds(300))
        run.sample(ref, passed: true, taking: .milliseconds(100))
        run.sample(ref, passed: false, summary: "HTTP 502 Bad Gateway", taking: .milliseconds(200))
        run.sample(ref, passed: true)
        run.sample(ref, passed: true)
        let series = try #require(run.state.probeSeries(ref))
        #expect(run.state.probeSeries.count == 1)
        #expect(series.latencies == run.state.samples.map { ($0.endedAt - $0.startedAt).nanoseconds })
        #expect(series.failures == run.state.samples.filter { !$0.passed }.count)
        #expect(series.failures == 2)
        #expect(series.lastSummary == "HTTP 200 OK")
    }

    @Test func aTimeoutNamesTheLatestSampleWithoutTheSamples() {
        var run = ScriptedRun(DrillMachineWaitForTests.scenario(timeout: .seconds(3)))
        run.start()
        let ref = DrillMachineWaitForTests.ref
        run.begin(ref)
        run.sample(ref, passed: false, summary: "HTTP 503 one")
        run.sample(ref, passed: false, summary: "HTTP 503 two")
        run.feed(.deadlinePassed(ref: ref, attempt: 1), at: t(3))
        let replayed = DrillMachine.replay(run.scenario, events: run.log, keepsSamples: false)
        #expect(replayed.state.attempts[0].summary == run.state.attempts[0].summary)
        #expect(run.state.attempts[0].summary?.contains("last: HTTP 503 two") == true)
    }

    /// Brute force, as the machine asked the samples before it kept a history of them.
    static func scan(_ samples: [RunState.Sample], passed: Bool, before limit: DrillInstant, polled: (StepRef, Int) -> Bool) -> DrillInstant? {
        samples.last { $0.passed == passed && $0.startedAt < limit && polled($0.ref, $0.attempt) }?.startedAt
    }

    @Test func theHistoryAnswersAsTheSamplesDoOrSaysItCannot() {
        var random = SplitMix64(seed: 11)
        var answered = 0, deferred = 0
        for _ in 0..<400 {
            var history = RunState.ProbeHistory()
            var samples: [RunState.Sample] = []
            var clock: Int64 = 0
            let steps = [StepRef.phase(0, 0), .phase(1, 0), .steadyAfter(0)]
            // Mostly forward in time, as a run's probes are; now and then equal or earlier starts, as a forged record's may be.
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                let ref = steps.randomElement(using: &random)!
                let attempt = Int.random(in: 1...3, using: &random)
                clock += [0, 1, 1, 1, 2, 5, -3].randomElement(using: &random)!
                let passed = Bool.random(using: &random)
                let sampled = ProbeSampled(ref: ref, attempt: attempt, sample: samples.count + 1,
                                           report: DriverReport(verdict: passed ? .passed : .failed, summary: ""),
                                           startedAt: DrillInstant(nanoseconds: clock), endedAt: DrillInstant(nanoseconds: clock + 1))
                history.add(sampled)
                samples.append(.init(ref: ref, attempt: attempt, sample: samples.count + 1, passed: passed, startedAt: sampled.startedAt,
                                     endedAt: sampled.endedAt, summary: ""))
            }
            let polledAttempts = Set((0..<Int.random(in: 1...6, using: &random)).map { _ in
                "\(steps.randomElement(using: &random)!)#\(Int.random(in: 1...3, using: &random))"
            })
            let polled = { (ref: StepRef, attempt: Int) in polledAttempts.contains("\(ref)#\(attempt)") }
            for _ in 0..<5 {
                let limit = DrillInstant(nanoseconds: Int64.random(in: (min(clock, 0) - 5)...(clock + 3), using: &random))
                let passed = Bool.random(using: &random)
                switch history.latestStart(passed: passed, before: limit, polled: polled) {
                case .start(let start):
                    #expect(start == Self.scan(samples, passed: passed, before: limit, polled: polled))
                    answered += 1
                case .needsEverySample:
                    deferred += 1
                }
            }
        }
        #expect(answered > deferred)
        #expect(deferred > 0, "the out-of-order cases were not reached")
    }

    @Test func theNextProbesSlotIsTheOneTheGridWalkFinds() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let first = Int64(random.next() % 50) + 1
            let start = DrillInstant(nanoseconds: Int64(random.next() % 1_000) - 200)
            let every = DrillDuration(nanoseconds: Int64(random.next() % 40) + 1)
            let end = DrillInstant(nanoseconds: Int64(random.next() % 3_000) - 500)
            var walked = first
            while start + every * walked < end { walked += 1 }
            #expect(DrillMachine.firstSlot(from: first, start: start, every: every, notBefore: end) == walked)
        }
    }

    @Test func probesOfOneAttemptOutOfOrderAreReplayedKeepingTheSamples() {
        // The earlier attempt's failing probes straddle the instant the later one's streak starts:
        // only the samples tell which failed last before it, so a replay keeping none says so.
        var run = ScriptedRun(DrillMachineWaitForTests.scenario(timeout: .seconds(2), retries: 1))
        run.start()
        let ref = DrillMachineWaitForTests.ref
        run.begin(ref)
        run.sample(ref, passed: false, from: t(0))
        run.sample(ref, passed: false, from: t(1.5), taking: .milliseconds(10))
        run.feed(.deadlinePassed(ref: ref, attempt: 1), at: t(2))
        run.begin(ref, at: t(2))
        run.feed(.probeSampled(ProbeSampled(ref: ref, attempt: 2, sample: 1, report: DriverReport(verdict: .passed, summary: "HTTP 200 OK"),
                                            startedAt: t(1), endedAt: t(1.1))), at: t(2.1))
        let replayed = DrillMachine.replay(run.scenario, events: run.log, keepsSamples: false)
        #expect(replayed.state.needsEverySample)
        #expect(!run.state.needsEverySample)
        #expect(run.state.mark("up")?.lower == t(0))
    }
}
