/// How bytes that are not printable text are shown everywhere Firedrill writes them (the record,
/// progress lines, reports): as `\xNN`, lowercase hex, one per byte. A terminal, a browser or a
/// C API never sees them raw.
///
/// Escaped: C0 controls other than tab and newline (NUL, BEL, CR, ESC…), DEL, C1 controls
/// (U+0080–U+009F, two bytes each), and bytes that are not UTF-8.
public enum ControlCharacters {
    /// Output bytes as record text, losslessly: every byte can be read back from it (`bytes(of:)`),
    /// since a `\` the program wrote before an `x` is itself escaped (`\x5c`).
    public static func escaping(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if isEscaped(ascii: b) || (b == 0x5C && i + 1 < bytes.count && bytes[i + 1] == 0x78) {
                    append(b, to: &out)
                } else {
                    out.append(b)
                }
                i += 1
                continue
            }
            let length = validSequenceLength(bytes, at: i)
            if length == 0 {
                append(b, to: &out)
                i += 1
            } else if length == 2, b == 0xC2, bytes[i + 1] < 0xA0 {
                append(b, to: &out)
                append(bytes[i + 1], to: &out)
                i += 2
            } else {
                out.append(contentsOf: bytes[i..<(i + length)])
                i += length
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `escaping` was given, from its text.
    public static func bytes(of escaped: String) -> [UInt8] {
        let utf8 = Array(escaped.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < utf8.count {
            if utf8[i] == 0x5C, i + 3 < utf8.count, utf8[i + 1] == 0x78,
               let hi = hexValue(utf8[i + 2]), let lo = hexValue(utf8[i + 3]) {
                out.append(hi << 4 | lo)
                i += 4
            } else {
                out.append(utf8[i])
                i += 1
            }
        }
        return out
    }

    /// Text as shown to people: the same escapes, for control characters only, so text already
    /// escaped is left as it is.
    public static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isEscaped(scalar) {
                for byte in String(scalar).utf8 { out += hex(byte) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? isEscaped(ascii: UInt8(scalar.value)) : (0x80...0x9F).contains(scalar.value)
    }

    static func isEscaped(ascii b: UInt8) -> Bool { (b < 0x20 && b != 0x09 && b != 0x0A) || b == 0x7F }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    static func append(_ byte: UInt8, to out: inout [UInt8]) { out.append(contentsOf: hex(byte).utf8) }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (Unicode table 3-7), or 0.
    static func validSequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        let b = bytes[i]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch b {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return 0
        }
        guard i + length <= bytes.count, second.contains(bytes[i + 1]) else { return 0 }
        for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return 0 }
        return length
    }
}
