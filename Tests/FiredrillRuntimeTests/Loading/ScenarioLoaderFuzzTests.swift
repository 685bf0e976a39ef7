import FiredrillCore
import FiredrillTestSupport
import Foundation
import Testing
@testable import FiredrillRuntime

// Robustness of the scenario loader on malformed and adversarial input: it must return (never
// crash, hang or overflow the stack), and every finding must point at a real place in the file.
// A failure names the seed and the input's number: rerun with those to reproduce it.

// MARK: - A deterministic generator

/// FiredrillTestSupport's SplitMix64, with what the mutator asks of it.
extension SplitMix64 {
    /// 0..<bound; bound must be positive.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

// MARK: - Seeds: valid scenarios using every key of the format

private let fuzzRepositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let demoScenario: String = {
    let path = fuzzRepositoryRoot.appendingPathComponent("scenarios/demo.yaml").path
    return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}()

/// Every step kind, every probe kind in every place, every optional key.
private let safetyKeys = """
# The keys of crash safety: secrets, guards, max_duration, idempotent.
firedrill: 1
name: safety-keys
max_duration: 2h
secrets: [API_TOKEN, PGPASSWORD]
vars: {url: "http://127.0.0.1:9090"}
guards:
  - name: error budget
    http: {url: "${url}/budget", headers: {Authorization: "Bearer ${secret.API_TOKEN}"}, timeout: 2s}
    every: 15s
    trip_after: 2
  - name: replica reachable
    tcp: {address: "127.0.0.1:5432"}
    every: 5s
phases:
  - name: disaster
    steps:
      - name: stop the primary
        run: [pg_ctl, stop, -m, immediate]
        mark: disaster
        rollback:
          - {name: start it again, run: [pg_ctl, start], idempotent: true}
  - name: verify
    steps:
      - name: writes work
        run: [psql, "postgres://app:${secret.PGPASSWORD}@127.0.0.1/app", -c, "select 1"]
        idempotent: true
        mark: recovered
"""

private let everyKey = """
# Every key of format v1.
firedrill: 1
name: every-key
title: "Every key, with \\"escapes\\" and unicode: café ✓"
description: |
  A literal block: [unbalanced {brackets} # not a comment
  *not-an-alias &not-an-anchor
owner: 'platform team''s'
runbook: ../runbooks/demo.md
tags: [demo, "quoted, tag", 'single']
objectives:
  rto: 1h30m
  rpo: 250ms
vars:
  url: "http://127.0.0.1:8080"
  host: 127.0.0.1
  port: "5432"
  token: "${env.TOKEN}"
  empty:
  address: "${host}:${port}"
setup:
  - name: prepare
    shell: "mkdir -p /tmp/x && echo ${scenario.name} ${run.id} ${empty}"
    timeout: 30s
    retries: 3
    retry_delay: 2s
    on_failure: continue
steady_state:
  - name: http healthy
    http:
      method: get
      url: "${url}/health"
      headers: {Authorization: "Bearer ${token}", X-Run: "${run.id}"}
      body: '{"ping": true}'
      status: [200, 204]
      body_contains: ok
      timeout: 2s
  - name: tcp open
    tcp: {address: "${address}", timeout: 1s}
  - name: tcp short
    tcp: "db.internal:5432"
  - name: argv
    run: ["true", "--flag", "${host}"]
canary:
  every: 100ms
  warmup: 1s
  write:
    shell: "echo ${canary.seq} >> /tmp/canary"
  read:
    run: [tail, -n1, /tmp/canary]
phases:
  - name: disaster
    steps:
      - name: kill by pidfile
        kill: {pidfile: /run/app.pid, signal: SIGKILL, process_group: false}
        mark: disaster
        rollback:
          - name: restart after kill
            run: [systemctl, start, app]
            timeout: 1m
      - name: kill by pid
        kill:
          pid: 4242
          signal: term
        on_failure: continue
  - name: detect
    steps:
      - name: outage seen
        wait_for:
          tcp: {address: "${address}", timeout: 500ms}
          expect: fail
          every: 100ms
          consecutive: 2
        timeout: 2m
        mark: detected
  - name: restore
    steps:
      - name: operator
        manual: >
          Restore from the newest backup,
          then confirm.
      - name: pause
        sleep: 5s
      - name: back
        wait_for: {http: {url: "${url}/health", status: 200}, every: 1s}
        timeout: 10m
        mark: recovered
      - name: extra mark
        shell: "true"
        mark: verified_ok
rollback:
  - name: rollback everything
    shell: "systemctl restart app"
    timeout: 1m
teardown:
  - name: cleanup
    run: [rm, -rf, /tmp/x]
    on_failure: continue

"""

/// Anchors, aliases, merge keys, flow style, comments in odd places.
private let anchorsAndFlow = """
%YAML 1.1
---
firedrill: 1   # format
name: anchors-and-flow
objectives: {rto: 30m}
vars: {base: "http://h:1", "quoted-key": x, retry: "3"}
phases:
  - name: &pname p1
    steps:
      - &probe {name: first, http: {url: "${base}/a", status: 200}, timeout: 5s, retries: 1, mark: disaster}
      - <<: *probe
        name: second
        mark: recovered
        retries: 2
      - {<<: [*probe], name: third, mark: third-mark, rollback: [{name: undo-third, sleep: 1s}]}
  - {name: p2, steps: [{name: "four", tcp: "h:1"}, {name: five, run: [a, b, "${quoted-key}"]}]}
  - name: p3
    steps:
      - name: six
        shell: |+
          echo "*not-alias" '[' '{' ${retry}
          exit 0

      - name: seven
        wait_for: {run: [check], expect: pass, consecutive: 1}
        timeout: 1m
...

"""

/// CRLF line endings, tabs inside strings, block scalars with indentation indicators.
private let crlfAndScalars = """
firedrill: 1
name: crlf
description: >-
  folded
  text
phases:
  - name: only
    steps:
      - name: "tab\\tinside"
        shell: |2
           indented by two more
          echo ok
      - name: 'quoted: colon'
        manual: "line one\\nline two \\u00e9"
        timeout: 1d
      - name: plain multi
        manual: this plain scalar
          continues here [with brackets
          and {braces
teardown: []

""".replacingOccurrences(of: "\n", with: "\r\n")

/// YAML that is easy to misread: complex keys, JSON style, block scalar indicators, comments
/// holding brackets and anchors, a plain scalar running over lines.
private let trickyYAML = """
firedrill: 1
name: tricky # [not { a ] flow
? title
: "a title # not a comment"
description: >2-
     indented folded ] }
   text
vars: {"json": "v", 'single': 'it''s', plain: a:b, url: "http://h/[x]"}
tags:
- one
- "two: [three"
-   four
    continued *not-an-alias
phases:
  -   name: p
      steps:
        - name: s
          run:
            - "${json}${single}${plain}"
            - ${url}
        - {name: t, shell: 'echo "{"', retries: 0, on_failure: continue,
           timeout: 1m}

"""

// MARK: - The mutation run

/// One fuzzing run: what it found, as plain data the test then records.
private struct FuzzRun: Sendable {
    var issues: [String] = []
    var loaded = 0, failed = 0
    var slowest: (Duration, Int) = (.zero, -1)
    var kinds: [String: Int] = [:], stages: [String: Int] = [:]
    var elapsed: Duration = .zero

