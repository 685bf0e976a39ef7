import FiredrillCore
import Testing

@Suite("DrillMachine: wait_for")
struct DrillMachineWaitForTests {
    static let ref = StepRef.phase(0, 0)
    static let probe = Drill.healthAction

    static func scenario(expect: ProbeExpectation = .pass, every: DrillDuration = .seconds(1), consecutive: Int = 1,
                         timeout: DrillDuration? = nil, retries: Int = 0) -> Scenario {
        let wait = WaitFor(probe: Drill.health, expect: expect, every: every, consecutive: consecutive)
        return Drill.phases([Phase(name: "wait", steps: [
            Step(name: "wait up", action: .waitFor(wait), timeout: timeout, retries: retries, mark: "up"),
        ])])
    }

    @Test func streakResetsOnAnOppositeResult() {
        let ref = Self.ref
        var run = ScriptedRun(Self.scenario(consecutive: 2))
        run.start()
        #expect(run.begin(ref) == [.sampleProbe(ref, attempt: 1, sample: 1, action: Self.probe, at: .start)])
        #expect(run.sample(ref, passed: true) == [.sampleProbe(ref, attempt: 1, sample: 2, action: Self.probe, at: t(1))])
        // The opposite result breaks the streak of one.
        #expect(run.sample(ref, passed: false) == [.sampleProbe(ref, attempt: 1, sample: 3, action: Self.probe, at: t(2))])
        #expect(run.sample(ref, passed: true) == [.sampleProbe(ref, attempt: 1, sample: 4, action: Self.probe, at: t(3))])
        #expect(run.sample(ref, passed: true) == [.finish(.completed)])

        // The mark is the start of the streak's first probe, bounded below by the last opposite probe's start
        // and above by its own end (not the second probe's).
        #expect(run.state.marks == [Mark(name: "up", at: t(2), lower: t(1), upper: t(2.1), ref: ref, probeInterval: .seconds(1))])
        let attempt = run.state.attempts[0]
        #expect(attempt.samples == 4)
        #expect(attempt.verdict == .passed)
        #expect(attempt.endedAt == t(3.1))
        #expect(attempt.summary == "passed after 4 probes: HTTP 200 OK")
        #expect(run.state.samples.map(\.passed) == [true, false, true, true])
    }

    @Test func streakFromTheFirstProbeOfTheRunIsBoundedByTheWaitsStart() {
        var run = ScriptedRun(Self.scenario(every: .seconds(5), consecutive: 2))
        run.start()
        run.begin(Self.ref, at: t(1))
        run.sample(Self.ref, passed: true)
        run.sample(Self.ref, passed: true)
        #expect(run.state.mark("up") == Mark(name: "up", at: t(1), lower: t(1), upper: t(1.1), ref: Self.ref, probeInterval: .seconds(5)))
    }

