import FiredrillCore
@testable import FiredrillRuntime
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("TCPDriver against real sockets on 127.0.0.1")
struct TCPDriverTests {
    let driver = TCPDriver()
    let limits = DriverLimits()

    @Test func listeningPortConnects() async throws {
        let listener = try #require(TCPTestListener(backlog: 16))
        defer { listener.stop() }
        let report = await driver.perform(.tcp(host: "127.0.0.1", port: listener.port, timeout: .seconds(5)), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.summary == "connected to 127.0.0.1:\(listener.port)")
    }

    @Test func closedPortIsRefused() async {
        let report = await driver.perform(.tcp(host: "127.0.0.1", port: 1, timeout: .seconds(5)), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "connection refused to 127.0.0.1:1")
    }

    @Test func unansweredConnectTimesOut() async throws {
        // A listener whose accept queue is full drops new SYNs, so the connect hangs.
        let listener = try #require(TCPTestListener(backlog: 0))
        defer { listener.stop() }
        let fillers = listener.fillAcceptQueue()
        defer { fillers.forEach { _ = close($0) } }

        let report = await driver.perform(.tcp(host: "127.0.0.1", port: listener.port, timeout: .milliseconds(500)), deadline: .none, limits: limits)
        #expect(report.verdict == .failed)
        #expect(report.summary == "connect to 127.0.0.1:\(listener.port) timed out after 0.5s")

        let bounded = await driver.perform(
            .tcp(host: "127.0.0.1", port: listener.port, timeout: nil), deadline: DriverTestSupport.deadline(in: .milliseconds(500)), limits: limits)
        #expect(bounded.verdict == .timedOut)
    }

    @Test func cancellationStopsTheConnect() async throws {
        let listener = try #require(TCPTestListener(backlog: 0))
        defer { listener.stop() }
        let fillers = listener.fillAcceptQueue()
        defer { fillers.forEach { _ = close($0) } }

        let driver = driver
        let limits = limits
        let port = listener.port
        let task = Task { await driver.perform(.tcp(host: "127.0.0.1", port: port, timeout: .seconds(60)), deadline: .none, limits: limits) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let started = ContinuousClock.now
        let report = await task.value
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .cancelled)
    }

    @Test func invalidPortIsAnError() async {
        let report = await driver.perform(.tcp(host: "127.0.0.1", port: 0, timeout: nil), deadline: .none, limits: limits)
        #expect(report.verdict == .error)
    }
}

/// A listening TCP socket on 127.0.0.1 and an ephemeral port, never accepting.
struct TCPTestListener {
    let fd: Int32
    let port: Int

    init?(backlog: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && listen(fd, backlog) == 0
                    && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else {
            _ = close(fd)
            return nil
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Opens non-blocking connections until the accept queue is full; returns their descriptors.
    func fillAcceptQueue() -> [Int32] {
        (0..<4).compactMap { _ in
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard client >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            return client
        }
    }

    func stop() {
        _ = close(fd)
    }
}