    init(seed: UInt64, count: Int) {
        let seeds = ScenarioLoaderFuzzTests.seeds
        var mutator = Mutator(rng: SplitMix64(seed: seed))
        let start = ContinuousClock.now
        for iteration in 0..<count {
            let (name, original) = seeds[iteration % seeds.count]
            var text = original
            for _ in 0..<(1 + mutator.rng.below(4)) { text = mutator.mutate(text) }
            let before = ContinuousClock.now
            let (problems, hasScenario, findings) = checkWithFindings(text)
            stages[stage(of: findings), default: 0] += 1
            let took = ContinuousClock.now - before
            if took > slowest.0 { slowest = (took, iteration) }
            if hasScenario { loaded += 1 }
            guard !problems.isEmpty else { continue }
            failed += 1
            // The kind of a problem: its words without numbers and quoted text.
            let kind = problems[0].replacing(/[0-9]+/, with: "N").replacing(/'[^']*'/, with: "'…'").prefix(90)
            kinds[String(kind), default: 0] += 1
            guard kinds[String(kind)] == 1 else { continue }
            let sample = text.utf8.count > 600 ? String(text.prefix(600)) + "…(\(text.utf8.count) bytes)" : text
            issues.append("""
                PRNG seed 0x\(String(seed, radix: 16)), input #\(iteration) (mutated from \(name)):
                  \(problems.prefix(5).joined(separator: "\n  "))
                --- input ---
                \(sample)
                """)
        }
        elapsed = ContinuousClock.now - start
    }
}

// MARK: - Checking one input

/// What must hold for any input, as messages; empty when all is well.
private func violations(of text: String, file: String = "fuzz.yaml") -> [String] { check(text, file: file).problems }

private func check(_ text: String, file: String = "fuzz.yaml") -> (problems: [String], loaded: Bool) {
    let (problems, loaded, _) = checkWithFindings(text, file: file)
    return (problems, loaded)
}

private func checkWithFindings(_ text: String, file: String = "fuzz.yaml") -> (problems: [String], loaded: Bool, findings: [Finding]) {
    let (scenario, findings) = ScenarioLoader.parse(text: text, file: file, baseDirectory: "/base/scenarios") { _ in true }
    var problems: [String] = []
    if scenario == nil, !findings.contains(where: { $0.severity == .error }) {
        problems.append("no scenario but no error either: \(findings.map(\.description))")
    }
    if scenario != nil, findings.contains(where: { $0.severity == .error }) {
        problems.append("a scenario despite errors")
    }
    guard !findings.isEmpty else { return (problems, scenario != nil, findings) }
    // Line lengths in Unicode scalars, lines split at "\n" as editors and the findings count them.
    var lengths: [Int] = [0]
    for scalar in text.unicodeScalars {
        if scalar == "\n" { lengths.append(0) } else { lengths[lengths.count - 1] += 1 }
    }
    for finding in findings {
        let at = finding.location
        let shown = finding.description.prefix(300)
        if at.file != file { problems.append("wrong file '\(at.file)': \(shown)") }
        if at.line < 1 || at.column < 1 { problems.append("line or column below 1: \(shown)") }
        if at.line > lengths.count {
            problems.append("line \(at.line) beyond the text's \(lengths.count) lines: \(shown)")
        } else if at.line >= 1, at.column > lengths[at.line - 1] + 1 {
            problems.append("column \(at.column) beyond line \(at.line)'s \(lengths[at.line - 1]) characters: \(shown)")
        }
        let prefix = "\(file):\(at.line):\(at.column): "
        if !finding.description.hasPrefix(prefix) { problems.append("description does not start with '\(prefix)': \(shown)") }
        if finding.message.isEmpty { problems.append("empty message at \(at)") }
    }
    return (problems, scenario != nil, findings)
}

/// What stopped an input, for the summary: which stage its first error came from.
private func stage(of findings: [Finding]) -> String {
    guard let error = findings.first(where: { $0.severity == .error })?.message else { return "loaded" }
    if error.hasPrefix("the scenario is ") { return "size limit" }
    if error.contains("levels deep (the limit") { return "depth limit" }
    if error.contains("that aliases add past") { return "alias limit" }
    if error.hasPrefix("invalid YAML") || error.hasPrefix("duplicate key") || error.hasPrefix("a scenario file holds one") { return "YAML syntax" }
    return "scenario model"
}

/// The failure to record for an input, naming how to reproduce it; nil when the input is handled as it must be.
private func robustnessIssue(_ text: String, _ label: String) -> String? {
    let problems = violations(of: text)
    guard !problems.isEmpty else { return nil }
    let sample = text.utf8.count > 400 ? String(text.prefix(400)) + "…(\(text.utf8.count) bytes)" : text
    let listed = problems.prefix(5).joined(separator: "\n  ")
    return "\(label):\n  \(listed)\n--- input ---\n\(sample)"
}

// MARK: - Mutations

/// One mutation operator: text in, text out.
struct Mutator {
    var rng: SplitMix64

