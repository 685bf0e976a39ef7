import FiredrillCore
import FiredrillRuntime
import Foundation
import GRDB
import Testing

/// Reports, retrospectives and progress lines from a record full of hostile values: Markdown
/// that would end a code fence, HTML, links, headings, and bytes that are not text.
@Suite struct HostileRecordTests {
    /// Printed by a step: it would close a ``` fence, then be a heading, an image and a link.
    static let hostileOutput = "before\n```\n# PWNED output heading\n<img src=x onerror=alert(1)>\n[click](javascript:alert(1))\n````\nafter"

    static func hostileDrill(in dir: String) throws -> String {
        let path = dir + "/hostile.yaml"
        // The output is written by printf from a file, so no quoting stands between it and the step.
        try hostileOutput.write(toFile: dir + "/output.txt", atomically: true, encoding: .utf8)
        try """
            firedrill: 1
            name: hostile-drill
            title: "# PWNED title <img src=x onerror=alert(1)> [t](javascript:alert(1))"
            description: "line one\\n# PWNED description heading\\n<script>alert(1)</script>\\n---"
            owner: "</td><script>alert(1)</script> | owner"
            vars: {out: "\(dir)/output.txt", label: "<b>[x](javascript:alert(1))</b> `code`"}
            phases:
              - name: "disaster <b>phase</b>"
                steps:
                  - name: "step *bold* ![i](javascript:x) `tick`"
                    run: [cat, "${out}"]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func runHostile(_ dir: String) async throws -> String {
        let scenario = try hostileDrill(in: dir)
        let ran = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/fd.db", "--quiet",
                                                  "--participant", "<script>alert(1)</script>:[lead](javascript:alert(1)) | x"], directory: dir)
        #expect(ran.status == 0, "\(ran.output)")
        let runID = try #require(try SQLiteStore(path: dir + "/fd.db").runs(scenario: "hostile-drill").first?.id)
        let added = try await FiredrillProcess.inFolder(["actions", "add", runID, "--title", "# PWNED action ![x](javascript:alert(1)) | cell",
                                                         "--owner", "</td><img src=x onerror=alert(1)>", "--due", "2026-01-01"], dir)
        #expect(added.status == 0, "\(added.output)")
        return runID
    }

    /// The blocks between a fence and the next line that closes it (CommonMark: as many
    /// backticks or more, nothing else), and the lines outside every block.
    static func fences(_ markdown: String) -> (blocks: [(fence: Int, body: String)], outside: [String]) {
        var blocks: [(Int, String)] = []
        var outside: [String] = []
        var open: (fence: Int, lines: [String])?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let run = trimmed.prefix { $0 == "`" }.count
            if let current = open {
                if run >= current.fence, run == trimmed.count {
                    blocks.append((current.fence, current.lines.joined(separator: "\n")))
                    open = nil
                } else {
                    open!.lines.append(line)
                }
            } else if run >= 3, !trimmed.dropFirst(run).contains("`") {
                open = (run, [])
            } else {
                outside.append(line)
            }
        }
        #expect(open == nil, "a code fence is never closed")
        return (blocks, outside)
    }

    /// Outside code blocks, nothing a record value brought may be markup.
    static func expectInert(_ markdown: String, _ what: String) {
        let (_, outside) = fences(markdown)
        for line in outside {
            let scalars = Array(line.unicodeScalars)
            for (i, c) in scalars.enumerated() where ["<", ">", "[", "]"].contains(c) {
                #expect(i > 0 && scalars[i - 1] == "\\", "\(what): unescaped \(c) in: \(line)")
            }
            #expect(!line.trimmingCharacters(in: .whitespaces).hasPrefix("# PWNED"), "\(what): a heading from the record: \(line)")
            // What is left once every backslash-escaped character is taken out.
            var live = ""
            var escaped = false
            for c in line.unicodeScalars {
                if escaped { escaped = false; live += "·" } else if c == "\\" { escaped = true } else { live.unicodeScalars.append(c) }
            }
            for markup in ["<script", "<img", "](javascript", "<td", "</td"] {
                #expect(!live.contains(markup), "\(what): \(markup) in \(line)")
            }
        }
        #expect(!outside.contains { $0.contains("PWNED output heading") }, "\(what): the step's output escaped its code block")
    }

    @Test func markdownReportsAndRetrospectivesShowHostileValuesAsText() async throws {
        let dir = try temporaryFolder("hostile-md")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runHostile(dir)
        let md = try await FiredrillProcess.inFolder(["report", runID, "--format", "md", "--out", "-"], dir)
        #expect(md.status == 0, "\(md.output)")
        let retro = try await FiredrillProcess.inFolder(["retro", runID, "--out", "-"], dir)
        #expect(retro.status == 0, "\(retro.output)")
        Self.expectInert(md.stdout, "report.md")
        Self.expectInert(retro.stdout, "retrospective.md")

        // The output is shown whole, in a fence longer than its longest run of backticks.
        let blocks = Self.fences(md.stdout).blocks
        #expect(blocks.map(\.body) == [Self.hostileOutput], "\(blocks)")
        #expect(blocks.first?.fence == 5)
        for expected in [
            "# Drill report: \\# PWNED title \\<img src=x onerror=alert(1)\\> \\[t\\](javascript:alert(1))",
            "| Owner | \\</td\\>\\<script\\>alert(1)\\</script\\> \\| owner |",
            "\\<script\\>alert(1)\\</script\\> (\\[lead\\](javascript:alert(1)) \\| x)",
            "line one # PWNED description heading \\<script\\>alert(1)\\</script\\> ---",
            "| \\# PWNED action !\\[x\\](javascript:alert(1)) \\| cell | \\</td\\>\\<img src=x onerror=alert(1)\\> | 2026-01-01 |",
            "step \\*bold\\* !\\[i\\](javascript:x) \\`tick\\` (attempt 1, stdout):",
            "- label = \\<b\\>\\[x\\](javascript:alert(1))\\</b\\> \\`code\\`",
        ] {
            #expect(md.stdout.contains(expected), "report.md lacks \(expected)")
        }
        #expect(retro.stdout.contains("| Owner | \\</td\\>\\<script\\>alert(1)\\</script\\> \\| owner |"))
        // Table rows keep their columns: the owner's `|` is escaped.
        let ownerRow = try #require(retro.stdout.split(separator: "\n").first { $0.hasPrefix("| Owner |") })
        #expect(ownerRow.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 3, "\(ownerRow)")

        // The HTML escapes them as before.
        let html = try await FiredrillProcess.inFolder(["report", runID, "--format", "html", "--out", "-"], dir)
        #expect(!html.stdout.contains("<script") && !html.stdout.contains("<img"), "raw HTML from the record")
        #expect(html.stdout.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt; | owner"))
    }

    @Test func aTeamsOwnTemplateEscapesValuesByDefault() async throws {
        let dir = try temporaryFolder("hostile-template")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runID = try await Self.runHostile(dir)
        try "Owner: {{cover.owner}}\n{{#outputs}}{{{fence}}}\n{{{text}}}\n{{{fence}}}\n{{/outputs}}"
            .write(toFile: dir + "/mine.mustache", atomically: true, encoding: .utf8)
        let md = try await FiredrillProcess.inFolder(["report", runID, "--format", "md", "--out", "-", "--template", dir + "/mine.mustache"], dir)
        #expect(md.stdout.hasPrefix("Owner: \\</td\\>\\<script\\>alert(1)\\</script\\> \\| owner\n"), "\(md.output)")
        #expect(Self.fences(md.stdout).blocks.map(\.body) == [Self.hostileOutput])
        try "{{#report}}Owner: {{cover.owner}}{{/report}}\n".write(toFile: dir + "/retro.mustache", atomically: true, encoding: .utf8)
        let mine = try await FiredrillProcess.inFolder(["retro", runID, "--out", "-", "--template", dir + "/retro.mustache"], dir)
        #expect(mine.stdout == "Owner: \\</td\\>\\<script\\>alert(1)\\</script\\> \\| owner\n", "\(mine.output)")
        let html = try await FiredrillProcess.inFolder(["report", runID, "--format", "html", "--out", "-", "--template", dir + "/mine.mustache"], dir)
        #expect(html.stdout.hasPrefix("Owner: &lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt; | owner\n"), "\(html.output)")
    }

    /// NUL, ESC[31m, BEL, CR, DEL, a C1 control and invalid UTF-8, from a real step, on both streams.
    static let controlBytes: [UInt8] = Array("a".utf8) + [0x00] + Array("b".utf8) + [0x1B] + Array("[31mred".utf8) + [0x07, 0x0D]
        + Array("cr\\x41 ".utf8) + [0xFF, 0xFE, 0xC2, 0x9B, 0x7F] + Array("\tend é\n".utf8)

    @Test func controlBytesAreKeptInTheRecordAndShownEscapedEverywhere() async throws {
        let dir = try temporaryFolder("hostile-bytes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 2,724 bytes in all, as the tester's: NUL early, so a C string would keep 1 of them.
        let bytes = Self.controlBytes + Array(repeating: UInt8(ascii: "z"), count: 2724 - Self.controlBytes.count - 1) + [0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/bytes.bin"))
        let path = dir + "/bytes.yaml"
        try """
            firedrill: 1
            name: bytes-drill
            vars: {bin: "\(dir)/bytes.bin"}
            phases:
              - name: noisy
                steps:
                  - name: "prints control bytes \\e[31m\\a"
                    run: [sh, -c, 'cat "$1"; cat "$1" >&2; printf "\\000\\033[2J\\007\\r\\377" >&2', sh, "${bin}"]
                  - name: printf
                    run: [printf, 'x\\000y\\033[31mz\\007\\r\\377']
            """
            .write(toFile: path, atomically: true, encoding: .utf8)
        // Not quiet: the progress lines go to stdout, which the operator's terminal would show.
        let ran = try await FiredrillProcess.run(["run", path, "--db", dir + "/fd.db"], directory: dir)
        #expect(ran.status == 0, "\(ran.output)")
        Self.expectNoControlBytes(ran.stdout + ran.stderr, "progress output")
        #expect(ran.stdout.contains("prints control bytes \\x1b[31m\\x07"), "\(ran.stdout)")
        // Errors quote the scenario: the same escapes there.
        try "firedrill: 1\nname: \"bad\\e[2J\"\n".write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let refused = try await FiredrillProcess.run(["validate", dir + "/bad.yaml"], directory: dir)
        #expect(refused.status == 2)
        Self.expectNoControlBytes(refused.stderr, "validate's errors")
        #expect(refused.stderr.contains("name 'bad\\x1b[2J' must use only"), "\(refused.output)")

        // The record: every byte, escaped, counted.
        let store = try SQLiteStore(path: dir + "/fd.db")
        let run = try #require(try store.runs(scenario: "bytes-drill").first)
        let scenario = try #require(ScenarioLoader.parse(text: run.scenarioText, file: run.scenarioPath, baseDirectory: "/", fileExists: { _ in true }).scenario)
        let machine = DrillMachine.replay(scenario, events: try store.events(of: run.id).map { ($0.event, $0.at) })
        let first = try #require(machine.state.attempts.first?.report)
        #expect(first.stdout?.totalBytes == 2724)
        #expect(first.stdout?.keptBytes == 2724)
        #expect(first.stdout.map { ControlCharacters.bytes(of: $0.text) } == bytes)
        #expect(first.stderr.map { ControlCharacters.bytes(of: $0.text) } == bytes + [0x00, 0x1B] + Array("[2J".utf8) + [0x07, 0x0D, 0xFF])
        let second = try #require(machine.state.attempts.last?.report)
        #expect(second.stdout.map { ControlCharacters.bytes(of: $0.text) } == Array("x".utf8) + [0x00] + Array("y".utf8) + [0x1B]
            + Array("[31mz".utf8) + [0x07, 0x0D, 0xFF])
        // The attempts projection holds it all, not a C string cut at the NUL.
        let projected = try DatabaseQueue(path: dir + "/fd.db").read { db in
            try Row.fetchAll(db, sql: "SELECT stdout, stdout_bytes FROM attempts WHERE run_id = ? ORDER BY started_ns", arguments: [run.id])
        }
        let text: String? = projected.first?["stdout"]
        #expect(text.map { ControlCharacters.bytes(of: $0) } == bytes)
        let counted: Int? = projected.first?["stdout_bytes"]
        #expect(counted == 2724)

        for (format, extra) in [("md", ["report"]), ("html", ["report"]), ("json", ["report"]), ("md", ["retro"])] {
            let args = extra == ["retro"] ? ["retro", run.id, "--out", "-"] : ["report", run.id, "--format", format, "--out", "-"]
            let rendered = try await FiredrillProcess.inFolder(args, dir)
            #expect(rendered.status == 0, "\(rendered.output)")
            Self.expectNoControlBytes(rendered.stdout, args.joined(separator: " "))
            if extra == ["report"], format != "json" {
                #expect(rendered.stdout.contains("a\\x00b\\x1b[31mred\\x07\\x0dcr\\x5cx41 \\xff\\xfe\\xc2\\x9b\\x7f\tend é"), "\(format)")
            }
        }
    }

    static func expectNoControlBytes(_ text: String, _ what: String) {
        let bad = text.unicodeScalars.filter { ControlCharacters.isEscaped($0) }
        #expect(bad.isEmpty, "\(what) holds raw control characters: \(bad.map { String($0.value, radix: 16) })")
        #expect(!text.contains("\u{FFFD}"), "\(what) replaced bytes instead of showing them")
    }
}
