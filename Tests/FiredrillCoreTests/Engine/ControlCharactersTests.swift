import FiredrillCore
import Testing

/// Bytes that are not printable text, shown as `\xNN` and readable back.
@Suite struct ControlCharactersTests {
    @Test func controlAndInvalidBytesAreEscapedLosslessly() {
        let bytes: [UInt8] = [0x61, 0x00, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0x07, 0x0D, 0x0A, 0x09, 0xFF, 0xC3, 0xA9, 0xC2, 0x9B, 0x7F,
                              0x5C, 0x78, 0x34, 0x31, 0x5C, 0x6E, 0xE2, 0x82]
        let text = ControlCharacters.escaping(bytes)
        #expect(text == "a\\x00\\x1b[31m\\x07\\x0d\n\t\\xffé\\xc2\\x9b\\x7f\\x5cx41\\n\\xe2\\x82")
        #expect(ControlCharacters.bytes(of: text) == bytes)
        #expect(!text.unicodeScalars.contains { ControlCharacters.isEscaped($0) })
        // Overlong forms and surrogates are not UTF-8 either.
        #expect(ControlCharacters.escaping([0xC0, 0xAF, 0xED, 0xA0, 0x80]) == "\\xc0\\xaf\\xed\\xa0\\x80")
        #expect(ControlCharacters.escaping(Array("plain text, é ✓\n".utf8)) == "plain text, é ✓\n")
    }

    @Test func visibleEscapesControlCharactersAndLeavesEscapedTextAlone() {
        #expect(ControlCharacters.visible("a\u{1B}[2J\u{7}\r\nb\u{85}\t") == "a\\x1b[2J\\x07\\x0d\nb\\xc2\\x85\t")
        let escaped = ControlCharacters.escaping([0x00, 0x5C, 0x78])
        #expect(ControlCharacters.visible(escaped) == escaped)
    }
}
