import ArgumentParser
import FiredrillCore
import FiredrillPostgres
import FiredrillRuntime
import Foundation

/// The `firedrill` command line. The executable only calls `FiredrillCommand.main(arguments:)`.
public struct FiredrillCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "firedrill",
        abstract: "Run disaster-recovery drills, measure RTO and RPO, and keep the evidence.",
        // One line per code: ArgumentParser wraps the text itself.
        discussion: [
            "Exit codes:",
            "0 completed and every objective met;",
            "1 completed but an objective missed or steady state not restored, or `verify` found a broken chain;",
            "2 invalid scenario or usage;",
            "3 failed, aborted (rolled back) or interrupted;",
            "4 waiting on an operator (a manual step, or halted with a step in doubt);",
            "5 completed, none missed, but an objective undetermined (its bounds straddle it) or not measured;",
            "70 internal error (including a record that cannot be written).",
        ].joined(separator: "\n"),
        version: Firedrill.version,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, RunCommand.self, ConfirmCommand.self, ResumeCommand.self,
            ResolveCommand.self, AbortCommand.self, StatusCommand.self, HistoryCommand.self, RetroCommand.self, ReportCommand.self, ActionsCommand.self, DueCommand.self, ScheduleCommand.self,
            VerifyCommand.self, MetricsCommand.self, ServeCommand.self, ExportCommand.self, ImportCommand.self, DatabaseCommand.self, KeyCommand.self, TokenCommand.self, SchemaCommand.self, DemoCommand.self,
        ]
    )

    public init() {}

    /// Parses and runs; maps usage errors to exit 2 and unexpected errors to 70.
    public static func main(arguments: [String]) async -> Int32 {
        do {
            var command: any ParsableCommand
            // `run` parsed on its own: parsing at the root reflects over every subcommand's
            // arguments first. Anything it does not take as a plain run (help, a usage error)
            // is parsed again from the root, which says it as always.
            if arguments.first == "run", let run = try? RunCommand.parseAsRoot(Array(arguments.dropFirst())), run is RunCommand {
                command = run
            } else {
                command = try parseAsRoot(arguments)
            }
            // Every command reads the clock or records it; refuse one no record can hold (past 2262).
            do { try SystemClock.check() } catch { throw CommandFailure.internalError("\(error)") }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data(ControlCharacters.visible("firedrill: error: \(failure.message)\n").utf8))
            return failure.code
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data(ControlCharacters.visible(message.hasSuffix("\n") ? message : message + "\n").utf8))
            if code == .validationFailure { return 2 }
            if code.rawValue == 1, !(error is CleanExit) { return 70 }
            return code.rawValue
        }
    }
}

/// A failure the command explains itself, with its exit code.
struct CommandFailure: Error {
    var message: String
    var code: Int32
    static func usage(_ message: String) -> CommandFailure { .init(message: message, code: 2) }
    static func internalError(_ message: String) -> CommandFailure { .init(message: message, code: 70) }
}

struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The record: a SQLite file, or postgres://USER@HOST:PORT/DB?sslmode=MODE (default: $FIREDRILL_DB or ./firedrill.db).",
        valueName: "path-or-url"))
    var db: String?

    /// As given: a path, or a URL that may hold a password (never shown; see `shown`).
    var path: String { db ?? ProcessInfo.processInfo.environment["FIREDRILL_DB"] ?? SQLiteStore.defaultPath }

    var isPostgres: Bool { PostgresLocation.isURL(path) }

    /// The record's name as people may see it: a URL's password masked.
    var shown: String { isPostgres ? ((try? PostgresLocation(url: path).masked) ?? PostgresLocation.masked(path)) : path }

    /// Opens the record, migrating it on first use. A PostgreSQL URL that does not parse, a
    /// server that does not answer, a refused password or a missing database stop here (70).
    func open() throws -> any DrillStore {
        do {
            if isPostgres { return try PostgresStore(url: path) }
            return try SQLiteStore(path: path)
        } catch { throw CommandFailure.internalError(error.description) }
    }

    /// A SQLite record must exist already (a typo should not make an empty one); a PostgreSQL one is opened.
    func openExisting() throws -> any DrillStore {
        guard isPostgres || FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure.usage("no Firedrill database at \(path) (use --db or FIREDRILL_DB)")
        }
        return try open()
    }
}

