#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure with a message meant for the person running the command.
public struct SampleServiceError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Describes the current `errno` after a failed system call.
    static func posix(_ what: String, errno code: Int32 = errno) -> SampleServiceError {
        SampleServiceError("\(what): \(String(cString: strerror(code)))")
    }
}
