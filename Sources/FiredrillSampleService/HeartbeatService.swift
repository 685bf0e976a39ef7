import ServiceLifecycle

/// Logs `alive` every interval, so the truth log pins down when the process stopped running to
/// within one heartbeat even when it is killed without warning; logs `stopping` as its last line
/// when shut down.
struct HeartbeatService: Service {
    let interval: Duration
    let truth: TruthLog

    func run() async throws {
        let interval = interval
        let truth = truth
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                truth.record("alive")
            }
        }
        // After the loop has ended, so no `alive` line can follow `stopping`.
        truth.record("stopping")
    }
}