    static let wrongValues = [
        "[a, b]", "{x: 1}", "[]", "{}", "42", "-7", "0", "3.14", "1e400", "0x1F", ".inf", "-.nan", "true", "false", "yes",
        "null", "~", "", "\"\"", "''", "99999999999999999999999999", "-99999999999999999999", "-5s", "-1", "0s", "0ms",
        "9223372036854775807h", "1h1h", "5 m", "\"${\"", "\"${}\"", "\"${env.}\"", "\"$${x}\"", "'${nope}'", "-", "|", ">",
        "&x", "*x", "*undefined", "!!binary AAAA", "!custom tag", "!!map {a: 1}", "? x", "[[[]]]", "{a: {b: {c: [1]}}}",
        "- a\n- b", "\"\\u0000\"", "\"\\x\"", "\"unterminated", "'unterminated", "a: b: c", "@reserved", "`tick",
        "%directive", "#comment", "\"line\\nbreak\"", "SIGFOO", "GE T", "localhost", "[::1]:99999", "999999999999", "-0",
    ]

    static let insertions: [String] = [
        "\u{0301}", "\u{0308}\u{0308}\u{0308}", "\u{202E}", "\u{200F}", "\u{200B}", "👩‍👩‍👧", "🔥", "\u{FFFD}", "\u{0000}",
        "\u{0007}", "\u{001B}", "\u{007F}", "\u{0085}", "\u{2028}", "\u{2029}", "\u{FEFF}", "\r", "\r\n", "\t", "\u{FFFE}",
        "\u{E000}", "\u{10FFFF}", "é", "ß", "\u{0645}\u{0631}\u{062D}\u{0628}\u{0627}", "[", "]", "{", "}", ":", ": ", "- ",
        "? ", "#", " #", "\"", "'", "|", ">", "%", "@", "`", ",", "&", "*", "!", "---\n", "...\n", "\n", "<<: ", "\\",
    ]

    /// A scalar line `key: value`; the value's start, or nil.
    static func valueStart(in line: String) -> String.Index? {
        guard let colon = line.range(of: ": ") else { return nil }
        return colon.upperBound
    }

