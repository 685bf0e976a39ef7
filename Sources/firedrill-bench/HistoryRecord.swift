import Crypto
import FiredrillCore
import FiredrillRuntime
import Foundation

/// A record of many drills for timing `history` and `due`: one real drill run by the executor
/// (steady state, a canary, four phases with marks and `wait_for`s, objectives), its events
/// recorded again for every run, as the run of scenario `drill-N` a day apart. Each copy's
/// first event holds its own scenario's text and hash, so a replay of any run parses and
/// gives the template's figures; the scenario files are written beside it for `due`.
struct HistoryRecord {
    var runs: Int
    var scenarios: Int
    var dir: String
    /// The real run's events, its first one (run_started) replaced in every copy.
    var template: [RecordedEvent]
    var scenarioPaths: [String]

    static func scenarioText(_ index: Int, dir: String) -> String {
        """
        firedrill: 1
        name: drill-\(index)
        title: Lose the service and restore it
        schedule: monthly
        objectives: {rto: 5m, rpo: 1m}
        vars: {log: "\(dir)/canary.log"}
        steady_state:
          - name: service answers
            run: ["true"]
        canary:
          every: 50ms
          warmup: 100ms
          write: {shell: "echo ${canary.seq} >> ${log}"}
          read: {shell: "tail -n 1 ${log}"}
        phases:
          - name: disaster
            steps:
              - name: lose the service
                run: ["true"]
                mark: disaster
          - name: detect
            steps:
              - name: outage seen
                wait_for: {run: ["true"], every: 50ms, consecutive: 3}
                timeout: 30s
                mark: detected
          - name: restore
            steps:
              - name: restore the newest backup
                sleep: 300ms
          - name: verify
            steps:
              - name: service answers again
                wait_for: {run: ["true"], every: 50ms, consecutive: 3}
                timeout: 30s
                mark: recovered

        """
    }

    /// Runs the template drill once and writes the scenario files into `dir`.
    static func make(runs: Int, scenarios: Int, dir: String) async throws -> HistoryRecord {
        let paths = try (0..<scenarios).map { index in
            let path = "\(dir)/drill-\(index).yaml"
            try scenarioText(index, dir: dir).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let loaded = try ScenarioLoader.load(path: paths[0])
        let store = try SQLiteStore(path: "\(dir)/history-template.db")
        let outcome = try await DrillExecutor.start(
            ScenarioSource(scenario: loaded.scenario, path: loaded.path, text: loaded.text, sha256: loaded.sha256),
            overrides: [:], store: store, console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false))
        guard outcome.status == .completed else { throw BenchError("the history template drill ended \(outcome.status.rawValue)") }
        return HistoryRecord(runs: runs, scenarios: scenarios, dir: dir, template: try store.events(of: outcome.runID), scenarioPaths: paths)
    }

    /// `runs` ended runs spread over the scenarios, a day apart, newest last, each recorded as
    /// the executor records a run: created with its first event, the rest in one append, then
    /// its projected figures.
    func fill(_ store: any DrillStore) throws {
        guard let first = template.first, case .runStarted(let started) = first.event,
              let end = template.last, case .runEnded(let status, let headline?) = end.event else {
            throw BenchError("the history template does not start with run_started and end with run_ended and its headline")
        }
        let day: Int64 = 86_400_000_000_000
        let oldest = SystemClock().now().wallNs - Int64(runs) * day / Int64(scenarios)
        let texts = (0..<scenarios).map { Self.scenarioText($0, dir: dir) }
        for index in 0..<runs {
            let text = texts[index % scenarios]
            let name = "drill-\(index % scenarios)"
            let sha = AuditChain.hex(SHA256.hash(data: Data(text.utf8)))
            let shift = oldest + Int64(index) * day / Int64(scenarios) - first.wallNs
            var mine = started
            mine.scenario = name
            mine.scenarioText = text
            mine.scenarioSHA256 = sha
            mine.scenarioPath = "\(dir)/\(name).yaml"
            var mineEnded = headline
            mineEnded.scenario = name
            let events = template.map { recorded in
                let event: DrillEvent = if case .runEnded = recorded.event { .runEnded(status, headline: mineEnded) } else { recorded.event }
                return RecordedEvent(seq: recorded.seq, event: event, at: recorded.at, monoNs: recorded.monoNs, wallNs: recorded.wallNs + shift)
            }
            let id = String(format: "h-%05d", index)
            var run = RunRecord(id: id, scenario: name, title: "Lose the service and restore it", scenarioPath: mine.scenarioPath!, scenarioText: text,
                                scenarioSHA256: sha, status: .running, startedWallNs: first.wallNs + shift, startedMonoNs: first.monoNs,
                                bootID: started.bootID ?? "")
            try store.createRun(run, first: RecordedEvent(seq: 1, event: .runStarted(mine), at: first.at, monoNs: first.monoNs, wallNs: first.wallNs + shift))
            try store.append(Array(events.dropFirst()), to: id)
            run.status = status
            run.endedWallNs = end.wallNs + shift
            run.rtoSeconds = headline.rto?.value.seconds
            run.rpoSeconds = headline.rpo?.value.seconds
            run.objectivesMet = headline.objectivesMet
            try store.updateRun(run)
        }
    }
}
