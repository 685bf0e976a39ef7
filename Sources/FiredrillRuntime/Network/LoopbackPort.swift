import Foundation

/// A TCP port on 127.0.0.1 that nothing listens on right now, for the demo and tests.
public enum LoopbackPort {
    /// A port on 127.0.0.1 that nothing holds, for a server the caller starts next. Chosen at
    /// random below the kernel's ephemeral range: the kernel hands ports in that range to every
    /// outgoing connection, and on a busy machine one of those took a port picked there
    /// (by binding port 0) before the server could bind it.
    public static func free() throws -> Int {
        let firstEphemeral = ephemeralRange()?.lowerBound ?? 32768
        guard firstEphemeral > 10_001 else { return try kernelChosen() }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let port = Int.random(in: 10_000..<firstEphemeral, using: &generator)
            if try isFree(port) { return port }
        }
        return try kernelChosen()
    }

    /// `/proc/sys/net/ipv4/ip_local_port_range`, where Linux has it.
    static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let bounds = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        return bounds[0]...bounds[1]
    }

    /// Whether 127.0.0.1:`port` can be bound now.
    static func isFree(_ port: Int) throws -> Bool {
        do {
            _ = try bound(port)
            return true
        } catch let error as LoopbackPortError where error.errno == EADDRINUSE || error.errno == EACCES {
            return false
        }
    }

    /// Binds 127.0.0.1:0 and returns the port the kernel chose.
    static func kernelChosen() throws -> Int { try bound(0) }

    /// Binds 127.0.0.1:`port`, closes the socket, and returns the port bound.
    private static func bound(_ port: Int) throws -> Int {
        let socket = try socketBound(to: port)
        close(socket.fd)
        return socket.port
    }

    /// A socket bound to 127.0.0.1:`port` (0: the kernel chooses), left open for the caller to close.
    static func socketBound(to port: Int) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackPortError("socket: \(String(cString: strerror(errno)))", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard result == 0 else {
            let error = LoopbackPortError("bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))", errno: errno)
            close(fd)
            throw error
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}

public struct LoopbackPortError: Error, CustomStringConvertible {
    public var description: String
    var errno: Int32
    init(_ description: String, errno: Int32) {
        self.description = description
        self.errno = errno
    }
}

extension String {
    /// A base URL ready for a path to be appended.
    public var withoutTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
