import Synchronization

/// Lets the executor stop one child of its task group: the child races its work against
/// this signal, as a timeout races a service in a ServiceGroup.
final class CancellationSignal: Sendable {
    private struct State {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func fire() {
        let waiting = state.withLock { state in
            state.fired = true
            defer { state.continuation = nil }
            return state.continuation
        }
        waiting?.resume()
    }

    /// Returns when fired, or when the waiting task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.fired || Task.isCancelled { return true }
                    state.continuation = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }?.resume()
        }
    }

    var isFired: Bool { state.withLock { $0.fired } }
}
