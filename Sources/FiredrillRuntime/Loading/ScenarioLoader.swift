import Crypto
import FiredrillCore
import Foundation
import Yams

/// A scenario file read and validated, with what a run records about it.
public struct LoadedScenario: Sendable {
    public var scenario: Scenario
    /// As given to `load(path:)`.
    public var path: String
    /// The file's exact bytes, as UTF-8 text.
    public var text: String
    /// Lowercase hex SHA-256 of the file's bytes: which version of the scenario a run used.
    public var sha256: String
    /// Findings that do not stop the scenario from running.
    public var warnings: [Finding]

    public init(scenario: Scenario, path: String, text: String, sha256: String, warnings: [Finding]) {
        self.scenario = scenario
        self.path = path
        self.text = text
        self.sha256 = sha256
        self.warnings = warnings
    }
}

/// Reads scenario files (format v1, YAML) into the model, reporting every problem at once,
/// each positioned at `FILE:LINE:COLUMN` (1-based, columns counted in Unicode scalars).
public enum ScenarioLoader {
    typealias Reader = ScenarioReader

    /// Reads, parses and validates; throws ScenarioInvalid with every error (sorted by location) at once.
    /// Warnings come with the errors when there are errors, in `warnings` otherwise; among them,
    /// `${env.NAME}` references to variables missing from `environment`.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ScenarioInvalid) -> LoadedScenario {
        let bytes = try read(path)
        if bytes.count > Limits.maxBytes { throw ScenarioInvalid(findings: [oversizeFinding(path: path)]) }
        let hasBOM = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        if let (line, column) = firstInvalidUTF8(in: hasBOM ? Array(bytes.dropFirst(3)) : bytes) {
            throw ScenarioInvalid(findings: [.error("the file is not valid UTF-8 text", at: .init(file: path, line: line, column: column))])
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var (scenario, findings) = build(text: text, file: path, baseDirectory: directory) { FileManager.default.fileExists(atPath: $0) }
        if let scenario { findings += environmentWarnings(scenario, environment: environment) }
        findings = findings.sortedByLocation()
        guard let scenario, !findings.hasErrors else { throw ScenarioInvalid(findings: findings) }
        let sha256 = AuditChain.hex(SHA256.hash(data: bytes))
        return LoadedScenario(scenario: scenario, path: path, text: text, sha256: sha256, warnings: findings)
    }

    /// Pure entry point for tests: text in, model and findings out. fileExists is asked about the runbook path resolved against baseDirectory.
    /// The scenario is nil when there is any error; findings are sorted by location.
    public static func parse(
        text: String, file: String, baseDirectory: String, fileExists: (String) -> Bool
    ) -> (scenario: Scenario?, findings: [Finding]) {
        let (scenario, findings) = build(text: text, file: file, baseDirectory: baseDirectory, fileExists: fileExists)
        return (findings.hasErrors ? nil : scenario, findings)
    }

    /// The model as far as it could be built, even with errors, and every finding.
    static func build(
        text: String, file: String, baseDirectory: String, fileExists: (String) -> Bool
    ) -> (scenario: Scenario?, findings: [Finding]) {
        // Editors on Windows save a byte order mark; positions count from the character after it.
        let text = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        if let finding = limitFinding(in: text, file: file) { return (nil, [finding]) }
        let positions = TextPositions(text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return (nil, [yamlFinding(error, file: file, text: text, positions: positions)])
        }
        guard let root else {
            return (nil, [.error("the scenario file is empty", at: .init(file: file, line: 1, column: 1))])
        }
        var reader = Reader(file: file, positions: positions)
        guard let scenario = reader.scenario(root) else { return (nil, reader.findings.sortedByLocation()) }
        var findings = reader.findings
        if let runbook = scenario.runbook, !runbook.isEmpty, let at = reader.runbookLocation {
            let resolved = resolve(runbook, against: baseDirectory)
            if !fileExists(resolved) { findings.append(.error("runbook '\(runbook)' not found (looked at \(resolved))", at: at)) }
        }
        // The reader already reported, at the value itself, what the validator would repeat
        // in the same words at the enclosing step; keep the better-placed one.
        let reported = Set(findings.map(\.message))
        findings += ScenarioValidator.validate(scenario) { _ in nil }.filter { !reported.contains($0.message) }
        var seen: Set<Finding> = []
        // An anchor used twice reports its problems twice, at the same place.
        findings = findings.filter { seen.insert($0).inserted }
        return (scenario, findings.sortedByLocation())
    }

