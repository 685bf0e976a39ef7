import FiredrillCore

/// Record values made inert in Markdown (CommonMark with GitHub's tables): whatever a step
/// printed or a person typed shows as the text it is, never as a heading, link, image, emphasis,
/// table cell or raw HTML.
public enum MarkdownText {
    /// One value inline or in a table cell: line breaks become spaces (a cell is one line, and a
    /// paragraph's next line could turn it into a heading), control characters are shown as
    /// `\xNN`, and every character that could open markup is backslash-escaped. `(` and `)` stay:
    /// a link needs `]` before them, and `]` is always escaped.
    public static func escaped(_ text: String) -> String {
        var flat = ""
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r": break
            case "\r", "\n", "\u{2028}", "\u{2029}": flat += " "
            default: flat.unicodeScalars.append(scalar)
            }
            previous = scalar
        }
        let scalars = Array(ControlCharacters.visible(flat).unicodeScalars)
        // Up to three spaces may indent a heading or a list marker.
        let start = scalars.firstIndex { $0 != " " } ?? 0
        var out = ""
        out.reserveCapacity(scalars.count)
        for (i, c) in scalars.enumerated() {
            switch c {
            case "\\", "`", "[", "]", "<", ">", "&", "|", "~":
                out += "\\"
            case "*", "_":
                // Between two spaces neither opens or closes emphasis ("0 6 * * MON"), nor does an
                // underscore between two letters or digits; the start of a line is a list marker.
                let between = i > start && i + 1 < scalars.count
                let spaced = between && isSpace(scalars[i - 1]) && isSpace(scalars[i + 1])
                let inWord = between && c == "_" && isAlphanumeric(scalars[i - 1]) && isAlphanumeric(scalars[i + 1])
                if !spaced && !inWord { out += "\\" }
            case "#", "-", "+", "=":
                // At the start of a line, before a space or another of them, these begin a
                // heading, a list, a rule or an underline ("+1.5s" begins nothing).
                if i == start, i + 1 == scalars.count || [" ", "\t", c].contains(scalars[i + 1]) { out += "\\" }
            case ".", ")":
                // "1. " or "1) " at the start begins an ordered list.
                if i > start, i + 1 == scalars.count || [" ", "\t"].contains(scalars[i + 1]),
                   scalars[start..<i].allSatisfy({ ("0"..."9").contains($0) }) { out += "\\" }
            default:
                break
            }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// A code fence for `text`: backticks, one more than its longest run of them and at least
    /// three, so no line of the text can close it (CommonMark closes a fence only with as many).
    public static func fence(for text: String) -> String {
        var longest = 0
        var run = 0
        for c in text.unicodeScalars {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}
