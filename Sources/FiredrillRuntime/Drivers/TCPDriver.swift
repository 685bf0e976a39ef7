import FiredrillCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Performs `.tcp` probes: a real TCP connect, closed as soon as it succeeds.
/// Runs on NIO's event loops, so a slow connect holds no thread.
public struct TCPDriver: Driver {
    /// The connect timeout when the step sets none.
    public var defaultTimeout: DrillDuration

    public init(defaultTimeout: DrillDuration = .seconds(10)) {
        self.defaultTimeout = defaultTimeout
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let tcp = action.as(ResolvedTCP.self) else {
            return DriverReport(verdict: .error, summary: "the TCP driver cannot perform: \(action.summary)")
        }
        return await connect(host: tcp.host, port: tcp.port, timeout: tcp.timeout, deadline: deadline.continuous)
    }

    public func connect(host: String, port: Int, timeout: DrillDuration?, deadline: ContinuousClock.Instant?) async -> DriverReport {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard (1...65535).contains(port) else {
            return DriverReport(verdict: .error, summary: "invalid port \(port) for \(host)")
        }
        if Task.isCancelled { return DriverReport(verdict: .cancelled, summary: "cancelled before connecting") }

        // The step's own timeout expiring is the probe saying no; the drill's deadline is a timeout.
        var limit = Duration.nanoseconds((timeout ?? defaultTimeout).nanoseconds)
        var deadlineBound = false
        if let deadline {
            let left = deadline - .now
            if left <= .zero { return DriverReport(verdict: .timedOut, summary: "timed out before connecting") }
            if left < limit {
                limit = left
                deadlineBound = true
            }
        }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        let future = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(max(1_000_000, nanoseconds)))
            .connect(host: host, port: port)

        let slot = OneShot<Result<any Channel, any Error>?>()
        future.whenComplete { result in
            // Whoever came second (a cancelled probe) still owns a connected channel: close it.
            if !slot.deliver(result), case .success(let channel) = result { channel.close(promise: nil) }
        }
        let result = await withTaskCancellationHandler {
            await slot.value()
        } onCancel: {
            _ = slot.deliver(nil)
        }

        switch result {
        case nil:
            return DriverReport(verdict: .cancelled, summary: "cancelled while connecting to \(target)")
        case .success(let channel)?:
            channel.close(promise: nil)
            return DriverReport(verdict: .passed, summary: "connected to \(target)")
        case .failure(let error)?:
            if Self.isTimeout(error) {
                let after = ProcessDriver.seconds(limit)
                return deadlineBound
                    ? DriverReport(verdict: .timedOut, summary: "timed out after \(after) connecting to \(target) (step deadline)")
                    : DriverReport(verdict: .failed, summary: "connect to \(target) timed out after \(after)")
            }
            return DriverReport(verdict: .failed, summary: Self.describe(error, target: target, host: host))
        }
    }

    static func isTimeout(_ error: any Error) -> Bool {
        if case ChannelError.connectTimeout = error { return true }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.contains { isTimeout($0.error) }
        }
        return false
    }

    static func describe(_ error: any Error, target: String, host: String) -> String {
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "host not found: \(host)"
            }
            if let first = error.connectionErrors.first {
                return describe(first.error, target: target, host: host)
            }
            return "cannot connect to \(target)"
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused to \(target)"
            case ENETUNREACH: return "network unreachable for \(target)"
            case EHOSTUNREACH: return "host unreachable: \(target)"
            case ECONNRESET: return "connection reset by \(target)"
            default: return "cannot connect to \(target): \(String(cString: strerror(error.errnoCode)))"
            }
        }
        if error is SocketAddressError { return "host not found: \(host)" }
        return "cannot connect to \(target): \(error)"
    }
}
