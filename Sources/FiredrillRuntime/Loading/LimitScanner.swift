/// A single pass over the UTF-8 text that follows YAML's structure just far enough to measure
/// nesting and alias expansion: block indentation, `-`, `?` and `key:` indicators, flow brackets,
/// anchors and aliases, skipping quoted scalars, block scalars, multi-line plain scalars and comments.
/// Where it cannot tell, it errs towards counting more, so that what it lets through is within the
/// limits; a valid scenario is never near them. Lines break where libyaml breaks them (LF, CR, CRLF,
/// NEL, LS, PS); positions in messages count lines by LF and columns in Unicode scalars, as the
/// loader's other findings do.
struct LimitScanner {
    struct Problem {
        var message: String
        var line: Int
        var column: Int
    }

    /// A block collection open at `column`.
    struct Block {
        var column: Int
        var isSequence: Bool
    }

    /// An anchor whose node may not have ended yet.
    struct OpenAnchor {
        var name: String
        /// `nodes` when it was defined: the node's size is what `nodes` grows by until it ends.
        var nodesBefore: Int
        /// Nesting depth where it was defined, and the depth event count then.
        var depth: Int
        var event: Int
        /// Flow level it was defined at; 0 in block context.
        var flowLevel: Int
        /// The block collection holding the node (column -1: the document itself).
        var owner: Block
    }

    /// What one use of an anchor's alias brings in.
    struct Expansion {
        var nodes = 0
        var height = 0
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Position for messages: lines by LF, and where the current one starts.
    var line = 1
    var lineStart = 0
    /// Column of `bytes[i]` in Unicode scalars (0-based) since the last line break of any kind.
    var column = 0

    var blocks: [Block] = []
    var flow = 0
    var atLineStart = true
    /// True where a node may start: properties, an alias or a quote here are tokens, not text.
    var expectNode = true
    /// Column where the current block node (with its properties) starts, for `key:` found after it,
    /// and its byte index, where an error about the key is reported.
    var nodeColumn: Int?
    var nodeIndex = 0
    /// Inside a block scalar: lines indented more than this belong to it.
    var blockScalarOwner: Int?
    /// After a plain scalar ending a line in block context: lines indented more continue it.
    var plainOwner: Int?

    /// Nodes so far (scalars, collections, entries), aliases counting their anchored node's size.
    var nodes = 0
    var aliasedNodes = 0
    var open: [OpenAnchor] = []
    var anchors: [String: Expansion] = [:]
    /// Depth events (collections opened, aliases used) and the last event reaching each depth.
    var events = 0
    var lastReach: [Int]

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        lastReach = Array(repeating: -1, count: ScenarioLoader.Limits.maxDepth + 2)
    }

    // MARK: Reading

    var atEnd: Bool { i >= bytes.count }

    func byte(_ j: Int) -> UInt8? { j < bytes.count ? bytes[j] : nil }

    /// Length in bytes of the line break at `j`, 0 when there is none.
    func breakLength(_ j: Int) -> Int {
        guard j < bytes.count else { return 0 }
        switch bytes[j] {
        case 0x0A: return 1
        case 0x0D: return byte(j + 1) == 0x0A ? 2 : 1
        case 0xC2: return byte(j + 1) == 0x85 ? 2 : 0
        case 0xE2: return byte(j + 1) == 0x80 && (byte(j + 2) == 0xA8 || byte(j + 2) == 0xA9) ? 3 : 0
        default: return 0
        }
    }

    func isBlank(_ j: Int) -> Bool { byte(j) == 0x20 || byte(j) == 0x09 }
    /// Blank, a line break or the end: what must follow `-`, `?` and `:` for them to be indicators.
    func isBlankOrEnd(_ j: Int) -> Bool { j >= bytes.count || isBlank(j) || breakLength(j) > 0 }
    static func isFlowIndicator(_ b: UInt8?) -> Bool { b == 0x2C || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D }

    mutating func step() {
        if bytes[i] & 0xC0 != 0x80 { column += 1 }
        i += 1
    }

