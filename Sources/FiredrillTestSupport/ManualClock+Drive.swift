import FiredrillRuntime
import Foundation
import Synchronization

extension ManualClock {
    /// The run cannot go on by moving the clock: a child waits on something else (a terminal,
    /// a real driver) with the loop unmoved for a minute of real time, or the clock ran on past
    /// `limit` of the run's time with nothing but polls to wake.
    public struct Stuck: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `body` (a `DrillExecutor.start` or `resume`, handed `configure` to pass on) and
    /// moves the clock to its next wake whenever the executor is quiet: its loop waits and
    /// every child is parked on this clock. Time moves only then, so each instant recorded
    /// is the one the scenario and the script imply, however loaded the machine is.
    public func drive(limit: Duration = .seconds(24 * 3600),
                      _ body: @escaping @Sendable (_ configure: @escaping @Sendable (DrillExecutor) -> Void) async throws -> RunOutcome)
        async throws -> RunOutcome {
        final class Watch: Sendable {
            let quiescence = Mutex<Quiescence?>(nil)
            let finished = Atomic<Bool>(false)
        }
        let watch = Watch()
        let task = Task {
            defer { watch.finished.store(true, ordering: .sequentiallyConsistent) }
            return try await body { executor in watch.quiescence.withLock { $0 = executor.quiescence } }
        }
        let startMono = now().monoNs
        var lastEpoch: UInt64?
        var unmovedSince = ContinuousClock.now
        while !watch.finished.load(ordering: .sequentiallyConsistent) {
            let quiescence = watch.quiescence.withLock { $0 }
            if let quiescence {
                let epoch = quiescence.epoch
                if epoch != lastEpoch {
                    lastEpoch = epoch
                    unmovedSince = .now
                }
                if quiescence.isQuiet(parked: { pendingSleepers }), advanceToNextWake() {
                    unmovedSince = .now
                    guard now().monoNs - startMono <= limit.nanosecondsClamped else {
                        task.cancel()
                        throw Stuck(description: "the run's clock passed \(limit) with nothing but its polls to wake: the run waits on nothing")
                    }
                    continue
                }
            }
            if ContinuousClock.now - unmovedSince > .seconds(60) {
                task.cancel()
                throw Stuck(description: "the executor's loop has not moved for a minute of real time: a child waits on something other than the clock")
            }
            // Polls the executor's state in real time; the run's time is the manual clock's alone.
            try await Task.sleep(for: .microseconds(100))
        }
        return try await task.value
    }
}
