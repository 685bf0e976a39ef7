import Foundation

/// One line of the truth log.
public struct TruthEvent: Codable, Sendable, Equatable {
    /// `started`, `listening`, `alive`, `write`, `backup`, `restored` or `stopping`.
    public var event: String
    public var pid: Int32
    /// CLOCK_MONOTONIC, system-wide.
    public var monoNs: UInt64
    /// CLOCK_REALTIME.
    public var wallNs: UInt64
    /// `started` (as requested; 0 for a free port) and `listening` (as bound).
    public var port: Int?
    /// `write`, `backup`, `restored`; on `started`, the highest seq the process loaded from disk.
    public var seq: Int?
    /// `backup` and `restored`: the backup file (null when restore found no backup).
    public var file: String?
    /// `started`: the heartbeat interval.
    public var heartbeatNs: UInt64?

    enum CodingKeys: String, CodingKey {
        case event, pid, port, seq, file
        case monoNs = "mono_ns"
        case wallNs = "wall_ns"
        case heartbeatNs = "heartbeat_ns"
    }

    public init(
        event: String, pid: Int32, monoNs: UInt64, wallNs: UInt64,
        port: Int? = nil, seq: Int? = nil, file: String? = nil, heartbeatNs: UInt64? = nil
    ) {
        self.event = event
        self.pid = pid
        self.monoNs = monoNs
        self.wallNs = wallNs
        self.port = port
        self.seq = seq
        self.file = file
        self.heartbeatNs = heartbeatNs
    }

    public init(line: some StringProtocol) throws {
        self = try JSONDecoder().decode(TruthEvent.self, from: Data(line.utf8))
    }
}
