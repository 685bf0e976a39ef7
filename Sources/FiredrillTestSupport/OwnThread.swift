import Foundation

/// Runs seconds of CPU-bound work on a thread of its own, one such piece of work at a time.
/// A test that holds one of the cooperative pool's threads (two on a two-core machine) for that
/// long starves every test running beside it, and their own deadlines then fail them; two dozen
/// such pieces at once would take both cores from them all the same.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            cpuBoundWork.lock()
            let result = body()
            cpuBoundWork.unlock()
            continuation.resume(returning: result)
        }
        // The YAML reader recurses; give it the stack a main thread has.
        thread.stackSize = 16 << 20
        thread.start()
    }
}

private let cpuBoundWork = NSLock()
