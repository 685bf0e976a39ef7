import Foundation

/// One backup: `backup-<20-digit zero-padded wall ns>-<maxseq>.log` in the backups directory.
///
/// The name carries everything restore needs to choose, so choosing never reads file contents.
public struct BackupFile: Sendable, Equatable {
    public let path: String
    public let wallNs: UInt64
    public let maxSeq: Int

    public var name: String { (path as NSString).lastPathComponent }

    public static func name(wallNs: UInt64, maxSeq: Int) -> String {
        let digits = String(wallNs)
        return "backup-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "-\(maxSeq).log"
    }

    /// Parses a backup's path; nil for any other file (temporaries are dot-prefixed and never match).
    public init?(path: String) {
        let name = (path as NSString).lastPathComponent
        guard name.hasPrefix("backup-"), name.hasSuffix(".log") else { return nil }
        let parts = name.dropFirst("backup-".count).dropLast(".log".count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 20,
              parts[0].allSatisfy(\.isASCIIDigit), parts[1].allSatisfy(\.isASCIIDigit),
              let wallNs = UInt64(parts[0]), let maxSeq = Int(parts[1])
        else { return nil }
        self.path = path
        self.wallNs = wallNs
        self.maxSeq = maxSeq
    }

    /// All backups in `directory`, oldest first; empty when the directory does not exist.
    public static func all(in directory: String) -> [BackupFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names
            .compactMap { BackupFile(path: (directory as NSString).appendingPathComponent($0)) }
            .sorted { ($0.wallNs, $0.maxSeq) < ($1.wallNs, $1.maxSeq) }
    }

    public static func newest(in directory: String) -> BackupFile? {
        all(in: directory).last
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
