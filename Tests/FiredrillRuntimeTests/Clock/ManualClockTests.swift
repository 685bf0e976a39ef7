import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Synchronization
import Testing

/// The test clock itself: sleepers due at one instant wake one at a time in the order they
/// went to sleep, and `drive` stops a run that outruns its limit instead of running forever.
@Suite struct ManualClockTests {
    @Test func sleepersDueAtOneInstantWakeOneAtATimeInOrder() async throws {
        let clock = ManualClock()
        final class Woken: Sendable { let names = Mutex<[String]>([]) }
        let woken = Woken()
        let target = clock.now().monoNs + 1_000_000_000
        var tasks: [Task<Void, any Error>] = []
        for name in ["first", "second", "third"] {
            tasks.append(Task {
                try await clock.sleep(untilMono: target)
                woken.names.withLock { $0.append(name) }
            })
            // Each is asleep before the next goes to sleep.
            while clock.pendingSleepers < tasks.count { await Task.yield() }
        }
        for expected in 1...3 {
            #expect(clock.advanceToNextWake())
            while woken.names.withLock({ $0.count }) < expected { await Task.yield() }
            #expect(clock.pendingSleepers == 3 - expected)
        }
        #expect(woken.names.withLock { $0 } == ["first", "second", "third"])
        #expect(clock.now().monoNs == target)
        #expect(!clock.advanceToNextWake())
        for task in tasks { try await task.value }
    }

    @Test func driveStopsARunThatOutrunsItsLimit() async throws {
        let scenario = Scenario(name: "long", phases: [Phase(name: "wait", steps: [Step(name: "a day", action: .sleep(.hours(24)))])])
        let clock = ManualClock()
        let store = InMemoryStore()
        await #expect(throws: ManualClock.Stuck.self) {
            _ = try await clock.drive(limit: .seconds(60)) { configure in
                try await DrillExecutor.start(ScenarioSource(scenario: scenario, path: "long.yaml", text: "", sha256: "00"), store: store,
                                              driver: SystemDriver(), clock: clock, console: TerminalConsole(interactive: false),
                                              progress: ProgressPrinter(enabled: false), configure: configure)
            }
        }
    }
}
