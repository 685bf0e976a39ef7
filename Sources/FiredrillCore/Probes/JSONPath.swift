/// The JSONPath subset output assertions and inventories use (RFC 9535 names): the root `$`,
/// member names (`.name`, `['name']`), wildcards (`.*`, `[*]`), indexes (`[0]`, `[-1]` from the
/// end), unions (`['a','b']`, `[0,2]`) and filters comparing a relative path with a literal
/// (`[?@.state == 'ready']`, `[?@.size > 10]`, `[?@.name]` for "has it"). Not here: `..`, slices,
/// functions, and `&&` / `||` in filters.
public struct JSONPath: Hashable, Sendable, CustomStringConvertible {
    public enum Selector: Hashable, Sendable {
        case name(String)
        case wildcard
        case index(Int)
        case filter(Filter)
    }

    public struct Filter: Hashable, Sendable {
        public enum Operator: String, Hashable, Sendable, CaseIterable {
            case equal = "==", notEqual = "!=", lessOrEqual = "<=", greaterOrEqual = ">=", less = "<", greater = ">"
        }
        /// `@` then these, in order.
        public var path: [Selector]
        /// nil: the filter asks only that the path exists.
        public var comparison: (Operator, JSONValue)?

        public static func == (a: Filter, b: Filter) -> Bool {
            a.path == b.path && a.comparison?.0 == b.comparison?.0 && a.comparison?.1 == b.comparison?.1
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(path)
            hasher.combine(comparison?.0)
            hasher.combine(comparison?.1)
        }
    }

    /// Each segment selects with any of its selectors (a union).
    public var segments: [[Selector]]
    public var description: String

