import FiredrillRuntime
import Foundation
import Synchronization

extension ManualClock {
    /// The executor waited on something other than the clock (a terminal, a real driver) for
    /// a whole minute of real time while it was quiet: the test would hang.
    public struct Stuck: Error, CustomStringConvertible {
        public var description: String { "the executor is quiet with nobody sleeping on the clock: it waits on something else" }
    }

    /// Runs `body` (a `DrillExecutor.start` or `resume`, handed `configure` to pass on) and
    /// moves the clock to its next wake whenever the executor is quiet: its loop waits and
    /// every child is parked on this clock. Time moves only then, so each instant recorded
    /// is the one the scenario and the script imply, however loaded the machine is.
    public func drive(_ body: @escaping @Sendable (_ configure: @escaping @Sendable (DrillExecutor) -> Void) async throws -> RunOutcome)
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
        var idleSince: ContinuousClock.Instant?
        while !watch.finished.load(ordering: .sequentiallyConsistent) {
            let quiescence = watch.quiescence.withLock { $0 }
            if let quiescence, quiescence.isQuiet(parked: { pendingSleepers }) {
                if advanceToNextWake() {
                    idleSince = nil
                    continue
                }
                // Quiet and nobody asleep: the loop is about to see its group empty, or it is stuck.
                if let since = idleSince, ContinuousClock.now - since > .seconds(60) {
                    task.cancel()
                    throw Stuck()
                }
                idleSince = idleSince ?? .now
            }
            // Polls the executor's state in real time; the run's time is the manual clock's alone.
            try await Task.sleep(for: .microseconds(100))
        }
        return try await task.value
    }
}
