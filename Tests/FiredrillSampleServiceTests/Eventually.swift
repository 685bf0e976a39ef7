/// Polls `condition` until it holds; a hang guard, not a speed assertion, so `limit` is generous.
func eventually(
    _ what: String, within limit: Duration = .seconds(60), _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessError("timed out after \(limit) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
