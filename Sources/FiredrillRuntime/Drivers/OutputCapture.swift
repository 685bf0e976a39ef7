import FiredrillCore

/// Collects one output stream (or an HTTP body) within a bound: keeps the first
/// `limit` bytes, counts every byte.
struct OutputCapture: Sendable {
    let limit: Int
    private(set) var kept: [UInt8] = []
    private(set) var totalBytes = 0

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        let room = limit - kept.count
        if room > 0 { kept.append(contentsOf: bytes.prefix(room)) }
    }

    mutating func append(_ bytes: some Collection<UInt8>) {
        totalBytes += bytes.count
        let room = limit - kept.count
        if room > 0 { kept.append(contentsOf: bytes.prefix(room)) }
    }

    var captured: CapturedOutput {
        // When the bound cut a multi-byte character in half, drop the half rather than show it
        // as two escaped bytes; control and invalid bytes the program wrote are escaped (`\x1b`).
        let end = totalBytes > kept.count ? Self.endOfCompleteUTF8(kept) : kept.count
        return CapturedOutput(text: ControlCharacters.escaping(kept[..<end]), keptBytes: end, totalBytes: totalBytes)
    }

    /// The length of `bytes` without a trailing, incomplete UTF-8 sequence.
    static func endOfCompleteUTF8(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        var continuations = 0
        while index >= 0, continuations < 3, bytes[index] & 0xC0 == 0x80 {
            index -= 1
            continuations += 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let length = lead >= 0xF0 && lead < 0xF8 ? 4 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xC0 && lead < 0xE0 ? 2 : 1
        return length > continuations + 1 ? index : bytes.count
    }
}
