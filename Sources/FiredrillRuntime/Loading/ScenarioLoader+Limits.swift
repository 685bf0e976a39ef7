import FiredrillCore
import Foundation

// Bounds on what a scenario file may hold, checked on the text before it reaches the YAML parser,
// so that no input can make loading crash, hang or exhaust the stack: the parser and the reader
// both recurse once per level of nesting, and both walk an aliased node again at every use.
// docs/scenario-format.md, "Limits", documents them.

extension ScenarioLoader {
    public enum Limits {
        /// The largest scenario file, in bytes: 1 MiB, some twenty times the largest real scenario.
        public static let maxBytes = 1 << 20
        /// The deepest nesting of lists and mappings, block or flow, counting what aliases bring in.
        /// A scenario needs about 12 (a header inside a wait_for inside a rollback step inside a phase).
        public static let maxDepth = 64
        /// The most YAML nodes that aliases may add, each use counting as a copy of its anchored node:
        /// ample for `<<: *defaults` on every step, fatal to "billion laughs".
        public static let maxAliasedNodes = 10_000
    }

    static func sizeFinding(_ size: String, file: String) -> Finding {
        .error("the scenario is \(size) bytes; the limit is \(Limits.maxBytes) bytes (1 MiB)", at: SourceLocation(file: file, line: 1, column: 1))
    }

    /// A file's bytes, but no more than one past the size limit: a 10 GB log named by mistake
    /// is refused without being read whole. Nil when it cannot be read.
    static func readBounded(_ fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= Limits.maxBytes {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, Limits.maxBytes + 1 - bytes.count)) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes
    }

    /// The error for a file read by `readBounded` that is over the size limit.
    static func oversizeFinding(path: String) -> Finding {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if attributes?[.type] as? FileAttributeType == .typeRegular, let size = attributes?[.size] as? Int, size > Limits.maxBytes {
            return sizeFinding("\(size)", file: path)
        }
        return sizeFinding("more than \(Limits.maxBytes)", file: path)
    }

    /// The first limit the text exceeds, as an error positioned where it is exceeded; nil when within all.
    static func limitFinding(in text: String, file: String) -> Finding? {
        let size = text.utf8.count
        if size > Limits.maxBytes { return sizeFinding("\(size)", file: file) }
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> LimitScanner.Problem? {
            var scanner = LimitScanner(bytes: bytes)
            return scanner.run()
        }
        let problem = text.utf8.withContiguousStorageIfAvailable(scan) ?? Array(text.utf8).withUnsafeBufferPointer(scan)
        guard let problem else { return nil }
        return .error(problem.message, at: SourceLocation(file: file, line: problem.line, column: problem.column))
    }
}