/// Creates the folder `path` goes in; a bare file name goes in the current one, which exists
/// (and which `createDirectory("")` would refuse).
func createParentDirectory(of path: String) throws {
    let parent = (path as NSString).deletingLastPathComponent
    guard !parent.isEmpty else { return }
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
}

/// `--var name=value`, repeatable.
func parseVars(_ pairs: [String]) throws -> [String: String] {
    var vars: [String: String] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw CommandFailure.usage("--var expects name=value, got '\(pair)'")
        }
        vars[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
    }
    return vars
}

/// Loads a scenario or prints every finding and fails with exit 2.
func loadScenario(_ path: String) throws -> LoadedScenario {
    do {
        let loaded = try ScenarioLoader.load(path: path)
        for warning in loaded.warnings { FileHandle.standardError.write(Data(ControlCharacters.visible("\(warning)\n").utf8)) }
        return loaded
    } catch {
        // Findings quote the scenario: its control characters are shown, not sent to the terminal.
        FileHandle.standardError.write(Data(ControlCharacters.visible(error.description + "\n").utf8))
        throw ExitCode(2)
    }
}

/// A stored run as its chain tells it: the scenario it ran (from event 1), its start, end,
/// status and figures recomputed from the events, not read from the editable runs table.
func evidence(of run: RunRecord, in store: any DrillStore) throws -> RunEvidence {
    do { return try RunEvidence.load(run, from: store) } catch let error as EvidenceError {
        throw CommandFailure.internalError(error.description)
    }
}

/// Every run as its chain tells it, newest first, of one scenario by the name its chain holds
/// (not the editable table's). A run whose chain cannot be read is named on stderr and left out.
func chainedRuns(scenario: String?, in store: any DrillStore) throws -> [RunEvidence] {
    try chained(scenario: scenario, in: store) { $0 }
}

/// Every run as `history` and `due` list it, newest first (see `RunSummary`). A run whose chain
/// cannot be read is named on stderr and left out.
func chainedSummaries(scenario: String?, in store: any DrillStore) throws -> [RunSummary] {
    var found: [RunSummary] = []
    try RunSummary.loadEvery(from: store) { id, result in
        switch result {
        case .success(let summary):
            if scenario == nil || summary.scenario == scenario { found.append(summary) }
        case .failure(let error):
            leftOut(id, error)
        }
    }
    return found.sorted { ($0.startedWallNs, $0.id) > ($1.startedWallNs, $1.id) }
}

func leftOut(_ id: String, _ error: any Error) {
    FileHandle.standardError.write(Data("firedrill: warning: run \(id) left out: \(error) (`firedrill verify` names the break)\n".utf8))
}

/// Every run as its chain tells it, each kept as `keep` makes it, newest first.
func chained<T>(scenario: String?, in store: any DrillStore, keep: (RunEvidence) -> T) throws -> [T] {
    var found: [(RunRecord, T)] = []
    try RunEvidence.loadEvery(try store.runs(scenario: nil), from: store) { run, result in
        switch result {
        case .success(let evidence):
            if scenario == nil || evidence.run.scenario == scenario { found.append((evidence.run, keep(evidence))) }
        case .failure(let error):
            leftOut(run.id, error)
        }
    }
    return found.sorted { ($0.0.startedWallNs, $0.0.id) > ($1.0.startedWallNs, $1.0.id) }.map(\.1)
}

/// A scenario name or run id as a path component: a name the loader accepts passes as it is;
/// anything else (a forged record's `../..`) cannot leave the reports folder.
func pathComponent(_ name: String) -> String {
    let safe = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    return safe && !name.isEmpty && name.count <= 100 ? name : "unnamed"
}

/// The scenario a stored run ran, parsed again from the text its chain holds.
func storedScenario(_ run: RunRecord, in store: any DrillStore) throws -> Scenario {
    try evidence(of: run, in: store).scenario
}

/// Runs a drill, turning what stops it early into a clear message and exit code:
/// a held lease or a busy scenario (2), a missing secret (2), an unwritable record (70).
func runReporting(_ body: () async throws -> RunOutcome) async throws -> RunOutcome {
    do {
        return try await body()
    } catch let error as LeaseError {
        throw CommandFailure.usage(error.description)
    } catch let error as ExecutorError {
        switch error {
        case .secrets, .noSuchRun: throw CommandFailure.usage(error.description)
        case .recordFailed, .interrupted: throw CommandFailure.internalError(error.description)
        }
    } catch let error as StoreError {
        throw CommandFailure.internalError(error.description)
    }
}

