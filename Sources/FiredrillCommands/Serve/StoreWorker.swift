import Dispatch
import FiredrillRuntime

/// The store's calls off the server's threads, one at a time: the store's API blocks (SQLite,
/// and PostgreSQL's one connection), and the cooperative pool that serves requests has as many
/// threads as cores.
final class StoreWorker: @unchecked Sendable {
    private let store: any DrillStore
    private let queue = DispatchQueue(label: "firedrill.serve.store")

    init(_ store: any DrillStore) { self.store = store }

    var location: String { store.location }

    func run<T: Sendable>(_ body: @escaping @Sendable (any DrillStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.store) }) }
        }
    }
}
