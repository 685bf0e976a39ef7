import FiredrillCore
import Testing

/// The JSON reader and the JSONPath subset output assertions will use (issue 14, item 1): what
/// they select, and where a text or a path stops being what it should be.
@Suite struct JSONPathTests {
    static let inventory = """
        {"stanza": "main", "backup": [
          {"label": "20261201-010000F", "type": "full", "timestamp": {"stop": 1796086800}, "info": {"size": 1048576}},
          {"label": "20261202-010000F", "type": "full", "timestamp": {"stop": 1796173200}, "info": {"size": 2097152}},
          {"label": "20261202-060000I", "type": "incr", "timestamp": {"stop": 1796191200}, "info": {"size": 4096}}
        ], "status": {"code": 0, "message": "ok"}, "ünïcode": "é\\u00e9\\ud83d\\ude92"}
        """

    func select(_ path: String) throws -> [JSONValue] {
        try JSONPath(parsing: path).select(try JSONValue.parse(Self.inventory))
    }

    @Test func namesIndexesWildcardsUnionsAndFiltersSelectWhatRFC9535Says() throws {
        #expect(try select("$.stanza") == [.string("main")])
        #expect(try select("$['stanza']") == [.string("main")])
        #expect(try select("$.backup[0].label") == [.string("20261201-010000F")])
        #expect(try select("$.backup[-1].type") == [.string("incr")])
        #expect(try select("$.backup[3]").isEmpty)
        #expect(try select("$.backup[*].type") == [.string("full"), .string("full"), .string("incr")])
        #expect(try select("$.backup.*.info.size").count == 3)
        #expect(try select("$.status[*]").count == 2)
        #expect(try select("$.backup[0,2].label") == [.string("20261201-010000F"), .string("20261202-060000I")])
        #expect(try select("$.backup[?@.type == 'full'].label") == [.string("20261201-010000F"), .string("20261202-010000F")])
        #expect(try select("$.backup[?@.info.size > 10000].label").count == 2)
        #expect(try select(#"$.backup[?@.type != "full"].label"#) == [.string("20261202-060000I")])
        #expect(try select("$.backup[?@['timestamp'].stop <= 1796086800].label") == [.string("20261201-010000F")])
        #expect(try select("$.backup[?@.missing]").isEmpty)
        #expect(try select("$.backup[?@.info]").count == 3)
        #expect(try select("$.status.code")[0] == .number(0, "0"))
        #expect(try select("$['ünïcode']") == [.string("éé🚒")])
        #expect(try select("$") == [try JSONValue.parse(Self.inventory)])
        #expect(try select("$.stanza.deeper").isEmpty, "a name of a string selects nothing")
    }

    @Test func aPathOutsideTheSubsetIsRefusedWithItsColumn() {
        let cases: [(String, Int, String)] = [
            ("backup", 1, "starts with $"),
            ("$..label", 3, "descendants"),
            ("$.backup[0:2]", 11, "slices"),
            ("$.backup[?@.type ~ 'x']", 18, "expected =="),
            ("$.backup[0", 11, "expected ']'"),
            ("$.backup['x", 10, "not closed"),
            ("$.backup[?@.size > big]", 20, "expected a number"),
            ("$.1st", 3, "member name"),
        ]
        for (path, column, words) in cases {
            do {
                _ = try JSONPath(parsing: path)
                Issue.record("\(path) parsed")
            } catch {
                #expect(error.column == column && error.message.contains(words), "\(path): \(error)")
            }
        }
    }

    @Test func textThatIsNotJSONFailsWithWhereParsingStopped() {
        let cases: [(String, Int, Int, String)] = [
            ("", 1, 1, "empty"),
            ("Error: repository not found\n", 1, 1, "unexpected character 'E'"),
            ("{\"a\": 1,\n \"b\": }", 2, 7, "unexpected character '}'"),
            ("[1, 2", 1, 6, "ends inside an array"),
            ("{\"a\": 01}", 1, 8, "does not start with 0"),
            ("{\"é\": tru}", 1, 7, "expected true"),
            ("\"\\x\"", 1, 2, "unknown escape"),
            ("\"\\ud800\"", 1, 8, "lone surrogate"),
            ("{} {}", 1, 4, "more text"),
            ("1e999", 1, 1, "out of range"),
        ]
        for (text, line, column, words) in cases {
            do {
                _ = try JSONValue.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.line == line && error.column == column && error.message.contains(words), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test func nestingDeeperThanTheLimitIsRefusedNotFollowed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: JSONValue.deepest - 1) + String(repeating: "]", count: JSONValue.deepest - 1)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
        #expect(JSONValue.string("a\"b\n").rendered == #""a\"b\n""#)
        #expect(JSONValue.array(Array(repeating: .number(1, "1"), count: 100)).summary(limit: 10) == "[1,1,1,1,1…")
    }
}
