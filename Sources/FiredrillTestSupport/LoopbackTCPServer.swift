import FiredrillRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bare TCP server on 127.0.0.1 for tests that need a peer no HTTP library would be: one that
/// accepts and never answers, answers garbage, or echoes the raw request. Each connection gets a
/// thread of its own running `handler`; `stop()` closes every socket and waits for the threads.
public final class LoopbackTCPServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var open: Set<Int32> = []
    private var running = 0
    private var stopped = false

    private var fillers: [Int32] = []

    /// Serves each connection with `handler`; with `handler` nil, never accepts.
    public init(backlog: Int32 = 16, _ handler: (@Sendable (LoopbackTCPConnection) -> Void)?) throws {
        var lastError = "no port"
        for _ in 0..<20 {
            let port = try LoopbackPort.free()
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw LoopbackTCPServerError("socket: \(String(cString: strerror(errno)))") }
            var yes: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0, listen(fd, backlog) == 0 {
                self.port = port
                self.listener = fd
                if let handler {
                    let thread = Thread { [self] in acceptLoop(handler) }
                    thread.start()
                }
                return
            }
            lastError = "bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))"
            close(fd)
        }
        throw LoopbackTCPServerError(lastError)
    }

    /// A listener that never accepts, its one-place backlog filled: a connect to it is never
    /// completed (the kernel drops the SYN), as with a host that has vanished.
    public static func unaccepted() throws -> LoopbackTCPServer {
        let server = try LoopbackTCPServer(backlog: 0, nil)
        for _ in 0..<2 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(server.port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            server.fillers.append(fd)
        }
        usleep(100_000)
        return server
    }

    public var base: String { "http://127.0.0.1:\(port)" }

    private func acceptLoop(_ handler: @escaping @Sendable (LoopbackTCPConnection) -> Void) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = lock.withLock {
                guard !stopped else { return false }
                open.insert(fd)
                running += 1
                return true
            }
            guard admitted else {
                close(fd)
                return
            }
            let connection = LoopbackTCPConnection(fd: fd, server: self)
            let thread = Thread { [self] in
                handler(connection)
                lock.withLock {
                    if open.remove(fd) != nil { close(fd) }
                    running -= 1
                }
            }
            thread.start()
        }
    }

    var isStopped: Bool { lock.withLock { stopped } }

    /// Closes the listener and every connection, and waits (up to 10 s) for the handlers to return.
    public func stop() {
        let (fds, already) = lock.withLock {
            let already = stopped
            stopped = true
            return (open, already)
        }
        guard !already else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
        for fd in lock.withLock({ fillers }) { close(fd) }
        let end = Date().addingTimeInterval(10)
        while lock.withLock({ running }) > 0, Date() < end { usleep(10_000) }
    }

    deinit { stop() }
}

/// One accepted connection, for a `LoopbackTCPServer` handler.
public struct LoopbackTCPConnection: Sendable {
    let fd: Int32
    unowned(unsafe) let server: LoopbackTCPServer

    /// Whether the server is stopping: a handler that waits should return.
    public var isStopped: Bool { server.isStopped }

    /// The request's head and body (by its Content-Length), or what came before the peer closed.
    public func readRequest(limit: Int = 1 << 20) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var needed: Int?
        while bytes.count < limit {
            if needed == nil, let end = Self.endOfHead(bytes) {
                needed = end + Self.contentLength(bytes[..<end])
            }
            if let needed, bytes.count >= needed { break }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }

    /// Writes all of `bytes`; false once the peer is gone.
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var sent = 0
        while sent < array.count {
            let count = array.withUnsafeBytes { send(fd, $0.baseAddress! + sent, array.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Waits until the server stops or `limit` passes, holding the connection open and silent.
    public func hold(upTo limit: Duration) {
        let end = ContinuousClock.now + limit
        while !isStopped, ContinuousClock.now < end { usleep(20_000) }
    }

    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    static func contentLength(_ head: ArraySlice<UInt8>) -> Int {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return 0
    }
}

public struct LoopbackTCPServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
