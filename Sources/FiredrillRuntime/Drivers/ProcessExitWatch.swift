import Dispatch
import FiredrillSystemShims
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The command's exit, awaited rather than polled: a pidfd that the kernel makes readable when
/// the process exits, watched by a dispatch source (epoll underneath, no thread held). Where
/// pidfds are missing (Linux before 5.3) it is nil and the supervisor polls.
final class ProcessExitWatch: @unchecked Sendable {
    private let source: DispatchSourceRead
    private let lock = NSLock()
    private var exited = false
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var cancelled: Set<UInt64> = []
    private var nextID: UInt64 = 0

    init?(pid: pid_t) {
        let fd = firedrill_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: .global())
        source.setEventHandler { [weak self] in self?.fire() }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    deinit { source.cancel() }

    private func fire() {
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            exited = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        source.cancel()
        for waiter in woken { waiter.resume() }
    }

    /// Returns once the process has exited, `limit` has passed, or the task is cancelled.
    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.untilExit() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func untilExit() async {
        let id: UInt64 = lock.withLock { nextID += 1; return nextID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if exited || cancelled.remove(id) != nil { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = lock.withLock {
                if let waiter = waiters.removeValue(forKey: id) { return waiter }
                cancelled.insert(id)  // cancelled before it was stored: it resumes at once when it is
                return nil
            }
            waiter?.resume()
        }
    }
}
