import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the HTTP driver keeps of a response body as it streams in: the excerpt for the record,
/// whether `body_contains` matched (across chunk boundaries), and a count of every byte, so a
/// body of any size costs the orchestrator only its excerpt.
struct HTTPBodyWindow: Sendable {
    /// The most of the body read; past it the request is stopped.
    let maxBody: Int
    private(set) var excerpt: OutputCapture
    private let needle: [UInt8]
    /// The body's last `needle.count - 1` bytes, where a match may begin.
    private var carry: [UInt8] = []
    private(set) var found: Bool

    init(maxBody: Int, keep: Int, needle: String?) {
        self.maxBody = max(1, maxBody)
        excerpt = OutputCapture(limit: min(keep, self.maxBody))
        self.needle = needle.map { Array($0.utf8) } ?? []
        found = self.needle.isEmpty
    }

    var totalBytes: Int { excerpt.totalBytes }
    var passedLimit: Bool { totalBytes > maxBody }

    /// Takes one chunk; false once the body has passed `maxBody` (stop reading).
    mutating func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard !passedLimit else { return false }
        excerpt.append(chunk)
        if !found { search(chunk) }
        return !passedLimit
    }

    mutating func append(_ data: Data) -> Bool {
        data.withUnsafeBytes { append($0) }
    }

    private mutating func search(_ chunk: UnsafeRawBufferPointer) {
        let keep = needle.count - 1
        // A match across the boundary starts in the carried tail and ends in the chunk's head.
        if !carry.isEmpty {
            let joined = carry + chunk.prefix(keep)
            if joined.withUnsafeBytes({ Self.contains($0, needle) }) {
                found = true
                return
            }
        }
        if Self.contains(chunk, needle) {
            found = true
            return
        }
        carry = chunk.count >= keep ? Array(chunk.suffix(keep)) : Array((carry + chunk).suffix(keep))
    }

    /// memchr and memcmp: a body of hundreds of megabytes is searched at memory speed, even in a
    /// debug build.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count, let base = haystack.baseAddress else { return false }
        return needle.withUnsafeBytes { wanted in
            var offset = 0
            while haystack.count - offset >= needle.count {
                guard let hit = memchr(base + offset, Int32(first), haystack.count - offset - needle.count + 1) else { return false }
                if memcmp(hit, wanted.baseAddress!, needle.count) == 0 { return true }
                offset = base.distance(to: UnsafeRawPointer(hit)) + 1
            }
            return false
        }
    }
}
