import FiredrillCore
import FiredrillRuntime
import Foundation

/// A driver that answers from a script instead of touching the system: each action's
/// summary maps to a queue of reports (the last one repeats), optionally after a delay.
/// Every call is logged, so tests can check what ran and how often.
public final class ScriptedDriver: Driver, @unchecked Sendable {
    public struct Reply: Sendable {
        public var report: DriverReport
        public var delay: Duration
        /// Done as the reply is given (after its delay): what the world does at that moment.
        public var effect: (@Sendable () -> Void)?
        public init(_ report: DriverReport, after delay: Duration = .zero, then effect: (@Sendable () -> Void)? = nil) {
            self.report = report
            self.delay = delay
            self.effect = effect
        }
        public static func pass(_ summary: String = "ok", after delay: Duration = .zero, stdout: String? = nil,
                                then effect: (@Sendable () -> Void)? = nil) -> Reply {
            Reply(DriverReport(verdict: .passed, summary: summary,
                               stdout: stdout.map { CapturedOutput(text: $0, keptBytes: $0.utf8.count, totalBytes: $0.utf8.count) }),
                  after: delay, then: effect)
        }
        public static func fail(_ summary: String = "failed", after delay: Duration = .zero) -> Reply {
            Reply(DriverReport(verdict: .failed, summary: summary), after: delay)
        }
    }

    private let lock = NSLock()
    private var script: [String: [Reply]]
    private var fallback: Reply
    private var calls: [ResolvedAction] = []

    public init(_ script: [String: [Reply]] = [:], otherwise fallback: Reply = .pass()) {
        self.script = script
        self.fallback = fallback
    }

    /// Replaces the replies for actions whose summary contains `key`.
    public func script(_ key: String, _ replies: [Reply]) {
        lock.lock()
        script[key] = replies
        lock.unlock()
    }

    public var performed: [ResolvedAction] {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }

    private func nextReply(for action: ResolvedAction) -> Reply {
        lock.withLock {
            calls.append(action)
            let summary = action.summary
            let key = script.keys.sorted().first { summary.contains($0) }
            var reply = fallback
            if let key, var queue = script[key], !queue.isEmpty {
                reply = queue[0]
                if queue.count > 1 { queue.removeFirst() }
                script[key] = queue
            }
            return reply
        }
    }

    public func count(_ key: String) -> Int { performed.filter { $0.summary.contains(key) }.count }

    /// Takes the reply's delay on the deadline's clock (the run's), and times out like a real
    /// driver when the deadline comes first.
    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        let reply = nextReply(for: action)
        if reply.delay > .zero || deadline.hasPassed {
            do {
                if try await deadline.sleep(for: reply.delay) {
                    return DriverReport(verdict: .timedOut, summary: "timed out after the deadline (scripted)")
                }
            } catch {
                return DriverReport(verdict: .cancelled, summary: "cancelled")
            }
        }
        reply.effect?()
        return reply.report
    }
}