    /// Why a path does not parse, and where in it (1-based).
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var column: Int
        public var description: String { "JSONPath column \(column): \(message)" }
    }

    public init(parsing text: String) throws(ParseError) {
        var reader = Reader(characters: Array(text))
        segments = try reader.path()
        description = text
    }

    /// Every node the path selects, in document order.
    public func select(_ root: JSONValue) -> [JSONValue] {
        segments.reduce([root]) { nodes, segment in nodes.flatMap { Self.apply(segment, to: $0) } }
    }

    static func apply(_ selectors: [Selector], to node: JSONValue) -> [JSONValue] {
        selectors.flatMap { selector -> [JSONValue] in
            switch (selector, node) {
            case (.name(let name), .object(let members)): members.first { $0.0 == name }.map { [$0.1] } ?? []
            case (.wildcard, .object(let members)): members.map(\.1)
            case (.wildcard, .array(let items)): items
            case (.index(let i), .array(let items)):
                (i >= 0 ? i : items.count + i) >= 0 && (i >= 0 ? i : items.count + i) < items.count ? [items[i >= 0 ? i : items.count + i]] : []
            case (.filter(let filter), .object(let members)): members.map(\.1).filter { filter.admits($0) }
            case (.filter(let filter), .array(let items)): items.filter { filter.admits($0) }
            default: []
            }
        }
    }

    struct Reader {
        let characters: [Character]
        var index = 0

        func error(_ message: String) -> ParseError { ParseError(message: message, column: index + 1) }
        var next: Character? { index < characters.count ? characters[index] : nil }
        mutating func skipSpace() { while next == " " { index += 1 } }
        mutating func take(_ c: Character) -> Bool {
            guard next == c else { return false }
            index += 1
            return true
        }

        mutating func path() throws(ParseError) -> [[Selector]] {
            guard take("$") else { throw error("a path starts with $") }
            var segments: [[Selector]] = []
            while let c = next {
                if c == "." {
                    index += 1
                    if take(".") { index -= 1; throw error("descendants (..) are not in this subset") }
                    segments.append([try dotted()])
                } else if c == "[" {
                    segments.append(try bracketed())
                } else {
                    throw error("expected '.' or '[' after \(segments.isEmpty ? "$" : "a segment")")
                }
            }
            return segments
        }

        mutating func dotted() throws(ParseError) -> Selector {
            if take("*") { return .wildcard }
            let start = index
            while let c = next, c.isLetter || c.isNumber || c == "_" || c == "-" { index += 1 }
            guard index > start, !characters[start].isNumber, characters[start] != "-" else {
                index = start
                throw error("expected a member name or * after '.'")
            }
            return .name(String(characters[start..<index]))
        }

        mutating func bracketed() throws(ParseError) -> [Selector] {
            index += 1
            var selectors: [Selector] = []
            repeat {
                skipSpace()
                selectors.append(try selector())
                skipSpace()
            } while take(",")
            guard take("]") else { throw error("expected ']' or ','") }
            return selectors
        }

        mutating func selector() throws(ParseError) -> Selector {
            guard let c = next else { throw error("the path ends inside [ ]") }
            if c == "*" { index += 1; return .wildcard }
            if c == "'" || c == "\"" { return .name(try quoted()) }
            if c == "?" {
                index += 1
                skipSpace()
                return .filter(try filter())
            }
            if c == "-" || c.isNumber { return .index(try integer()) }
            if c == ":" { throw error("slices are not in this subset") }
            throw error("expected a quoted name, *, an index or ?filter")
        }

        mutating func integer() throws(ParseError) -> Int {
            let start = index
            _ = take("-")
            while let c = next, c.isASCII, c.isNumber { index += 1 }
            if next == ":" { throw error("slices are not in this subset") }
            guard let value = Int(String(characters[start..<index])), String(characters[start..<index]) != "-0" else {
                index = start
                throw error("expected a whole number")
            }
            return value
        }

        mutating func quoted() throws(ParseError) -> String {
            let start = index
            let quote = characters[index]
            index += 1
            var out = ""
            while let c = next {
                index += 1
                if c == quote { return out }
                if c == "\\" {
                    guard let escaped = next else { break }
                    index += 1
                    switch escaped {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(escaped)
                    }
                } else {
                    out.append(c)
                }
            }
            index = start
            throw error("a quoted name is not closed")
        }

        mutating func filter() throws(ParseError) -> Filter {
            guard take("@") else { throw error("a filter starts with @ (the item tested)") }
            var path: [Selector] = []
            while let c = next, c == "." || c == "[" {
                if c == "." {
                    index += 1
                    path.append(try dotted())
                } else {
                    index += 1
                    skipSpace()
                    guard let first = next else { throw error("the path ends inside [ ]") }
                    path.append(first == "'" || first == "\"" ? .name(try quoted()) : .index(try integer()))
                    skipSpace()
                    guard take("]") else { throw error("expected ']'") }
                }
            }
            skipSpace()
            if next == "]" || next == nil { return Filter(path: path, comparison: nil) }
            guard let op = Filter.Operator.allCases.first(where: { op in
                Array(op.rawValue).enumerated().allSatisfy { index + $0.offset < characters.count && characters[index + $0.offset] == $0.element }
            }) else { throw error("expected ==, !=, <, <=, > or >=") }
            index += op.rawValue.count
            skipSpace()
            return Filter(path: path, comparison: (op, try literal()))
        }

        mutating func literal() throws(ParseError) -> JSONValue {
            guard let c = next else { throw error("expected a value to compare with") }
            if c == "'" || c == "\"" { return .string(try quoted()) }
            let start = index
            while let c = next, c != "]", c != " ", c != "," { index += 1 }
            let word = String(characters[start..<index])
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                guard let number = Double(word), number.isFinite else { index = start; throw error("expected a number, a quoted string, true, false or null") }
                return .number(number, word)
            }
        }
    }
}

extension JSONPath.Filter {
    /// Whether `node` passes: its path exists (and compares as asked). Numbers compare with numbers
    /// and strings with strings; `==` and `!=` compare any two values.
    func admits(_ node: JSONValue) -> Bool {
        guard let found = JSONPath.apply(path: path, to: node) else { return false }
        guard let (op, literal) = comparison else { return true }
        switch (found, literal) {
        case (.number(let a, _), .number(let b, _)): return Self.compare(a, op, b)
        case (.string(let a), .string(let b)): return Self.compare(a, op, b)
        default:
            switch op {
            case .equal: return found == literal
            case .notEqual: return found != literal
            default: return false
            }
        }
    }

    static func compare<T: Comparable>(_ a: T, _ op: Operator, _ b: T) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }
}

extension JSONPath {
    /// The one node a filter's relative path names, if it is there.
    static func apply(path: [Selector], to node: JSONValue) -> JSONValue? {
        var current = node
        for selector in path {
            guard let next = apply([selector], to: current).first else { return nil }
            current = next
        }
        return current
    }
}
