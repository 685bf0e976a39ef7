import Synchronization

/// Tells when an executor has nothing to do until its clock moves: the loop waits for a
/// child, and every child it started is parked on the clock. A test on `ManualClock` moves
/// the clock only then, so every instant a run records is exact.
public final class Quiescence: Sendable {
    struct State {
        /// Children started and not yet taken back by the loop (the inbox poll among them).
        var outstanding = 0
        var waiting = false
        /// Children told to stop that have not come back: on their way out, not parked.
        var cancelling = 0
        /// Changes with every move of the loop, so a reading taken across one is thrown away.
        var epoch: UInt64 = 0
    }
    let state = Mutex(State())

    public init() {}

    func started() { state.withLock { $0.outstanding += 1; $0.epoch &+= 1 } }
    func received() { state.withLock { $0.outstanding -= 1; $0.epoch &+= 1 } }
    func waiting(_ value: Bool) { state.withLock { $0.waiting = value; $0.epoch &+= 1 } }
    func cancelling(_ change: Int) { state.withLock { $0.cancelling += change; $0.epoch &+= 1 } }

    /// Moves with every step of the loop: unchanged for long, the run waits on something.
    public var epoch: UInt64 { state.withLock { $0.epoch } }

    /// Whether the loop waits and `parked()` (the clock's sleepers, read in between) accounts for
    /// every child, with nothing moving on the loop while it was read.
    public func isQuiet(parked: () -> Int) -> Bool {
        let before = state.withLock { $0 }
        guard before.waiting, before.cancelling == 0 else { return false }
        let sleepers = parked()
        let after = state.withLock { $0 }
        return after.epoch == before.epoch && sleepers == before.outstanding
    }
}