    /// The file's bytes, refusing what is not a regular file: a FIFO with no writer would block
    /// forever, a device never ends. Opened without blocking, then checked on the open descriptor,
    /// so the file cannot be swapped between the check and the read.
    static func read(_ path: String) throws(ScenarioInvalid) -> [UInt8] {
        let at = SourceLocation(file: path, line: 1, column: 1)
        func refuse(_ why: String) -> ScenarioInvalid { ScenarioInvalid(findings: [.error("cannot read the scenario: \(why)", at: at)]) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ENOTDIR: throw refuse("no such file")
            case EACCES, EPERM: throw refuse("permission denied")
            case let code: throw refuse(String(cString: strerror(code)))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refuse(String(cString: strerror(errno))) }
        if let kind = nonRegularKind(info.st_mode) { throw refuse("not a regular file (\(kind))") }
        guard let bytes = readBounded(fd) else { throw refuse("unreadable (\(String(cString: strerror(errno))))") }
        return bytes
    }

    /// What a file that is not regular is, for the error; nil for a regular file.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a file"
        }
    }

    /// Line and column (in Unicode scalars) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> (line: Int, column: Int)? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var line = 1, column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return nil
            case .error:
                return (line, column)
            }
        }
    }

    /// Joins and removes `.` and `..` by text alone, as the runbook path is shown to people.
    static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if part == "..", joined.hasPrefix("/") { continue }
            parts.append(part)
        }
        let body = parts.joined(separator: "/")
        return joined.hasPrefix("/") ? "/" + body : (body.isEmpty ? "." : body)
    }

    /// `${env.NAME}` is read when the step runs; a variable missing now will most likely be missing then.
    static func environmentWarnings(_ scenario: Scenario, environment: [String: String]) -> [Finding] {
        var warnings: [Finding] = []
        for template in scenario.templates {
            for name in Set(template.references) where name.hasPrefix("env.") && name.count > 4 {
                let variable = String(name.dropFirst(4))
                if environment[variable] == nil {
                    warnings.append(.warning("environment variable '\(variable)' is not set; '${\(name)}' cannot be resolved without it",
                                             at: template.location))
                }
            }
        }
        return warnings
    }

    // MARK: YAML errors

    static func yamlFinding(_ error: any Error, file: String, text: String, positions: TextPositions? = nil) -> Finding {
        func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: max(line, 1), column: max(column, 1)) }
        // libyaml's marks, placed as the loader counts lines.
        let positions = positions ?? TextPositions(text)
        func marked(_ mark: Yams.Mark) -> SourceLocation { positions.location(file: file, line: mark.line, column: mark.column) }
        guard let error = error as? YamlError else {
            return .error("invalid YAML: \(error)", at: at(1, 1))
        }
        switch error {
        case .composer(_, "but found another document", let mark, _):
            return .error("a scenario file holds one YAML document; found a second one here", at: marked(mark))
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { context in
                let place = marked(context.mark)
                return " (\(context.text) at line \(place.line), column \(place.column))"
            } ?? ""
            return .error("invalid YAML: \(problem)\(where_)", at: marked(mark))
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { lineAndColumn(ofCharacterOffset: $0, in: text) } ?? (1, 1)
            return .error("invalid YAML: \(problem)", at: at(line, column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = marked(context.mark)
            if let second = secondOccurrence(of: key, firstLine: first.line, column: first.column, in: text) {
                return .error("duplicate key '\(key)' (first at line \(first.line))", at: at(second.line, second.column))
            }
            return .error("duplicate key '\(key)' in this mapping", at: first)
        default:
            return .error("invalid YAML: \(error)", at: at(1, 1))
        }
    }

    static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" { line += 1; column = 1 } else { column += character.unicodeScalars.count }
        }
        return (line, column)
    }

    /// Yams names only the first of two equal keys; in a block mapping the second starts a
    /// later line at the same column, before any line indented less ends the mapping.
    static func secondOccurrence(of key: String, firstLine: Int, column: Int, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard firstLine >= 1, firstLine <= lines.count else { return nil }
        let written = [key, "\"\(key)\"", "'\(key)'"]
        for index in firstLine..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\r" }) else { continue }
            if scalars[start] == "#" { continue }
            if start < column - 1 { return nil }
            guard start == column - 1 else { continue }
            let rest = String(String.UnicodeScalarView(scalars[start...]))
            for form in written where rest.hasPrefix(form) {
                if rest.dropFirst(form.count).drop(while: { $0 == " " }).hasPrefix(":") { return (index + 1, column) }
            }
        }
        return nil
    }
}
