import FiredrillRuntime
import Foundation
import Synchronization
import Testing

@Suite struct SQLiteStoreMigrationsTests {
    /// Connections opening a fresh database at once: one migrates it, the others wait and find it
    /// migrated (StoreFailureTests has the same race between processes).
    @Test func concurrentOpensOfAFreshDatabaseAllSucceed() async throws {
        for _ in 1...10 {
            let dir = try StoreFixture.temporaryFolder("firedrill-migrate")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let db = dir + "/fresh.db"
            // Threads of their own, started together, so the opens really overlap.
            final class Failures: Sendable {
                let list = Mutex<[String]>([])
                func add(_ text: String) { list.withLock { $0.append(text) } }
            }
            let collected = Failures()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let group = DispatchGroup()
                for _ in 0..<6 {
                    group.enter()
                    Thread {
                        do { _ = try SQLiteStore(path: db) } catch { collected.add("\(error)") }
                        group.leave()
                    }.start()
                }
                group.notify(queue: .global()) { continuation.resume() }
            }
            let failures = collected.list.withLock { $0 }
            #expect(failures.isEmpty, "\(failures)")
        }
    }
}