    @Test func streakFromTheFirstProbeIsBoundedByTheLatestOppositeProbeEarlierInTheRun() {
        // Verify's first probe already passes: the service came back after detect's last failing probe (4.2s).
        var run = ScriptedRun.fourPhase()
        run.warmUp()
        run.injectDisaster()
        run.detect()
        run.restore()
        run.begin(.verify)
        for _ in 1...3 { run.sample(.verify, passed: true) }
        // The probes either side of the change are 7.8s apart: that, not the 2s period, is the resolution.
        #expect(run.state.mark("recovered") == Mark(name: "recovered", at: t(12), lower: t(4.2), upper: t(12.1), ref: .verify,
                                                     probeInterval: secs(7.8), probePeriod: .seconds(2)))
    }

    @Test func earlierProbesOfAnotherTargetDoNotBoundTheMark() {
        // Detect watches the TCP port fail; verify's HTTP probe passes at once: the port's failure says nothing about HTTP.
        let tcp = Probe.tcp(TCPProbe(address: "db.internal:5432"))
        var run = ScriptedRun(Drill.phases([
            Phase(name: "detect", steps: [Step(name: "port closed", action: .waitFor(WaitFor(probe: tcp, expect: .fail)), mark: "detected")]),
            Phase(name: "verify", steps: [Step(name: "health", action: .waitFor(WaitFor(probe: Drill.health)), mark: "recovered")]),
        ]))
        run.start()
        run.begin(.phase(0, 0))
        run.sample(.phase(0, 0), passed: false)
        run.begin(.phase(1, 0), at: t(5))
        run.sample(.phase(1, 0), passed: true)
        do {
            #expect(run.state.mark("recovered")?.lower == t(5))
        }
    }

    @Test func expectFailCountsFailures() {
        var run = ScriptedRun(Self.scenario(expect: .fail))
        run.start()
        run.begin(Self.ref)
        #expect(run.sample(Self.ref, passed: false) == [.finish(.completed)])
        #expect(run.state.attempts[0].summary == "failed as expected after 1 probe: HTTP 503 Service Unavailable")
    }

    @Test func deadlineFailsTheWaitAsTimedOut() {
        let ref = Self.ref
        var run = ScriptedRun(Self.scenario(timeout: .seconds(5)))
        run.start()
        #expect(run.begin(ref) == [
            .sampleProbe(ref, attempt: 1, sample: 1, action: Self.probe, at: .start),
            .armDeadline(ref, attempt: 1, at: t(5)),
        ])
        for _ in 1...5 { run.sample(ref, passed: false) }
        #expect(run.records.last?.actions == [.sampleProbe(ref, attempt: 1, sample: 6, action: Self.probe, at: t(5))])
        // The probe in flight is cancelled; nothing owed, no teardown: the run can finish.
        #expect(run.feed(.deadlinePassed(ref: ref, attempt: 1), at: t(5)) == [.cancel(.sample(ref, 1, 6)), .finish(.failed)])

        let summary = "timed out after 5s waiting for the probe to pass 1x (5 probes, last: HTTP 503 Service Unavailable)"
        let attempt = run.state.attempts[0]
        #expect(attempt.verdict == .timedOut)
        #expect(attempt.endedAt == t(5))
        #expect(attempt.summary == summary)
        #expect(run.state.deviations.map(\.message) == ["step 'wait up' timed out: \(summary)"])
        #expect(run.state.stepsFailed == [ref])
        #expect(run.state.mark("up") == nil)

        // The probe in flight finished before it saw the cancel: its late report must not rewrite the attempt's account.
        run.sample(ref, passed: false, taking: .milliseconds(50))
        #expect(run.state.attempts[0].verdict == .timedOut)
        #expect(run.state.attempts[0].endedAt == t(5))
        do {
            #expect(run.state.attempts[0].summary == summary)
        }
    }

    @Test func timedOutWaitRetriesOnAFreshGrid() {
        let ref = Self.ref
        var run = ScriptedRun(Self.scenario(timeout: .seconds(3), retries: 1))
        run.start()
        run.begin(ref)
        run.sample(ref, passed: false)
        run.sample(ref, passed: false)
        #expect(run.feed(.deadlinePassed(ref: ref, attempt: 1), at: t(3)) == [
            .cancel(.sample(ref, 1, 3)), .startAttempt(ref, attempt: 2, at: t(4)),
        ])
        // The first attempt's last probe (2–3.5s) reports late, passing: it must not count for the retry.
        #expect(run.sample(ref, passed: true, from: t(2), taking: secs(1.5)) == [])
        #expect(run.state.current?.progress == .scheduled(attempt: 2, at: t(4)))
        #expect(run.begin(ref) == [
            .sampleProbe(ref, attempt: 2, sample: 1, action: Self.probe, at: t(4)),
            .armDeadline(ref, attempt: 2, at: t(7)),
        ])
        #expect(run.sample(ref, passed: true) == [.cancel(.deadline(ref, 2)), .finish(.completed)])
        #expect(run.state.attempts.map(\.verdict) == [.timedOut, .passed])
        #expect(run.state.mark("up")?.at == t(4))
    }

    @Test func lateSampleSkipsGridSlotsInsteadOfBursting() {
        let ref = Self.ref
        var run = ScriptedRun(Self.scenario(consecutive: 3))
        run.start()
        run.begin(ref)
        // Sample 1 runs 0–2.5s: slots 1s and 2s are gone, the next probe keeps to the grid at 3s.
        #expect(run.sample(ref, passed: true, taking: secs(2.5)) == [.sampleProbe(ref, attempt: 1, sample: 2, action: Self.probe, at: t(3))])
        // Sample 2 starts late (3.4s) but ends before 4s: no slot lost.
        #expect(run.sample(ref, passed: true, from: t(3.4)) == [.sampleProbe(ref, attempt: 1, sample: 3, action: Self.probe, at: t(4))])
        // A sample ending exactly on a slot may start right then.
        #expect(run.sample(ref, passed: false, taking: .seconds(1)) == [.sampleProbe(ref, attempt: 1, sample: 4, action: Self.probe, at: t(5))])
    }

    @Test func deadlineAfterTheWaitPassedChangesNothing() {
        let ref = Self.ref
        var run = ScriptedRun(Self.scenario(timeout: .seconds(10)))
        run.start()
        run.begin(ref)
        #expect(run.sample(ref, passed: true) == [.cancel(.deadline(ref, 1)), .finish(.completed)])
        let before = run.machine
        #expect(run.feed(.deadlinePassed(ref: ref, attempt: 1), at: t(10)) == [])
        #expect(run.machine == before)
    }
}