    mutating func mutate(_ text: String) -> String {
        switch rng.below(17) {
        case 0: return flipBytes(text)
        case 1: return deleteLines(text)
        case 2: return duplicateLine(text)
        case 3: return swapLines(text)
        case 4: return reindent(text)
        case 5, 6: return replaceValue(text)
        case 7: return insertScalars(text)
        case 8: return truncate(text)
        case 9: return unknownKey(text)
        case 10: return anchorAndAlias(text)
        case 11: return tabs(text)
        case 12: return longLine(text)
        case 13: return splice(text)
        case 14: return aliasBomb(text)
        case 15: return deepen(text)
        default: return insertScalars(text)
        }
    }

    mutating func flipBytes(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return text }
        for _ in 0..<(1 + rng.below(4)) {
            let index = rng.below(bytes.count)
            switch rng.below(3) {
            case 0: bytes[index] ^= UInt8(1 << rng.below(8))
            case 1: bytes[index] = UInt8(truncatingIfNeeded: rng.next())
            default: bytes[index] = rng.pick(Array(":-[]{}#&*!|>'\"\n ,?%@`".utf8))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    mutating func deleteLines(_ text: String) -> String {
        var lines = lines(text)
        guard lines.count > 1 else { return "" }
        let start = rng.below(lines.count)
        lines.removeSubrange(start..<min(lines.count, start + 1 + rng.below(3)))
        return lines.joined(separator: "\n")
    }

    mutating func duplicateLine(_ text: String) -> String {
        var lines = lines(text)
        let index = rng.below(lines.count)
        lines.insert(lines[index], at: rng.below(lines.count + 1))
        return lines.joined(separator: "\n")
    }

    mutating func swapLines(_ text: String) -> String {
        var lines = lines(text)
        guard lines.count > 1 else { return text }
        lines.swapAt(rng.below(lines.count), rng.below(lines.count))
        return lines.joined(separator: "\n")
    }

    mutating func reindent(_ text: String) -> String {
        var lines = lines(text)
        let index = rng.below(lines.count)
        let line = lines[index]
        let stripped = line.drop { $0 == " " }
        switch rng.below(4) {
        case 0: lines[index] = Substring(String(repeating: " ", count: 1 + rng.below(4))) + line
        case 1: lines[index] = line.dropFirst(min(line.count - stripped.count, 1 + rng.below(4)))
        case 2: lines[index] = Substring(String(repeating: " ", count: rng.below(12))) + stripped
        default: lines[index] = "\t" + stripped
        }
        return lines.joined(separator: "\n")
    }

    mutating func replaceValue(_ text: String) -> String {
        var lines = lines(text)
        for _ in 0..<8 {
            let index = rng.below(lines.count)
            let line = String(lines[index])
            guard let start = Self.valueStart(in: line) else { continue }
            var value = rng.pick(Self.wrongValues)
            if value.contains("\n") {
                let indent = String(repeating: " ", count: line.prefix { $0 == " " }.count + 2)
                value = "\n" + value.split(separator: "\n").map { indent + $0 }.joined(separator: "\n")
            }
            lines[index] = Substring(String(line[..<start]) + value)
            return lines.joined(separator: "\n")
        }
        return text
    }

    mutating func insertScalars(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<(1 + rng.below(3)) {
            let insertion = rng.pick(Self.insertions)
            scalars.insert(contentsOf: insertion.unicodeScalars, at: rng.below(scalars.count + 1))
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    mutating func truncate(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes.prefix(rng.below(bytes.count + 1)), as: UTF8.self)
    }

    mutating func unknownKey(_ text: String) -> String {
        var lines = lines(text)
        let index = rng.below(lines.count)
        let indent = lines[index].prefix { $0 == " " || $0 == "-" }.replacingOccurrences(of: "-", with: " ")
        let key = rng.pick(["colour", "tiemout", "Name", "steps_", "\"quoted key\"", "? complex", "[a, b]", "{k: v}",
                            "<<", "runn", "wait-for", "Ω", "x\u{0301}"])
        lines.insert(Substring(indent + key + ": " + rng.pick(Self.wrongValues.filter { !$0.contains("\n") })), at: index)
        return lines.joined(separator: "\n")
    }

    mutating func anchorAndAlias(_ text: String) -> String {
        var lines = lines(text)
        let name = rng.pick(["a", "x", "probe", "defaults", "p1", "δ"])
        for _ in 0..<8 {
            let index = rng.below(lines.count)
            let line = String(lines[index])
            guard let start = Self.valueStart(in: line) else { continue }
            let form = rng.below(4)
            lines[index] = Substring(String(line[..<start]) + (form == 0 ? "*\(name)" : "&\(name) " + line[start...]))
            if form != 0 {
                let target = rng.below(lines.count)
                let indent = String(repeating: " ", count: lines[target].prefix { $0 == " " }.count)
                lines.insert(Substring(indent + (form == 1 ? "<<: *\(name)" : "alias_\(rng.below(9)): *\(name)")), at: target)
            }
            return lines.joined(separator: "\n")
        }
        return text
    }

    mutating func tabs(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<(1 + rng.below(3)) {
            guard let index = scalars.indices.randomElement(using: &rng), scalars[index] == " " || scalars[index] == "\n" else { continue }
            if scalars[index] == " " { scalars[index] = "\t" } else { scalars.insert("\t", at: index + 1) }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    mutating func longLine(_ text: String) -> String {
        var lines = lines(text)
        let length = rng.chance(20) ? 20_000 + rng.below(40_000) : 500 + rng.below(3_000)
        let unit = rng.pick(["x", "é", "[", "{", "- ", "a: ", "\"", "#", " ", "🔥", "*a ", "&a "])
        let long = String(repeating: unit, count: length / unit.utf8.count)
        let index = rng.below(lines.count)
        switch rng.below(3) {
        case 0: lines.insert(Substring("description: " + long), at: index)
        case 1: lines[index] += long
        default: lines.insert(Substring(long), at: index)
        }
        return lines.joined(separator: "\n")
    }

    mutating func splice(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard bytes.count > 2 else { return text }
        let start = rng.below(bytes.count)
        let chunk = Array(bytes[start..<min(bytes.count, start + 1 + rng.below(200))])
        bytes.insert(contentsOf: chunk, at: rng.below(bytes.count + 1))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A "billion laughs" block: each level a list of aliases to the level below.
    mutating func aliasBomb(_ text: String) -> String {
        let levels = 4 + rng.below(8), width = 2 + rng.below(9)
        var bomb = "bomb0: &l0 [\"lol\"]\n"
        for level in 1...levels {
            bomb += "bomb\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: width).joined(separator: ", ") + "]\n"
        }
        let use = rng.pick(["tags: *l\(levels)\n", "vars: {x: *l\(levels)}\n", "? *l\(levels)\n: x\n", "<<: {a: *l\(levels)}\n"])
        var lines = lines(text)
        lines.insert(Substring(bomb + use), at: rng.below(lines.count + 1))
        return lines.joined(separator: "\n")
    }

    /// Nesting deeper than any scenario needs, as flow or block collections.
    mutating func deepen(_ text: String) -> String {
        var lines = lines(text)
        let depth = 10 + rng.below(rng.chance(10) ? 3_000 : 120)
        let deep: String
        switch rng.below(4) {
        case 0: deep = "deep: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        case 1: deep = "deep: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth)
        case 2: deep = "deep: " + String(repeating: "- ", count: depth) + "x"
        default: deep = (0..<min(depth, 400)).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " v"
        }
        lines.insert(Substring(deep), at: rng.below(lines.count + 1))
        return lines.joined(separator: "\n")
    }
}

// MARK: - Dedicated inputs

private func repeated(_ unit: String, _ count: Int) -> String { String(repeating: unit, count: count) }

/// Nested block mappings, one level per line.
private func nestedBlockMaps(_ depth: Int) -> String {
    (0..<depth).map { repeated(" ", $0) + "k:" }.joined(separator: "\n") + " v\n"
}

private func billionLaughs(levels: Int, width: Int, use: String) -> String {
    var text = "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\nvars:\n  l0: &l0 \"lol\"\n"
    for level in 1...levels {
        text += "  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: width).joined(separator: ", ") + "]\n"
    }
    return text + use.replacingOccurrences(of: "TOP", with: "*l\(levels)")
}

struct Dedicated: Sendable, CustomTestStringConvertible {
    var label: String
    var make: @Sendable () -> String
    var testDescription: String { label }
}

private let dedicated: [Dedicated] = [
    Dedicated(label: "empty") { "" },
    Dedicated(label: "only newlines") { "\n\n\n" },
    Dedicated(label: "only whitespace") { "   \t \n  \r\n \t\n" },
    Dedicated(label: "only comments") { "# one\n  # two\n#three" },
    Dedicated(label: "only a BOM") { "\u{FEFF}" },
    Dedicated(label: "document markers only") { "---\n...\n" },
    Dedicated(label: "two empty documents") { "---\n---\n" },
    Dedicated(label: "top-level scalar") { "just a string\n" },
    Dedicated(label: "top-level number") { "42" },
    Dedicated(label: "top-level null") { "~\n" },
    Dedicated(label: "top-level list") { "- firedrill: 1\n- name: t\n" },
    Dedicated(label: "top-level flow list") { "[firedrill, 1]" },
    Dedicated(label: "top-level block scalar") { "--- |\n  text\n" },
    Dedicated(label: "top-level alias") { "*a" },
    Dedicated(label: "NUL only") { "\u{0000}" },
    Dedicated(label: "NUL after unicode") { "name: é👩‍👩‍👧x\u{0000}\n" },
    Dedicated(label: "line separators") { "firedrill: 1\u{2028}name: t\u{2029}\u{0085}phases: [\n" },
    Dedicated(label: "lone carriage returns") { "firedrill: 1\rname: t\rphases: [\r" },
    Dedicated(label: "100,000 [") { repeated("[", 100_000) },
    Dedicated(label: "100,000 {") { repeated("{", 100_000) },
    Dedicated(label: "balanced 100,000 [ ]") { repeated("[", 100_000) + repeated("]", 100_000) },
    Dedicated(label: "nested flow maps") { "x: " + repeated("{a: ", 50_000) + "1" + repeated("}", 50_000) },
    Dedicated(label: "brackets under a key") { "firedrill: 1\nname: t\ntags: " + repeated("[", 100_000) },
    Dedicated(label: "100,000 dashes on a line") { repeated("- ", 100_000) + "x" },
    Dedicated(label: "nested block sequences") { (0..<1_000).map { repeated(" ", $0) + "-" }.joined(separator: "\n") + " x\n" },
    Dedicated(label: "1,000 nested block maps") { nestedBlockMaps(1_000) },
    Dedicated(label: "3,000 nested block maps") { nestedBlockMaps(3_000) },
    Dedicated(label: "huge file") { "firedrill: 1\nname: t\ndescription: |\n" + repeated("  " + repeated("x", 78) + "\n", 60_000) },
    Dedicated(label: "huge line") { "firedrill: 1\nname: " + repeated("x", 3_000_000) + "\n" },
    Dedicated(label: "many steps") {
        "firedrill: 1\nname: t\nphases:\n  - name: p\n    steps:\n"
            + (0..<12_000).map { "      - {name: s\($0), sleep: 1s}\n" }.joined()
    },
    Dedicated(label: "many variables") {
        "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\nvars:\n"
            + (0..<60_000).map { "  v\($0): x\n" }.joined()
    },
    Dedicated(label: "many unknown keys") {
        "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\n"
            + (0..<8_000).map { "unknown\($0): x\n" }.joined()
    },
    Dedicated(label: "many unknown references") {
        "firedrill: 1\nname: t\nvars:\n" + (0..<3_000).map { "  v\($0): \"${v\($0 + 1)}\"\n" }.joined()
            + "phases: [{name: p, steps: [{name: s, run: [" + (0..<30_000).map { "\"${u\($0)}\"" }.joined(separator: ", ") + "]}]}]\n"
    },
    Dedicated(label: "merge of a huge mapping") {
        "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s, <<: {"
            + (0..<40_000).map { "k\($0): x" }.joined(separator: ", ") + "}}]}]\n"
    },
    Dedicated(label: "long variable name and reference") {
        let name = repeated("v", 200_000)
        return "firedrill: 1\nname: t\nvars:\n  ? \(name)a\n  : x\nphases: [{name: p, steps: [{name: s, shell: \"${\(name)b}\"}]}]\n"
    },
    Dedicated(label: "long unknown key") {
        "firedrill: 1\nname: t\n? " + repeated("k", 500_000) + "\n: x\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\n"
    },
    Dedicated(label: "billion laughs in vars") { billionLaughs(levels: 9, width: 10, use: "tags: TOP\n") },
    Dedicated(label: "billion laughs as a key") { billionLaughs(levels: 9, width: 10, use: "? TOP\n: x\n") },
    Dedicated(label: "billion laughs as a flow key") { billionLaughs(levels: 9, width: 10, use: "other: {[TOP, TOP]: 1}\n") },
    Dedicated(label: "alias bomb in rollbacks") {
        var text = "firedrill: 1\nname: t\nsteps:\n  s0: &s0 {name: a, sleep: 1s}\n"
        for level in 1...8 {
            text += "  s\(level): &s\(level) {name: a, sleep: 1s, rollback: [" + repeated("*s\(level - 1), ", 9) + "*s\(level - 1)]}\n"
        }
        return text + "phases: [{name: p, steps: [*s8]}]\n"
    },
    Dedicated(label: "alias bomb through merge keys") {
        var text = "firedrill: 1\nname: t\nm0: &m0 {a: 1}\n"
        for level in 1...25 {
            text += "m\(level): &m\(level) {<<: [*m\(level - 1), *m\(level - 1)], k\(level): 1}\n"
        }
        return text + "phases: [{name: p, steps: [{<<: *m25, name: s, sleep: 1s}]}]\n"
    },
    Dedicated(label: "alias chain deeper than any nesting") {
        var text = "firedrill: 1\nname: t\nc0: &c0 {name: a, sleep: 1s}\n"
        for level in 1...5_000 { text += "c\(level): &c\(level) {name: a, sleep: 1s, rollback: [*c\(level - 1)]}\n" }
        return text + "phases: [{name: p, steps: [*c5000]}]\n"
    },
    Dedicated(label: "many anchors and aliases") {
        "firedrill: 1\nname: t\ntags: [" + (0..<20_000).map { "&a\($0) x\($0), *a\($0)" }.joined(separator: ", ") + "]\n"
    },
    Dedicated(label: "undefined alias") { "firedrill: 1\nname: *nothing\n" },
    Dedicated(label: "anchor redefined") { "firedrill: 1\nname: &a t\ntitle: &a u\nowner: *a\n" },
    Dedicated(label: "self-referencing anchor") { "a: &a [*a]\n" },
    Dedicated(label: "tabs everywhere") { "firedrill:\t1\n\tname: t\nphases:\n\t- name: p\n" },
]

// MARK: - The tests

@Suite struct ScenarioLoaderFuzzTests {
    static let seeds: [(name: String, text: String)] = [
        ("scenarios/demo.yaml", demoScenario), ("every-key", everyKey), ("anchors-and-flow", anchorsAndFlow),
        ("crlf-and-scalars", crlfAndScalars), ("tricky-yaml", trickyYAML), ("safety-keys", safetyKeys),
    ]

    @Test func seedsAreValidScenarios() {
        #expect(!demoScenario.isEmpty, "scenarios/demo.yaml not found")
        for seed in Self.seeds {
            let (scenario, findings) = ScenarioLoader.parse(text: seed.text, file: "seed.yaml", baseDirectory: "/base/scenarios") { _ in true }
            #expect(scenario != nil, "seed \(seed.name) does not load: \(findings.map(\.description))")
            #expect(!findings.contains { $0.severity == .error }, "seed \(seed.name): \(findings.map(\.description))")
        }
    }

    /// 12,000 mutated scenarios, 1 to 4 mutations each, from a fixed seed. Each kind of failure
    /// is reported once, with the first input that showed it. The loop runs on a thread of its
    /// own: its 20-odd seconds on the cooperative pool would starve the tests running beside it.
    @Test(.timeLimit(.minutes(5))) func mutatedScenariosNeverCrashAndEveryFindingIsPositioned() async {
        let seed: UInt64 = 0x00F1_7ED7_1110_2026
        let count = 12_000
        let run = await onOwnThread { FuzzRun(seed: seed, count: count) }
        for issue in run.issues { Issue.record(Comment(rawValue: issue)) }
        print("ScenarioLoaderFuzzTests: \(count) mutated inputs in \(run.elapsed) (slowest #\(run.slowest.1): \(run.slowest.0)); "
              + "\(run.loaded) still loaded, \(run.failed) failed; first error from: "
              + run.stages.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for (kind, times) in run.kinds.sorted(by: { $0.value > $1.value }) { print("  \(times)× \(kind)") }
        #expect(run.failed == 0, "PRNG seed 0x\(String(seed, radix: 16)): \(run.failed) of \(count) inputs failed")
    }

    // MARK: Limits, each at the place it is crossed

    private func descriptions(_ text: String) -> [String] {
        ScenarioLoader.parse(text: text, file: "t.yaml", baseDirectory: "/base") { _ in true }.findings.map(\.description)
    }

    @Test func fileSizeIsLimited() {
        let head = "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\ndescription: |\n"
        let atLimit = head + repeated("  x\n", (ScenarioLoader.Limits.maxBytes - head.utf8.count) / 4)
        #expect(ScenarioLoader.parse(text: atLimit, file: "t.yaml", baseDirectory: "/") { _ in true }.scenario != nil)
        let over = atLimit + repeated("x", ScenarioLoader.Limits.maxBytes + 1 - atLimit.utf8.count)
        #expect(descriptions(over) == ["t.yaml:1:1: error: the scenario is 1048577 bytes; the limit is 1048576 bytes (1 MiB)"])
    }

    @Test func loadRefusesOversizedFilesWithoutReadingThemWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-huge-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: UInt8(ascii: "#"), count: 3 << 20).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: path, environment: [:]) }
        #expect(error?.findings.map(\.description) == ["\(path):1:1: error: the scenario is 3145728 bytes; the limit is 1048576 bytes (1 MiB)"])
        try Data().write(to: URL(fileURLWithPath: path))
        let empty = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: path, environment: [:]) }
        #expect(empty?.findings.map(\.description) == ["\(path):1:1: error: the scenario file is empty"])
        if FileManager.default.fileExists(atPath: "/dev/zero") {
            let zero = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: "/dev/zero", environment: [:]) }
            // A device is refused before it is read: it never ends.
            #expect(zero?.findings.map(\.description) == ["/dev/zero:1:1: error: cannot read the scenario: not a regular file (a character device)"])
        }
    }

    @Test func flowNestingIsLimitedWhereItIsCrossed() {
        // The root mapping is level 1, so the 64th '[' (column 6 + 64) is level 65.
        #expect(descriptions("firedrill: 1\nname: t\ntags: " + repeated("[", 100_000)) == [
            "t.yaml:3:70: error: lists and mappings nested more than 64 levels deep (the limit for a scenario)",
        ])
        #expect(descriptions("x: " + repeated("{a: ", 1_000)).first == "t.yaml:1:256: error: lists and mappings nested more than 64 levels deep (the limit for a scenario)")
        // 64 levels are allowed through to the reader.
        let deepest = descriptions("firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\ntags: "
            + repeated("[", 63) + repeated("]", 63) + "\n")
        #expect(deepest == ["t.yaml:4:8: error: expected a string, got a list"])
    }

    @Test func blockNestingIsLimitedWhereItIsCrossed() {
        #expect(descriptions(nestedBlockMaps(1_000)) == [
            "t.yaml:65:65: error: lists and mappings nested more than 64 levels deep (the limit for a scenario)",
        ])
        #expect(descriptions(repeated("- ", 1_000) + "x").first == "t.yaml:1:129: error: lists and mappings nested more than 64 levels deep (the limit for a scenario)")
    }

    @Test func bracketsInStringsAndCommentsAreNotNesting() {
        let brackets = repeated("[{", 100)
        let text = """
            firedrill: 1
            name: t
            # \(brackets)
            title: "\(brackets) \\" \(brackets)"
            owner: '\(brackets) '' \(brackets)'
            description: |
              \(brackets)
                \(brackets) *alias &anchor
            tags: [a, "\(brackets)", '\(brackets)']  # \(brackets)
            runbook: plain \(brackets) text
            phases: [{name: p, steps: [{name: s, shell: "echo \(brackets)"}]}]

            """
        #expect(descriptions(text) == [])
    }

    @Test func aliasBombsAreStoppedAtTheAliasThatExplodes() {
        let text = billionLaughs(levels: 9, width: 10, use: "tags: TOP\n")
        // Expansions: l0 is 1 node, l1 11, l2 111, l3 1111; by line 9 aliases have added 1230, and
        // the 8th '*l3' there takes them past 10000.
        let line9 = text.split(separator: "\n")[8]
        let eighth = line9.ranges(of: "*l3")[7].lowerBound
        let column = line9.unicodeScalars.distance(from: line9.startIndex, to: eighth) + 1
        #expect(descriptions(text) == [
            "t.yaml:9:\(column): error: alias '*l3' brings the nodes that aliases add past 10000, the limit for a scenario (an alias bomb?)",
        ])
        // Modest reuse is fine.
        let reuse = "firedrill: 1\nname: t\nphases:\n  - name: p\n    steps:\n      - &s {name: s0, sleep: 1s, retries: 1, timeout: 5s}\n"
            + (1...300).map { "      - {<<: *s, name: s\($0)}\n" }.joined()
        #expect(descriptions(reuse) == [])
    }

    @Test func aliasesCannotNestDeeperThanTheLimit() {
        let text = dedicated.first { $0.label == "alias chain deeper than any nesting" }!.make()
        // Each link nests two levels more: '*c31' on line 35 reaches level 66.
        let line35 = text.split(separator: "\n")[34]
        let column = line35.unicodeScalars.distance(from: line35.startIndex, to: line35.range(of: "*c31")!.lowerBound) + 1
        #expect(descriptions(text) == [
            "t.yaml:35:\(column): error: alias '*c31' nests lists and mappings more than 64 levels deep (the limit for a scenario)",
        ])
    }

    // MARK: Positions libyaml reports past the text

    @Test func errorsAtTheEndOfATextWithoutFinalNewlineStayOnItsLastLine() {
        #expect(descriptions("firedrill: 1\nname: t\nphases: [") == [
            "t.yaml:3:10: error: invalid YAML: did not find expected node content (while parsing a flow node at line 3, column 10)",
        ])
    }

    @Test func linesAreCountedAtLineFeedsOnly() {
        // libyaml also breaks lines at LS, PS, NEL and a lone CR; editors and the loader do not.
        // libyaml's own count would put the first error at 3:8, on an empty line.
        #expect(descriptions("firedrill: 1\u{2028}name: t\nphases: {\u{2029}bad: [}\n") == [
            "t.yaml:2:17: error: invalid YAML: did not find expected node content (while parsing a flow node at line 2, column 17)",
        ])
        #expect(descriptions("firedrill: 1\rname: T\r") == [
            "t.yaml:1:1: error: no phases: a scenario needs at least one phase with steps",
            "t.yaml:1:20: error: name 'T' must use only lowercase letters, digits and '-' (like kill-thanos-vms)",
        ])
    }

    /// How long the loader takes on such inputs is the benchmark's figure (docs/PERFORMANCE.md);
    /// the time limit here only stops a hang. Run off the pool: the largest take seconds in a debug build.
    @Test(.timeLimit(.minutes(2)), arguments: dedicated)
    func adversarialInputsAreRejectedWithPositionedErrors(_ input: Dedicated) async {
        // FIREDRILL_FUZZ_CASE=label runs one case alone.
        if let only = ProcessInfo.processInfo.environment["FIREDRILL_FUZZ_CASE"], only != input.label { return }
        let (bytes, problems, elapsed) = await onOwnThread { () -> (Int, [String], Duration) in
            let text = input.make()
            let start = ContinuousClock.now
            let problems = robustnessIssue(text, input.label)
            return (text.utf8.count, problems.map { [$0] } ?? [], ContinuousClock.now - start)
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
        print("ScenarioLoaderFuzzTests: \(input.label): \(bytes) bytes in \(elapsed)")
    }
}
