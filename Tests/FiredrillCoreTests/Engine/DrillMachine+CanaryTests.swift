import FiredrillCore
import Testing

@Suite("DrillMachine: canary")
struct DrillMachineCanaryTests {
    static let kill = StepRef.phase(0, 0)
    static let verify = StepRef.phase(1, 0)
    static let report = StepRef.phase(2, 0)

    /// kill (mark disaster) → verify (wait_for, mark recovered unless told) → report; canary every 1s.
    static func scenario(warmup: DrillDuration, recoveredMark: Bool = true, killOnFailure: FailurePolicy = .abort) -> Scenario {
        Scenario(
            name: "canary",
            canary: Canary(every: .seconds(1), warmup: warmup, write: .run(argv: ["canary-write"]), read: .run(argv: ["canary-read"])),
            phases: [
                Phase(name: "disaster", steps: [Step(name: "kill", action: Drill.killPrimary, onFailure: killOnFailure, mark: "disaster")]),
                Phase(name: "verify", steps: [
                    Step(name: "health", action: .waitFor(WaitFor(probe: Drill.health)), mark: recoveredMark ? "recovered" : nil),
                ]),
                Phase(name: "report", steps: [Drill.cmd("report")]),
            ]
        )
    }

    static func isWrite(_ action: DrillAction) -> Bool {
        if case .writeCanary = action { true } else { false }
    }

    @Test func writesKeepToTheGridAndSkipSlotsWhenSlow() {
        var run = ScriptedRun(Self.scenario(warmup: .seconds(10)))
        // Default warmup is three periods; here it is set to 10s.
        #expect(Canary(every: .seconds(2), write: .run(argv: []), read: .run(argv: [])).warmup == .seconds(6))
        #expect(run.start() == [.writeCanary(seq: 1, at: .start), .startAttempt(Self.kill, attempt: 1, at: t(10))])
        #expect(run.write() == [.writeCanary(seq: 2, at: t(1))])
        // Write 2 takes 2.4s: the 2s and 3s slots are gone, write 3 keeps to the grid at 4s.
        #expect(run.write(taking: secs(2.4)) == [.writeCanary(seq: 3, at: t(4))])
        // A failed write does not stop the canary.
        #expect(run.write(.failed) == [.writeCanary(seq: 4, at: t(5))])
        // A write that started late still lands on the next slot.
        #expect(run.write(from: t(5.5)) == [.writeCanary(seq: 5, at: t(6))])
        #expect(run.state.canary?.writes.map(\.seq) == [1, 2, 3, 4])
        #expect(run.state.canary?.writes.map(\.acknowledged) == [true, true, false, true])
        #expect(run.state.canary?.outstanding == 5)
    }

    @Test func disasterStopsWritesRecoveredAsksForTheReadAndFinishWaitsForIt() {
        var run = ScriptedRun(Self.scenario(warmup: .seconds(2)))
        run.start()
        run.write()
        run.write()
        run.begin(Self.kill)
        #expect(run.write() == [.writeCanary(seq: 4, at: t(3))])
        // The disaster stops the canary: the scheduled write is cancelled, no new one is asked for.
        #expect(run.end(Self.kill, at: t(2.1)) == [.cancel(.canaryWrite(4)), .startAttempt(Self.verify, attempt: 1, at: t(2.1))])
        #expect(run.state.canary?.stopped == true)
        #expect(run.state.canary?.stoppedAt == t(2.1))
        run.begin(Self.verify)
        // Recovered: the read is asked for then, before the last phase runs.
        #expect(run.sample(Self.verify, passed: true) == [.readCanary, .startAttempt(Self.report, attempt: 1, at: t(2.2))])
        // End of the phases: no second read; the run waits for the read.
        #expect(run.perform(Self.report) == [])
        // The cancelled write reporting late is recorded, and starts nothing.
        #expect(run.write(.cancelled, seq: 4, from: t(2.4), taking: .zero) == [])
        #expect(run.state.canary?.writes.last?.seq == 4)
        #expect(run.read(highest: 3) == [.finish(.completed)])
        #expect(run.issued.filter { $0 == .readCanary }.count == 1)
        #expect(run.issued.filter(Self.isWrite).count == 4)
    }

    @Test func readAtTheEndOfThePhasesWithoutARecoveredMark() {
        var run = ScriptedRun(Self.scenario(warmup: .seconds(1), recoveredMark: false))
        run.start()
        run.write()
        run.perform(Self.kill)
        run.begin(Self.verify)
        #expect(run.sample(Self.verify, passed: true) == [.startAttempt(Self.report, attempt: 1, at: t(1.2))])
        #expect(run.perform(Self.report) == [.readCanary])
        #expect(run.read(highest: 1) == [.finish(.completed)])
    }

    @Test func canaryStopsEvenWhenTheDisasterMarkIsNeverReached() {
        // The kill fails but the drill carries on: no disaster mark ever stops the canary.
        var run = ScriptedRun(Self.scenario(warmup: .seconds(1), killOnFailure: .continue))
        run.start()
        run.write()
        run.perform(Self.kill, .failed)
        run.write()
        run.begin(Self.verify)
        run.sample(Self.verify, passed: true)
        run.perform(Self.report)
        #expect(run.state.finishRequested)
        // The read was asked for; the writes in flight must wind down so the run can finish.
        do {
            #expect(!run.write().contains(where: Self.isWrite))
            #expect(run.read(highest: 3).contains(.finish(.completed)))
        }
    }
}
