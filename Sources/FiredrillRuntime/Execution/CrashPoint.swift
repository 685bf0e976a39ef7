import Foundation

/// Fault injection for the crash-resume tests: `FIREDRILL_CRASH_AT=before:N` or `after:N`
/// makes the orchestrator SIGKILL itself just before or just after event N is durably
/// recorded, so every event boundary can be tested with a real kill -9.
enum CrashPoint {
    enum Side: String { case before, after }

    static let configured: (Side, Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["FIREDRILL_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let side = Side(rawValue: String(parts[0])), let seq = Int(parts[1]) else { return nil }
        return (side, seq)
    }()

    static func check(_ side: Side, seq: Int) {
        guard let (at, n) = configured, at == side, n == seq else { return }
        kill(getpid(), SIGKILL)
    }
}
