/// Replaces secret values with `***` in text bound for the record, output or reports.
///
/// Besides each value as written, it masks the forms Firedrill's own HTTP client derives from
/// it, which a server may echo back: percent-encoded in a URL (by any URL component's rules,
/// either case of hex) and base64 (a basic-auth `user:secret`, whatever the user).
public struct Redactor: Hashable, Sendable {
    public static let mask = "***"
    /// Longest first, so a secret holding another is masked whole.
    public let values: [String]
    /// The values and their percent-encoded forms, longest first.
    let forms: [String]

    public init(secrets: [String]) {
        values = Array(Set(secrets.filter { !$0.isEmpty })).sorted { ($0.count, $0) > ($1.count, $1) }
        forms = Array(Set(values.flatMap(Self.percentForms))).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    public var isEmpty: Bool { values.isEmpty }

    public func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var out = maskingBase64(text)
        for form in forms where out.contains(form) {
            out = out.replacing(form, with: Self.mask)
        }
        // Output cut at its bound may end inside a secret: mask the part that was kept.
        for value in values {
            var prefix = value.dropLast()
            while !prefix.isEmpty, prefix.count >= 4 {
                if out.hasSuffix(prefix) {
                    out = out.dropLast(prefix.count) + Self.mask
                    break
                }
                prefix = prefix.dropLast()
            }
        }
        return out
    }

    // MARK: - Percent-encoding

    /// Characters each URL component leaves as they are (Foundation's `urlQueryAllowed`,
    /// `urlPathAllowed`, `urlUserAllowed`/`urlPasswordAllowed`, `urlHostAllowed`, the
    /// prometheus probe's query set, and the unreserved characters alone); all else is encoded.
    static let componentSets: [Set<UInt8>] = {
        let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        return [
            unreserved + "!$&'()*+,;=:@/?",
            unreserved + "!$&'()*+,;=:@/",
            unreserved + "!$&'()*+,;=",
            unreserved + "!$&'()*+,;=:[]",
            unreserved + "!$'()*,:@/?",
            unreserved,
        ].map { Set($0.utf8) }
    }()

    static func percentForms(_ value: String) -> [String] {
        var forms: [String] = [value]
        for allowed in componentSets {
            for upper in [true, false] {
                for spaceAsPlus in [false, true] {
                    forms.append(percentEncode(value, allowed: allowed, upper: upper, spaceAsPlus: spaceAsPlus))
                }
            }
        }
        return forms
    }

    static func percentEncode(_ value: String, allowed: Set<UInt8>, upper: Bool, spaceAsPlus: Bool) -> String {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            if allowed.contains(byte) {
                out.append(byte)
            } else if byte == UInt8(ascii: " "), spaceAsPlus {
                out.append(UInt8(ascii: "+"))
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Base64

    /// Masks every run of base64 characters that decodes (from any of its first four offsets,
    /// as "%20dXNl…" glues two characters before it) to bytes holding a secret.
    func maskingBase64(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let shortest = values.map(\.utf8.count).min() ?? 1
        // A run of fewer characters cannot encode the shortest secret.
        let minimum = max(4, (shortest * 4) / 3)
        var out: [UInt8] = []
        var changed = false
        var index = 0
        while index < bytes.count {
            guard Self.base64Value(bytes[index]) != nil else {
                out.append(bytes[index])
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, Self.base64Value(bytes[end]) != nil { end += 1 }
            // Its padding goes with it.
            for _ in 0..<2 where end < bytes.count && bytes[end] == UInt8(ascii: "=") { end += 1 }
            let run = bytes[index..<end]
            if run.count >= minimum, holdsSecret(run) {
                out += Array(Self.mask.utf8)
                changed = true
            } else {
                out += run
            }
            index = end
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    private func holdsSecret(_ run: ArraySlice<UInt8>) -> Bool {
        for offset in 0..<min(4, run.count) {
            let decoded = Self.decodeBase64(run.dropFirst(offset))
            for value in values where Self.contains(decoded, Array(value.utf8)) { return true }
        }
        return false
    }

    static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// Standard or URL-safe base64, padding ignored, a trailing partial group dropped.
    static func decodeBase64(_ run: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in run {
            guard let value = base64Value(byte) else { break }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
