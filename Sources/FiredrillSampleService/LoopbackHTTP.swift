import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 client that can only talk to 127.0.0.1.
///
/// `start` uses it to wait for health, and tests use it to drive the service, without pulling an
/// HTTP client library into the service.
public enum LoopbackHTTP {
    public struct Reply: Sendable {
        public let status: Int
        /// Header names lowercased.
        public let headers: [String: String]
        public let body: String
    }

    /// Sends `method target` to 127.0.0.1:`port` with `Connection: close` and returns the reply.
    public static func request(
        _ method: String, _ target: String, port: Int, timeout: Duration = .seconds(10)
    ) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SampleServiceError.posix("socket") }
        defer { close(fd) }

        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw SampleServiceError.posix("connect 127.0.0.1:\(port)") }

        let request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        try DurableFile.writeAll(fd, Array(request.utf8), path: "127.0.0.1:\(port)")
        return try readReply(fd, port: port)
    }

    private static func readReply(_ fd: Int32, port: Int) throws -> Reply {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var head: (status: Int, headers: [String: String], bodyStart: Int)?
        while true {
            if let head, let length = head.headers["content-length"].flatMap(Int.init),
               received.count - head.bodyStart >= length {
                let body = received[head.bodyStart..<(head.bodyStart + length)]
                return Reply(status: head.status, headers: head.headers, body: String(decoding: body, as: UTF8.self))
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SampleServiceError.posix("read from 127.0.0.1:\(port)")
            }
            if count == 0 { break }
            received += buffer[0..<count]
            if head == nil { head = parseHead(received) }
        }
        guard let head else { throw SampleServiceError("127.0.0.1:\(port) closed the connection without a reply") }
        let body = received[head.bodyStart...]
        return Reply(status: head.status, headers: head.headers, body: String(decoding: body, as: UTF8.self))
    }

    private static func parseHead(_ bytes: [UInt8]) -> (status: Int, headers: [String: String], bodyStart: Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= separator.count,
              let end = (0...(bytes.count - separator.count)).first(where: { bytes[$0..<($0 + separator.count)].elementsEqual(separator) })
        else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, end + separator.count)
    }
}