    mutating func consumeBreak() {
        let length = breakLength(i)
        for j in i..<(i + length) where bytes[j] == 0x0A {
            line += 1
            lineStart = j + 1
        }
        i += length
        column = 0
    }

    mutating func skipToLineEnd() {
        while !atEnd, breakLength(i) == 0 { step() }
    }

    var depth: Int { blocks.count + flow }

    /// An error at byte `index` of the current line (by default where the scan is).
    func problem(_ message: String, at index: Int? = nil) -> Problem {
        let end = min(max(index ?? i, lineStart), bytes.count)
        var column = 1
        for j in lineStart..<end where bytes[j] & 0xC0 != 0x80 { column += 1 }
        return Problem(message: message, line: line, column: column)
    }

    // MARK: The pass

    mutating func run() -> Problem? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        while !atEnd {
            if atLineStart {
                atLineStart = false
                if flow == 0, let problem = startLine() { return problem }
                continue
            }
            if breakLength(i) > 0 {
                consumeBreak()
                atLineStart = true
                continue
            }
            if isBlank(i) { step(); continue }
            if bytes[i] == UInt8(ascii: "#"), column == 0 || isBlank(i - 1) {
                skipToLineEnd()
                continue
            }
            let problem = flow > 0 ? flowToken() : blockToken()
            if let problem { return problem }
        }
        return nil
    }

    /// Indentation: ends block collections and the anchors inside them; skips lines that belong
    /// to a block scalar or continue a plain scalar.
    mutating func startLine() -> Problem? {
        var j = i, indent = 0
        while byte(j) == 0x20 { j += 1; indent += 1 }
        var k = j
        while isBlank(k) { k += 1 }
        if k >= bytes.count { i = k; return nil }
        if breakLength(k) > 0 || bytes[k] == UInt8(ascii: "#") {
            // Blank or comment line: part of a block scalar, or the end of a plain scalar.
            if bytes[k] == UInt8(ascii: "#") {
                if let owner = blockScalarOwner, indent <= owner { blockScalarOwner = nil }
                plainOwner = nil
            }
            advance(to: k)
            skipToLineEnd()
            return nil
        }
        if indent == 0, isDocumentMarker(at: j) {
            blocks.removeAll()
            blockScalarOwner = nil
            plainOwner = nil
            closeAnchors { _ in true }
            advance(to: j + 3)
            expectNode = true
            nodeColumn = nil
            return nil
        }
        if let owner = blockScalarOwner {
            if indent > owner { advance(to: k); skipToLineEnd(); return nil }
            blockScalarOwner = nil
        }
        if let owner = plainOwner {
            plainOwner = nil
            if indent > owner {
                // More of the same plain scalar; a comment ends it.
                advance(to: k)
                while !atEnd, breakLength(i) == 0 {
                    if isBlank(i), byte(i + 1) == UInt8(ascii: "#") { break }
                    step()
                }
                if breakLength(i) > 0 { plainOwner = owner }
                return nil
            }
        }
        if indent == 0, bytes[j] == UInt8(ascii: "%") {
            advance(to: k)
            skipToLineEnd()
            return nil
        }
        let dash = bytes[j] == UInt8(ascii: "-") && isBlankOrEnd(j + 1)
        while let top = blocks.last, top.column > indent || (top.column == indent && top.isSequence && !dash) {
            blocks.removeLast()
        }
        closeAnchors { anchor in
            guard anchor.flowLevel == 0, anchor.owner.column >= 0 else { return false }
            if indent < anchor.owner.column { return true }
            return indent == anchor.owner.column && (anchor.owner.isSequence || !dash)
        }
        advance(to: k)
        expectNode = true
        nodeColumn = nil
        return nil
    }

    func isDocumentMarker(at j: Int) -> Bool {
        guard j + 2 < bytes.count else { return false }
        let marker = (bytes[j], bytes[j + 1], bytes[j + 2])
        let dashes = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "-"))
        let dots = (UInt8(ascii: "."), UInt8(ascii: "."), UInt8(ascii: "."))
        return (marker == dashes || marker == dots) && isBlankOrEnd(j + 3)
    }

    /// Moves to `j` on the same line (blanks and ASCII only in between).
    mutating func advance(to j: Int) {
        while i < j, !atEnd { step() }
    }

    // MARK: Block context

    mutating func blockToken() -> Problem? {
        let c = bytes[i]
        guard expectNode else {
            if c == UInt8(ascii: ":"), isBlankOrEnd(i + 1) { return keyColon() }
            step()
            return nil
        }
        if nodeColumn == nil { (nodeColumn, nodeIndex) = (column, i) }
        switch c {
        case UInt8(ascii: "-") where isBlankOrEnd(i + 1), UInt8(ascii: "?") where isBlankOrEnd(i + 1):
            let problem = push(Block(column: column, isSequence: c == UInt8(ascii: "-")))
            nodes += 1
            step()
            nodeColumn = nil
            return problem
        case UInt8(ascii: ":") where isBlankOrEnd(i + 1):
            step()
            nodeColumn = nil
            return nil
        case UInt8(ascii: "&"):
            defineAnchor()
            return nil
        case UInt8(ascii: "!"):
            while !atEnd, !isBlankOrEnd(i) { step() }
            return nil
        case UInt8(ascii: "*"):
            let problem = useAlias()
            expectNode = false
            return problem
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            return openFlow()
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            nodes += 1
            blockScalarOwner = blocks.last?.column ?? -1
            skipToLineEnd()
            expectNode = false
            return nil
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            nodes += 1
            skipQuoted()
            expectNode = false
            return nil
        default:
            nodes += 1
            return plainInBlock()
        }
    }

    /// To the end of the line, a comment, or `:` that makes it a key.
    mutating func plainInBlock() -> Problem? {
        while !atEnd {
            if breakLength(i) > 0 {
                plainOwner = blocks.last?.column ?? -1
                expectNode = false
                return nil
            }
            if isBlank(i), byte(i + 1) == UInt8(ascii: "#") { break }
            if bytes[i] == UInt8(ascii: ":"), isBlankOrEnd(i + 1) { return keyColon() }
            step()
        }
        expectNode = false
        return nil
    }

    /// The `:` after a key: a value is expected next.
    mutating func keyColon() -> Problem? {
        step()
        expectNode = true
        let problem = pushKey()
        nodeColumn = nil
        return problem
    }

    /// A key starts a mapping at its node's column, unless it continues the one there.
    mutating func pushKey() -> Problem? {
        let column = nodeColumn ?? self.column
        if let top = blocks.last, top.column == column, !top.isSequence { return nil }
        return push(Block(column: column, isSequence: false), at: nodeColumn == nil ? nil : nodeIndex)
    }

    mutating func push(_ block: Block, at index: Int? = nil) -> Problem? {
        if let top = blocks.last, top.column == block.column, top.isSequence == block.isSequence { return nil }
        blocks.append(block)
        return reached(depth, at: index)
    }

    /// Records a depth event; the error when `depth` is over the limit.
    mutating func reached(_ depth: Int, alias: String? = nil, at index: Int? = nil) -> Problem? {
        let limit = ScenarioLoader.Limits.maxDepth
        if depth > limit {
            if let alias {
                return problem("alias '*\(alias)' nests lists and mappings more than \(limit) levels deep (the limit for a scenario)", at: index)
            }
            return problem("lists and mappings nested more than \(limit) levels deep (the limit for a scenario)", at: index)
        }
        events += 1
        lastReach[depth] = events
        return nil
    }

    // MARK: Flow context

    mutating func openFlow() -> Problem? {
        flow += 1
        nodes += 1
        let problem = reached(depth)
        step()
        expectNode = true
        return problem
    }

    mutating func flowToken() -> Problem? {
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            return openFlow()
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            let level = flow
            closeAnchors { $0.flowLevel >= level }
            flow -= 1
            step()
            expectNode = false
            return nil
        case UInt8(ascii: ","):
            let level = flow
            closeAnchors { $0.flowLevel >= level }
            step()
            expectNode = true
            return nil
        case UInt8(ascii: ":") where isBlankOrEnd(i + 1) || Self.isFlowIndicator(byte(i + 1)) || !expectNode:
            step()
            expectNode = true
            return nil
        case UInt8(ascii: "?") where isBlankOrEnd(i + 1):
            step()
            expectNode = true
            return nil
        case UInt8(ascii: "&") where expectNode:
            defineAnchor()
            return nil
        case UInt8(ascii: "!") where expectNode:
            while !atEnd, !isBlankOrEnd(i), !Self.isFlowIndicator(bytes[i]) { step() }
            return nil
        case UInt8(ascii: "*") where expectNode:
            let problem = useAlias()
            expectNode = false
            return problem
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            if expectNode {
                nodes += 1
                skipQuoted()
                expectNode = false
                return nil
            }
        default:
            break
        }
        // A plain scalar, or more of one that started on an earlier line.
        if expectNode { nodes += 1 }
        expectNode = false
        while !atEnd, breakLength(i) == 0 {
            let c = bytes[i]
            if Self.isFlowIndicator(c) { break }
            if isBlank(i), byte(i + 1) == UInt8(ascii: "#") { break }
            if c == UInt8(ascii: ":"), isBlankOrEnd(i + 1) || Self.isFlowIndicator(byte(i + 1)) { break }
            step()
        }
        return nil
    }

    // MARK: Scalars

    /// A single- or double-quoted scalar, over as many lines as it takes.
    mutating func skipQuoted() {
        let quote = bytes[i]
        step()
        while !atEnd {
            if breakLength(i) > 0 { consumeBreak(); continue }
            let c = bytes[i]
            if quote == UInt8(ascii: "\""), c == UInt8(ascii: "\\") {
                step()
                if !atEnd, breakLength(i) == 0 { step() }
                continue
            }
            if c == quote {
                step()
                if quote == UInt8(ascii: "'"), byte(i) == quote { step(); continue }
                return
            }
            step()
        }
    }

    // MARK: Anchors and aliases

    /// libyaml's anchor names: ASCII letters, digits, `_` and `-`.
    mutating func readName() -> String {
        step()
        let start = i
        while let c = byte(i), c < 0x80, (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F || c == 0x2D {
            step()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    mutating func defineAnchor() {
        let owner = blocks.last ?? Block(column: -1, isSequence: false)
        let name = readName()
        open.append(OpenAnchor(name: name, nodesBefore: nodes, depth: depth, event: events, flowLevel: flow, owner: owner))
    }

    /// Ends the innermost open anchors for which `ends` holds; anchors nest, so they end innermost first.
    mutating func closeAnchors(while ends: (OpenAnchor) -> Bool) {
        while let anchor = open.last, ends(anchor) {
            open.removeLast()
            close(anchor)
        }
    }

    mutating func close(_ anchor: OpenAnchor) {
        var highest = anchor.depth
        for level in stride(from: lastReach.count - 1, to: anchor.depth, by: -1) where lastReach[level] > anchor.event {
            highest = level
            break
        }
        let expansion = Expansion(nodes: max(nodes - anchor.nodesBefore, 1), height: highest - anchor.depth)
        let previous = anchors[anchor.name] ?? Expansion()
        anchors[anchor.name] = Expansion(nodes: max(expansion.nodes, previous.nodes), height: max(expansion.height, previous.height))
    }

    /// An alias brings in a copy of its anchor's node: counted against both limits.
    mutating func useAlias() -> Problem? {
        let start = i
        let name = readName()
        // An alias refers to a node that has ended; if the anchor looked open, it ends here.
        if let index = open.lastIndex(where: { $0.name == name }) { close(open.remove(at: index)) }
        guard let expansion = anchors[name] else { return nil }
        let limit = ScenarioLoader.Limits.maxAliasedNodes
        nodes += expansion.nodes
        aliasedNodes += expansion.nodes
        if aliasedNodes > limit {
            return problem("alias '*\(name)' brings the nodes that aliases add past \(limit), the limit for a scenario (an alias bomb?)", at: start)
        }
        return reached(depth + expansion.height, alias: name, at: start)
    }
}
