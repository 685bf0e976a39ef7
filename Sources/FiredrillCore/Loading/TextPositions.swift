/// Maps libyaml's marks onto the lines the loader's findings count (split at LF, columns in Unicode
/// scalars). libyaml also breaks lines at a lone CR, NEL, LS and PS, which editors and the rest of
/// the loader do not, and at the end of a text without a final newline it points one line past the
/// last; such marks move to where they are in the text.
public struct TextPositions {
    /// Where each of libyaml's lines starts, by LF line and column offset; empty when they agree.
    private var starts: [(line: Int, column: Int)] = []
    /// The number of LF lines and the length of the last one.
    private var lastLine = 1
    private var lastLineLength = 0

    public init(_ text: String) {
        let utf8 = text.utf8
        var line = 1, column = 0
        var previous: UInt8 = 0
        var odd = false
        for byte in utf8 {
            if byte == 0x0A {
                line += 1
                column = 0
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            if previous == 0x0D, byte != 0x0A { odd = true }
            if previous == 0xC2, byte == 0x85 { odd = true }
            if previous == 0x80, byte == 0xA8 || byte == 0xA9 { odd = true }
            previous = byte
        }
        if previous == 0x0D { odd = true }
        lastLine = line
        lastLineLength = column
        if odd { starts = Self.libyamlLineStarts(text) }
    }

    private static func libyamlLineStarts(_ text: String) -> [(line: Int, column: Int)] {
        var starts: [(line: Int, column: Int)] = [(1, 0)]
        var line = 1, column = 0
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "\n":
                line += 1
                column = 0
                starts.append((line, 0))
            case "\r" where pending == "\n":
                column += 1
            case "\r", "\u{85}", "\u{2028}", "\u{2029}":
                column += 1
                starts.append((line, column))
            default:
                column += 1
            }
        }
        return starts
    }

    /// A libyaml mark (1-based line and column) as the loader reports positions.
    public func location(file: String, line: Int, column: Int) -> SourceLocation {
        var (line, column) = (max(line, 1), max(column, 1))
        if !starts.isEmpty {
            if line <= starts.count {
                (line, column) = (starts[line - 1].line, starts[line - 1].column + column)
            } else {
                line = lastLine + 1
            }
        }
        if line > lastLine { (line, column) = (lastLine, lastLineLength + 1) }
        return SourceLocation(file: file, line: line, column: column)
    }
}
