import FiredrillRuntime
import Foundation

/// A clock tests move by hand: `sleep` parks until `advance` passes its instant, so a
/// drill's timing is exact and instant to run.
public final class ManualClock: DrillClock, @unchecked Sendable {
    private let lock = NSLock()
    private var mono: Int64
    private var wall: Int64
    private var sleepers: [(until: Int64, continuation: CheckedContinuation<Void, any Error>, id: UInt64)] = []
    private var nextID: UInt64 = 0
    public let bootID: String

    public init(monoNs: Int64 = 1_000_000_000_000, wallNs: Int64 = 1_795_000_000_000_000_000, bootID: String = "manual-boot") {
        mono = monoNs
        wall = wallNs
        self.bootID = bootID
    }

    public func now() -> ClockReading {
        lock.lock()
        defer { lock.unlock() }
        return ClockReading(monoNs: mono, wallNs: wall)
    }

    public var pendingSleepers: Int {
        lock.lock()
        defer { lock.unlock() }
        return sleepers.count
    }

    /// The earliest instant someone is sleeping until.
    public var nextWake: Int64? {
        lock.lock()
        defer { lock.unlock() }
        return sleepers.map(\.until).min()
    }

    public func advance(by ns: Int64) {
        lock.lock()
        mono += ns
        wall += ns
        let due = sleepers.filter { $0.until <= mono }
        sleepers.removeAll { $0.until <= mono }
        lock.unlock()
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the next sleeper's instant (if any) and wakes that one sleeper alone, the
    /// first to go to sleep among those due then: sleepers due at the same instant wake one at a
    /// time, always in the same order, so a run's record is the same from one test run to the next.
    @discardableResult
    public func advanceToNextWake() -> Bool {
        lock.lock()
        guard let next = sleepers.indices.min(by: { (sleepers[$0].until, sleepers[$0].id) < (sleepers[$1].until, sleepers[$1].id) }) else {
            lock.unlock()
            return false
        }
        let sleeper = sleepers.remove(at: next)
        let delta = max(0, sleeper.until - mono)
        mono += delta
        wall += delta
        lock.unlock()
        sleeper.continuation.resume()
        return true
    }

    public func sleep(untilMono target: Int64) async throws {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if target <= mono {
                    lock.unlock()
                    continuation.resume()
                } else if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    sleepers.append((target, continuation, id))
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let cancelled = sleepers.filter { $0.id == id }
            sleepers.removeAll { $0.id == id }
            lock.unlock()
            for sleeper in cancelled { sleeper.continuation.resume(throwing: CancellationError()) }
        }
    }
}