/// A stored run, the scenario it ran, and the machine its events rebuild.
func replayed(_ id: String, in store: any DrillStore) throws -> (RunRecord, Scenario, DrillMachine) {
    let found = try evidence(of: try findRun(id, in: store), in: store)
    return (found.run, found.scenario, found.machine)
}

func findRun(_ id: String, in store: any DrillStore) throws -> RunRecord {
    guard let run = try store.findRun(id) else { throw CommandFailure.usage("no run '\(id)' in \(store.location)") }
    return run
}

func printSummary(_ outcome: RunOutcome, store: any DrillStore) {
    var lines = ["", "Run \(outcome.runID): \(outcome.status.rawValue)"]
    if let reason = outcome.failureReason { lines.append("  why: \(reason)") }
    if let m = outcome.measurement {
        if let rto = m.rto {
            lines.append("  RTO \(rto.value.secondsText) (between \(rto.lower.secondsText) and \(rto.upper.secondsText); resolution \(rto.resolution), \(rto.resolutionSource))"
                + (m.rtoObjective.map { " objective \($0.target): \($0.verdict.summaryWord)" } ?? ""))
        } else if m.rtoObjective != nil {
            lines.append("  RTO not measured: \(m.rtoUnknownBecause ?? "") objective \(m.rtoObjective!.target): \(m.rtoObjective!.verdict.summaryWord)")
        }
        if let ttd = m.timeToDetect { lines.append("  time to detect \(ttd.value.secondsText)") }
        if let rpo = m.rpo {
            if let span = rpo.span {
                lines.append("  RPO \(span.value.secondsText) (resolution \(span.resolution), \(span.resolutionSource)); \(rpo.lostWrites) of \(rpo.acknowledgedWrites) acknowledged writes lost"
                    + (m.rpoObjective.map { " objective \($0.target): \($0.verdict.summaryWord)" } ?? ""))
            } else {
                lines.append("  RPO not measured: \(rpo.unknownBecause ?? "")"
                    + (m.rpoObjective.map { " objective \($0.target): \($0.verdict.summaryWord)" } ?? ""))
            }
        }
        if let retention = m.retention {
            let objective = m.retentionObjective.map { " objective at least \($0.target): \($0.verdict.summaryWord)" } ?? ""
            if let span = retention.span, let point = retention.restored {
                lines.append("  retention \(span.value.ageText) (\(point.id); between \(span.lower.secondsText) and \(span.upper.secondsText); resolution \(span.resolution), \(span.resolutionSource))\(objective)")
            } else {
                lines.append("  retention not measured: \(retention.unknownBecause ?? "")\(objective)")
            }
            if let oldest = retention.oldest, let newest = retention.newest {
                lines.append("  window: \(retention.pointsListed) restore point\(retention.pointsListed == 1 ? "" : "s") from \(oldest.id) (\(oldest.time)) to \(newest.id) (\(newest.time))")
            }
            if let past = retention.pastForgetAfter, let objective = m.forgetAfterObjective {
                let named = past.isEmpty ? "none" : past.map(\.id).joined(separator: ", ")
                lines.append("  past forget_after \(objective.target): \(named); objective: \(objective.verdict.summaryWord)")
            }
        }
    }
    lines.append("  record: \(store.location)")
    if !outcome.rollbacksOwed.isEmpty {
        lines.append("  rollbacks owed: \(outcome.rollbacksOwed.joined(separator: ", "))")
    }
    if outcome.status == .waiting {
        lines.append("  waiting on an operator: firedrill confirm \(outcome.runID) --by NAME [--note TEXT]")
    } else if outcome.status == .halted {
        lines.append("  halted: decide with firedrill resolve \(outcome.runID) --retry | --skip | --rollback --by NAME [--note TEXT]")
    } else {
        lines.append("  retrospective: firedrill retro \(outcome.runID)")
    }
    ProgressPrinter.write(lines.joined(separator: "\n") + "\n")
}

extension LoadedScenario {
    /// What the executor records: the model and the exact text it came from.
    var source: ScenarioSource { ScenarioSource(scenario: scenario, path: path, text: text, sha256: sha256) }
}
