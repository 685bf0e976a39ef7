/// A POSIX extended regular expression (as `grep -E` reads it), `^` and `$` matching at each
/// line, `.` and `[^…]` never matching a newline. Matched by Firedrill's own Thompson NFA: one
/// pass over the text, carrying the set of states, so the time is bounded by the text's length
/// times the pattern's size whatever the text holds (a backtracking matcher, or the C library's,
/// which retries from every offset, can take hours on hostile output). Back-references are
/// refused: no linear-time matcher has them.
///
/// Supported: literals, `.`, bracket expressions (`[a-z]`, `[^0-9]`, `[[:digit:]]` and the other
/// POSIX classes), groups, `|`, `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (m at most 255), `^`, `$`,
/// and `\` before any character to take it literally.
public final class PosixRegex: @unchecked Sendable {
    public let pattern: String
    let program: [Instruction]

    /// Why `pattern` is not a usable expression.
    public struct CompileError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The compiled program grows no larger than this many instructions (`{n,m}` copies its atom).
    public static let largestProgram = 20_000

    public init(_ pattern: String) throws(CompileError) {
        self.pattern = pattern
        var parser = Parser(scalars: Array(pattern.unicodeScalars))
        let node = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
    }

    /// Whether any part of `text` matches.
    public func matches(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        var current = StateSet(count: program.count)
        var next = StateSet(count: program.count)
        for position in 0...scalars.count {
            // Unanchored: a new thread starts at every position.
            if add(0, at: position, in: scalars, to: &current) { return true }
            guard position < scalars.count else { break }
            let c = scalars[position]
            next.clear()
            for pc in current.members {
                switch program[pc] {
                case .scalar(let s) where s == c:
                    if add(pc + 1, at: position + 1, in: scalars, to: &next) { return true }
                case .any where c != "\n":
                    if add(pc + 1, at: position + 1, in: scalars, to: &next) { return true }
                case .set(let set) where set.contains(c):
                    if add(pc + 1, at: position + 1, in: scalars, to: &next) { return true }
                default: break
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds `pc` and what it reaches without reading, at `position`; true when that reaches a match.
    private func add(_ start: Int, at position: Int, in text: [Unicode.Scalar], to set: inout StateSet) -> Bool {
        var stack = [start]
        while let pc = stack.popLast() {
            guard set.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let target): stack.append(target)
            case .split(let a, let b):
                stack.append(b)
                stack.append(a)
            case .lineStart:
                if position == 0 || text[position - 1] == "\n" { stack.append(pc + 1) }
            case .lineEnd:
                if position == text.count || text[position] == "\n" { stack.append(pc + 1) }
            case .scalar, .any, .set: break
            }
        }
        return false
    }

    enum Instruction {
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart, lineEnd
        case match
    }

    /// A sparse set of program counters, cleared in O(1).
    struct StateSet {
        var dense: [Int]
        var sparse: [Int]
        var size = 0
        init(count: Int) {
            dense = Array(repeating: 0, count: count)
            sparse = Array(repeating: 0, count: count)
        }
        var members: ArraySlice<Int> { dense[0..<size] }
        mutating func clear() { size = 0 }
        mutating func insert(_ pc: Int) -> Bool {
            let i = sparse[pc]
            if i < size, dense[i] == pc { return false }
            sparse[pc] = size
            dense[size] = pc
            size += 1
            return true
        }
    }

    /// A bracket expression: ranges and classes, possibly negated (never matching a newline then).
    struct ScalarSet {
        var ranges: [ClosedRange<UInt32>] = []
        var negated = false
        func contains(_ c: Unicode.Scalar) -> Bool {
            let inside = ranges.contains { $0.contains(c.value) }
            return negated ? (!inside && c != "\n") : inside
        }
    }

    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case lineStart, lineEnd
        case concat([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0
        var depth = 0

        func error(_ message: String) -> CompileError { CompileError(message: "\(message) (at character \(index + 1))") }
        var next: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        mutating func parse() throws(CompileError) -> Node {
            let node = try alternation()
            if index < scalars.count { throw error("unmatched ')'") }
            return node
        }

        mutating func alternation() throws(CompileError) -> Node {
            var branches = [try concatenation()]
            while next == "|" {
                index += 1
                branches.append(try concatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func concatenation() throws(CompileError) -> Node {
            var items: [Node] = []
            while let c = next, c != "|", c != ")" {
                var atom = try self.atom()
                while let q = next, q == "*" || q == "+" || q == "?" || q == "{" {
                    atom = try quantified(atom)
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .concat(items))
        }

        mutating func quantified(_ atom: Node) throws(CompileError) -> Node {
            let q = next!
            index += 1
            switch q {
            case "*": return .repeated(atom, min: 0, max: nil)
            case "+": return .repeated(atom, min: 1, max: nil)
            case "?": return .repeated(atom, min: 0, max: 1)
            default:
                let low = number()
                guard let low else { throw error("expected a number after '{'") }
                var high: Int? = low
                if next == "," {
                    index += 1
                    high = number()
                }
                guard next == "}" else { throw error("expected '}'") }
                index += 1
                if let high, high < low { throw error("{\(low),\(high)}: the second number is smaller") }
                if max(low, high ?? 0) > 255 { throw error("a count past 255") }
                return .repeated(atom, min: low, max: high)
            }
        }

        mutating func number() -> Int? {
            var value = 0
            var digits = 0
            while let c = next, let d = Int(String(c)), c.isASCII, digits < 4 {
                value = value * 10 + d
                digits += 1
                index += 1
            }
            return digits == 0 ? nil : value
        }

        mutating func atom() throws(CompileError) -> Node {
            let c = next!
            index += 1
            switch c {
            case "(":
                depth += 1
                guard depth <= 100 else { throw error("groups nested deeper than 100") }
                let inner = try alternation()
                guard next == ")" else { throw error("unmatched '('") }
                index += 1
                depth -= 1
                return inner
            case ".": return .any
            case "^": return .lineStart
            case "$": return .lineEnd
            case "[": return .set(try bracket())
            case "*", "+", "?", "{": throw error("'\(c)' with nothing to repeat")
            case "\\":
                guard let escaped = next else { throw error("a trailing '\\'") }
                index += 1
                if let digit = Int(String(escaped)), escaped.isASCII, digit >= 1 {
                    throw CompileError(message: "'\\\(escaped)' is a back-reference, which is not supported (no matcher bounded by the output's length has them)")
                }
                return .scalar(escaped)
            default: return .scalar(c)
            }
        }

        mutating func bracket() throws(CompileError) -> ScalarSet {
            var set = ScalarSet()
            if next == "^" {
                set.negated = true
                index += 1
            }
            var first = true
            while true {
                guard let c = next else { throw error("unmatched '['") }
                if c == "]", !first { index += 1; break }
                first = false
                if c == "[", index + 1 < scalars.count, scalars[index + 1] == ":" {
                    guard let close = (index + 2..<scalars.count).first(where: { scalars[$0] == ":" && $0 + 1 < scalars.count && scalars[$0 + 1] == "]" })
                    else { throw error("an unterminated '[:'") }
                    let name = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
                    guard let ranges = Self.classes[name] else { throw error("no character class '[:\(name):]'") }
                    set.ranges += ranges
                    index = close + 2
                    continue
                }
                index += 1
                var low = c.value
                if c == "\\", let escaped = next { low = escaped.value; index += 1 }
                if next == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                    index += 1
                    var high = next!.value
                    index += 1
                    if high == 0x5C, let escaped = next { high = escaped.value; index += 1 }
                    guard low <= high else { throw error("a range that runs backwards") }
                    set.ranges.append(low...high)
                } else {
                    set.ranges.append(low...low)
                }
            }
            return set
        }

        static let classes: [String: [ClosedRange<UInt32>]] = [
            "digit": [0x30...0x39], "alpha": [0x41...0x5A, 0x61...0x7A], "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A],
            "upper": [0x41...0x5A], "lower": [0x61...0x7A], "space": [0x09...0x0D, 0x20...0x20], "blank": [0x09...0x09, 0x20...0x20],
            "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66], "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E],
            "cntrl": [0x00...0x1F, 0x7F...0x7F], "print": [0x20...0x7E], "graph": [0x21...0x7E],
        ]
    }

    struct Compiler {
        var program: [Instruction] = []

        mutating func emit(_ node: Node) throws(CompileError) {
            guard program.count < PosixRegex.largestProgram else {
                throw CompileError(message: "the expression is too large once its counts are written out (over \(PosixRegex.largestProgram) steps)")
            }
            switch node {
            case .empty: break
            case .scalar(let s): program.append(.scalar(s))
            case .any: program.append(.any)
            case .set(let set): program.append(.set(set))
            case .lineStart: program.append(.lineStart)
            case .lineEnd: program.append(.lineEnd)
            case .concat(let items): for item in items { try emit(item) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for jump in jumps { program[jump] = .jump(program.count) }
            case .repeated(let atom, let low, let high):
                for _ in 0..<low { try emit(atom) }
                if let high {
                    // Each optional copy may be skipped to the end.
                    var splits: [Int] = []
                    for _ in low..<high {
                        splits.append(program.count)
                        program.append(.split(program.count + 1, 0))
                        try emit(atom)
                    }
                    for split in splits { program[split] = .split(split + 1, program.count) }
                } else {
                    let loop = program.count
                    program.append(.split(loop + 1, 0))
                    try emit(atom)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
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
