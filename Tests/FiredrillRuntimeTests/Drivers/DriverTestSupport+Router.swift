import Foundation
import Hummingbird
import Testing

extension DriverTestSupport {
    /// Serves `router` on a port of 127.0.0.1 the kernel picks, hands `body` its base URL, and
    /// stops the server after; `beforeStop` lets handlers still running finish first.
    static func serving(_ router: Router<BasicRequestContext>, beforeStop: @Sendable () async -> Void = {},
                        _ body: (_ base: String) async throws -> Void) async throws {
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in sink.yield(channel.localAddress?.port ?? 0); sink.finish() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try #require(port > 0)
            var failure: (any Error)?
            do { try await body("http://127.0.0.1:\(port)") } catch { failure = error }
            await beforeStop()
            group.cancelAll()
            if let failure { throw failure }
        }
    }
}
