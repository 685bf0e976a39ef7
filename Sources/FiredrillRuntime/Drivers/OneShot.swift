import Synchronization

/// A value delivered once, to one waiter, by whichever of several parties gets there first.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case delivered(Value)
        case taken
    }

    private let state = Mutex<State>(.empty)

    /// Hands over `value`; false when something was delivered before.
    func deliver(_ value: Value) -> Bool {
        let waiter: CheckedContinuation<Value, Never>?
        let accepted: Bool
        (waiter, accepted) = state.withLock { state in
            switch state {
            case .empty:
                state = .delivered(value)
                return (nil, true)
            case .waiting(let continuation):
                state = .taken
                return (continuation, true)
            case .delivered, .taken:
                return (nil, false)
            }
        }
        waiter?.resume(returning: value)
        return accepted
    }

    /// Waits for the value; only one caller may wait.
    func value() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                if case .delivered(let value) = state {
                    state = .taken
                    return value
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
