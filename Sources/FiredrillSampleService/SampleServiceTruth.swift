import Foundation

/// What the service itself saw of one outage, read from its truth log: the yardstick for the drill
/// engine's measured RTO and RPO.
public struct SampleServiceTruth: Codable, Sendable, Equatable {
    /// The last line the first process wrote (its last heartbeat or write): when it stopped running.
    public var downAtMonoNs: UInt64
    /// The `listening` line of the process started after the outage.
    public var upAtMonoNs: UInt64
    /// upAt − downAt: the outage as the service saw it, the truth for RTO.
    public var downtimeSeconds: Double
    /// The highest seq the first process acknowledged.
    public var lastAckedSeqBeforeDown: Int
    /// The highest seq the restarted process came back with.
    public var restoredSeq: Int
    /// How many distinct seqs above `restoredSeq` the first process acknowledged: acked, then lost.
    public var lostWrites: Int
    /// When `restoredSeq` was acknowledged; nil when nothing survived or its write is not in the log.
    public var newestSurvivingWriteMonoNs: UInt64?
    /// downAt − newestSurvivingWrite (from the first process's start when nothing survived); 0 when nothing was lost.
    public var rpoSeconds: Double
    /// The heartbeat interval of the first process, bounding how early downAt can be.
    public var heartbeatNs: UInt64

    public init(
        downAtMonoNs: UInt64, upAtMonoNs: UInt64, downtimeSeconds: Double, lastAckedSeqBeforeDown: Int,
        restoredSeq: Int, lostWrites: Int, newestSurvivingWriteMonoNs: UInt64?, rpoSeconds: Double, heartbeatNs: UInt64
    ) {
        self.downAtMonoNs = downAtMonoNs
        self.upAtMonoNs = upAtMonoNs
        self.downtimeSeconds = downtimeSeconds
        self.lastAckedSeqBeforeDown = lastAckedSeqBeforeDown
        self.restoredSeq = restoredSeq
        self.lostWrites = lostWrites
        self.newestSurvivingWriteMonoNs = newestSurvivingWriteMonoNs
        self.rpoSeconds = rpoSeconds
        self.heartbeatNs = heartbeatNs
    }

    public enum AnalysisError: Error, CustomStringConvertible, Equatable, Sendable {
        case malformedLine(number: Int, reason: String)
        case noOutage(String)
        case noRecovery(pid: Int32)
        case unknownRestoredSeq(pid: Int32)

        public var description: String {
            switch self {
            case .malformedLine(let number, let reason):
                return "truth log line \(number) is not a truth event: \(reason)"
            case .noOutage(let why):
                return "the truth log holds no outage: \(why)"
            case .noRecovery(let pid):
                return "the process started after the outage (pid \(pid)) never logged `listening`"
            case .unknownRestoredSeq(let pid):
                return "cannot tell which seq pid \(pid) came back with: its `started` line has no seq and no `restored` line precedes it"
            }
        }
    }

    public static func analyze(logFile path: String) throws -> SampleServiceTruth {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SampleServiceError("cannot read truth log \(path)")
        }
        return try analyze(logLines: String(decoding: data, as: UTF8.self).split(separator: "\n"))
    }

    /// Analyses a log holding one outage: the first process to log `started` runs until a process
    /// with another pid logs `started`, then that process recovers when it logs `listening`.
    public static func analyze<Lines: Sequence>(logLines: Lines) throws -> SampleServiceTruth
    where Lines.Element: StringProtocol {
        var events: [TruthEvent] = []
        for (index, line) in logLines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            do {
                events.append(try TruthEvent(line: line))
            } catch {
                throw AnalysisError.malformedLine(number: index + 1, reason: "\(error)")
            }
        }

        guard let firstStart = events.firstIndex(where: { $0.event == "started" }) else {
            throw AnalysisError.noOutage("no `started` line")
        }
        let first = events[firstStart]
        guard let restart = events[(firstStart + 1)...].firstIndex(where: { $0.event == "started" && $0.pid != first.pid })
        else {
            throw AnalysisError.noOutage("pid \(first.pid) is the only process that logged `started`")
        }
        let second = events[restart]
        guard let up = events[restart...].first(where: { $0.event == "listening" && $0.pid == second.pid }) else {
            throw AnalysisError.noRecovery(pid: second.pid)
        }

        let before = events[firstStart..<restart]
        let firstLines = before.filter { $0.pid == first.pid }
        let downAt = firstLines.last!.monoNs

        let acked = Set(firstLines.filter { $0.event == "write" }.compactMap(\.seq))
        // The restarted process's own count of what it loaded is the truth; an older log without it
        // falls back to what `restore` reported.
        guard let restoredSeq = second.seq ?? before.last(where: { $0.event == "restored" })?.seq else {
            throw AnalysisError.unknownRestoredSeq(pid: second.pid)
        }
        let lostWrites = acked.filter { $0 > restoredSeq }.count
        let newestSurviving = restoredSeq == 0
            ? nil
            : events[..<restart].last(where: { $0.event == "write" && $0.seq == restoredSeq })?.monoNs
        let recoveryPoint = newestSurviving ?? first.monoNs

        return SampleServiceTruth(
            downAtMonoNs: downAt,
            upAtMonoNs: up.monoNs,
            downtimeSeconds: seconds(from: downAt, to: up.monoNs),
            lastAckedSeqBeforeDown: acked.max() ?? 0,
            restoredSeq: restoredSeq,
            lostWrites: lostWrites,
            newestSurvivingWriteMonoNs: newestSurviving,
            rpoSeconds: lostWrites == 0 ? 0 : seconds(from: recoveryPoint, to: downAt),
            heartbeatNs: first.heartbeatNs ?? medianHeartbeatGap(firstLines)
        )
    }

    private static func seconds(from start: UInt64, to end: UInt64) -> Double {
        (Double(end) - Double(start)) / 1e9
    }

    /// For logs whose `started` line does not carry the interval.
    private static func medianHeartbeatGap(_ lines: [TruthEvent]) -> UInt64 {
        let beats = lines.filter { $0.event == "alive" }.map(\.monoNs)
        let gaps = zip(beats.dropFirst(), beats).map { $0 - $1 }.sorted()
        return gaps.isEmpty ? 0 : gaps[gaps.count / 2]
    }
}
