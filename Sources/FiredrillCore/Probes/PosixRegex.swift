#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX extended regular expression (as `grep -E` reads it), `^` and `$` matching at each
/// line. The C library's matcher is used, not a backtracking one: without back-references it
/// runs in time bounded by the text's length times the pattern's, so hostile output cannot
/// make a check run for hours. Back-references are refused when the scenario is read.
public final class PosixRegex: @unchecked Sendable {
    private var compiled = regex_t()
    public let pattern: String

    /// Why `pattern` is not a usable expression, in the C library's words.
    public struct CompileError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(_ pattern: String) throws(CompileError) {
        self.pattern = pattern
        if let reference = Self.backReference(in: pattern) {
            throw CompileError(message: "'\\\(reference)' is a back-reference, which is not supported (it makes matching slow on hostile output)")
        }
        if pattern.utf8.contains(0) { throw CompileError(message: "the expression holds a NUL character") }
        let status = regcomp(&compiled, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE)
        guard status == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(status, &compiled, &buffer, buffer.count)
            let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CompileError(message: message.isEmpty ? "not a regular expression" : message)
        }
    }

    deinit { regfree(&compiled) }

    /// Whether any part of `text` matches. A NUL in `text` ends what the C library sees, so
    /// output is matched as the record shows it (`\x00` as four characters).
    public func matches(_ text: String) -> Bool {
        regexec(&compiled, text, 0, nil, 0) == 0
    }

    /// The digit after a `\` outside a bracket expression, if any.
    static func backReference(in pattern: String) -> Character? {
        var escaped = false
        var inBracket = false
        for c in pattern {
            if escaped {
                if !inBracket, let digit = c.wholeNumberValue, digit >= 1 { return c }
                escaped = false
                continue
            }
            switch c {
            case "\\" where !inBracket: escaped = true
            case "[": inBracket = true
            case "]": inBracket = false
            default: break
            }
        }
        return nil
    }
}

extension ScenarioValidator.Rules {
    /// A `matches:` expression, or nil when it compiles.
    public static func regex(_ pattern: String) -> String? {
        if pattern.isEmpty { return "output.matches is empty" }
        do {
            _ = try PosixRegex(pattern)
            return nil
        } catch {
            return "output.matches is not a POSIX extended regular expression: \(error.message)"
        }
    }
}
