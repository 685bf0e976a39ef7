import ArgumentParser
import FiredrillCore
import FiredrillReports
import FiredrillRuntime
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's drill report, or the trend of a scenario's drills (HTML, Markdown, JSON or PDF), from the record alone.",
        discussion: """
            The same record always gives the same bytes: the report shows no time of rendering unless \
            --rendered-at gives one. The audit chain is verified while rendering and the result shown. \
            PDF is printed from the HTML by headless Chromium (apt-get install chromium).
            """)

    @Argument(help: "Run id (or a unique prefix) for a drill report.") var runID: String?
    @Option(help: "Instead: the trend of every drill of this scenario (RTO and RPO over time, pass or fail per quarter).") var scenario: String?
    @Flag(help: "Instead: the trend of every scenario in the record.") var all = false
    @Option(help: "html, md, json or pdf.") var format: String = "html"
    @Option(help: "Folder to write report.FORMAT into (default reports/SCENARIO/RUN_ID); - writes to stdout.") var out: String?
    @Option(help: "A Mustache template of your own, given the same data as the shipped ones (see --format json).") var template: String?
    @Option(help: "Text shown as the time of rendering on the cover (none by default, so renders are reproducible).") var renderedAt: String?
    @Option(help: "Name for the sign-off block.") var preparedBy: String?
    @Option(help: "Name for the sign-off block.") var reviewedBy: String?
    @Option(help: "Name for the sign-off block.") var approvedBy: String?
    @Option(help: "Judge action items overdue as of this day (YYYY-MM-DD) instead of today.") var asOf: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        guard let format = ReportRenderer.Format(rawValue: format) else {
            throw CommandFailure.usage("unknown format '\(self.format)'; expected html, md, json or pdf")
        }
        let modes = [runID != nil, scenario != nil, all].filter { $0 }.count
        guard modes == 1 else { throw CommandFailure.usage("give a run id, or --scenario NAME, or --all") }
        let db = try store.openExisting()
        let templateText = try template.map(readTemplate)
        if runID == nil {
            let trend = try Report.trend(scenario: scenario, store: db, asOf: try ActionsCommand.today(asOf), renderedAt: renderedAt)
            guard !trend.scenarios.isEmpty else { throw CommandFailure.usage("no runs of scenario '\(scenario ?? "")' in \(db.location)") }
            let text: String
            do { text = try ReportRenderer.render(trend, as: format, template: templateText) } catch { throw CommandFailure.usage("\(error)") }
            let latest = try db.runs(scenario: scenario).first
            try write(text, format: format, folder: out ?? (scenario.map { "reports/\(pathComponent($0))" } ?? "reports"), name: "trend",
                      datedAt: latest.map { $0.endedWallNs ?? $0.startedWallNs } ?? 0)
            return
        }
        let stored = try findRun(runID!, in: db)
        let (report, run) = try Report.build(stored, store: db, renderedAt: renderedAt, asOf: try ActionsCommand.today(asOf),
                                             signOff: SignOffNames(preparedBy: preparedBy, reviewedBy: reviewedBy, approvedBy: approvedBy))
        let text: String
        do { text = try ReportRenderer.render(report, as: format, template: templateText) } catch {
            throw CommandFailure.usage("\(error)")
        }
        try write(text, format: format, folder: out ?? "reports/\(pathComponent(run.scenario))/\(pathComponent(run.id))", name: "report",
                  datedAt: run.endedWallNs ?? run.startedWallNs)
    }

    func write(_ text: String, format: ReportRenderer.Format, folder: String, name: String, datedAt: Int64) throws {
        if folder == "-" {
            guard format != .pdf else { throw CommandFailure.usage("a PDF cannot go to stdout; give --out DIR") }
            print(text, terminator: "")
            return
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/\(name).\(format.fileExtension)"
        if format == .pdf {
            try PDFPrinter.print(html: text, to: path, datedAt: datedAt)
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        print(path)
    }
}

/// A team's own Mustache template, from `--template FILE`.
func readTemplate(_ path: String) throws -> String {
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw CommandFailure.usage("cannot read template \(path): \(error.localizedDescription)")
    }
}

enum Report {
    /// Every drill of one scenario, or of every scenario, oldest first, each held to its own objectives.
    static func trend(scenario: String?, store: any DrillStore, asOf: String, renderedAt: String?) throws -> TrendReport {
        let all = try chainedRuns(scenario: scenario, in: store)
        var names: [String] = []
        for found in all.reversed() where !names.contains(found.run.scenario) { names.append(found.run.scenario) }
        let entries = try names.sorted().map { name in
            let mine = all.filter { $0.run.scenario == name }
            // Each drill's figures from its own chain, judged on their bounds.
            let drills = mine.map { found in
                let run = found.run
                let m = found.measurement
                let ended = run.endedWallNs != nil
                var input = TrendInput(runID: run.id, status: run.status, startedWallNs: run.startedWallNs, rtoSeconds: run.rtoSeconds,
                                       rpoSeconds: run.rpoSeconds, rtoObjective: found.scenario.objectives.rto, rpoObjective: found.scenario.objectives.rpo,
                                       rtoVerdict: ended ? m.rtoObjective?.verdict : nil, rpoVerdict: ended ? m.rpoObjective?.verdict : nil)
                input.retentionSeconds = ended ? m.retention?.span?.value.seconds : nil
                input.retentionObjective = found.scenario.objectives.retention
                input.retentionVerdict = ended ? m.retentionObjective?.verdict : nil
                input.forgetAfterVerdict = ended ? m.forgetAfterObjective?.verdict : nil
                input.detectSeconds = ended ? m.timeToDetect?.value.seconds : nil
                input.detectObjective = found.scenario.objectives.detect
                input.detectVerdict = ended ? m.detectObjective?.verdict : nil
                input.detectedBy = ended ? m.detection?.alert.name : nil
                return input
            }
            let latest = mine[0].scenario
            return (name: name, title: latest.title ?? name, rto: latest.objectives.rto, rpo: latest.objectives.rpo, drills: drills,
                    actions: try store.actionItems(scenario: name))
        }
        var retention: [String: DrillDuration] = [:]
        var detect: [String: DrillDuration] = [:]
        for name in names {
            let latest = all.first { $0.run.scenario == name }?.scenario.objectives
            retention[name] = latest?.retention
            detect[name] = latest?.detect
        }
        return TrendReport(entries, asOf: asOf, renderedAt: renderedAt, retention: retention, detect: detect)
    }

    /// The run's audit chain verified link by link as it is read, and each signed head against
    /// the hash the chain has at its event.
    struct ChainCheck {
        var verifier: AuditChain.Verifier
        let signatures: [HeadSignature]
        let signedAt: Set<Int>
        var hashes: [Int: String] = [:]
        var position = 0

        init(_ run: RunRecord, signatures: [HeadSignature]) {
            verifier = AuditChain.Verifier(runID: run.id)
            self.signatures = signatures
            signedAt = Set(signatures.map(\.eventCount))
        }

        mutating func add(_ link: AuditChain.Link) {
            verifier.add(link)
            position += 1
            if signedAt.contains(position) { hashes[position] = link.hash }
        }

        func result(_ run: RunRecord) -> (broken: AuditChain.Break?, signedHeads: [String]) {
            let signedHeads = signatures.compactMap { signed in
                (signed.signatureProblem() ?? signed.chainProblem(hashAtEvent: hashes[signed.eventCount]))
                    .map { "run \(run.id): signed head of event \(signed.eventCount): \($0)" }
            }
            return (verifier.result(headHash: run.headHash, eventCount: run.eventCount), signedHeads)
        }
    }

    /// From this run if it ran all its phases, else from the last one before it that did.
    static func nextDrill(_ scenario: Scenario, _ run: RunRecord, store: any DrillStore) throws -> String? {
        guard let schedule = scenario.schedule else { return nil }
        let last = run.status.heldTheDrill ? run : try store.runs(scenario: run.scenario).first {
            $0.status.heldTheDrill && ($0.startedWallNs, $0.id) < (run.startedWallNs, run.id)
        }
        let calendar = ScheduleCalendar(schedule)
        guard let last else { return "no completed drill yet: due now" }
        let due = calendar.due(lastDrillWallNs: last.startedWallNs, nowWallNs: last.startedWallNs)
        guard let opens = due.windowOpens, let deadline = due.deadline else { return nil }
        return "between \(calendar.local(opens)) and \(calendar.local(deadline))"
    }

    /// The drill report, and the run as its chain tells it.
    static func build(_ run: RunRecord, store: any DrillStore, renderedAt: String?, asOf: String, signOff: SignOffNames) throws
        -> (report: DrillReport, run: RunRecord) {
        let (input, chained) = try input(run, store: store, renderedAt: renderedAt, asOf: asOf, signOff: signOff)
        return (DrillReport(input, status: input.retrospective.state.status), chained)
    }

    /// Everything a report or retrospective shows, read from the record: from the chain, with
    /// the chain and the projections checked against each other at render time. The log is
    /// read once as it streams from the store, and not kept: each event is replayed, and its
    /// link checked.
    static func input(_ stored: RunRecord, store: any DrillStore, renderedAt: String?, asOf: String, signOff: SignOffNames) throws
        -> (input: ReportInput, run: RunRecord) {
        let signatures = try store.signatures(runID: stored.id)
        var check = ChainCheck(stored, signatures: signatures)
        let found: RunEvidence
        do {
            found = try RunEvidence.load(stored) { reading in
                check = ChainCheck(stored, signatures: signatures)
                try store.forEachLink(of: stored.id) { link, event in
                    check.add(link)
                    try reading.add(event)
                }
            }
        } catch let error as EvidenceError {
            throw CommandFailure.internalError(error.description)
        }
        let run = found.run
        let scenario = found.scenario
        let machine = found.machine
        let chain = check.result(run)
        var problems = chain.broken.map { ["\($0)"] } ?? []
        problems += found.differences.map { "run \(run.id): \($0)" }
        // A chain rehashed from end to end keeps its links: the head signed at the end does not.
        problems += chain.signedHeads
        let problem = problems.isEmpty ? nil : problems.joined(separator: "; ")
        let vars = found.vars
        let retrospective = RetrospectiveInput(
            runID: run.id, scenario: scenario, scenarioSHA256: run.scenarioSHA256, startedWallNs: run.startedWallNs,
            endedWallNs: run.endedWallNs, state: machine.state, measurement: found.measurement,
            chainHead: run.headHash, eventCount: run.eventCount, actionItems: try store.actionItems(runID: run.id), asOf: asOf,
            signedHead: signatures.last.map(SignedHeadText.init))
        // The drill before this one of the same scenario: what became of its findings.
        let earlier = try store.runs(scenario: run.scenario).first { ($0.startedWallNs, $0.id) < (run.startedWallNs, run.id) }
        let previous = try earlier.map { (runID: $0.id, items: try store.actionItems(runID: $0.id)) }
        let input = ReportInput(retrospective: retrospective, vars: vars, chainBreak: problem.map { "\($0)" },
                                firedrillVersion: Firedrill.version, renderedAt: renderedAt, signOff: signOff, asOf: asOf,
                                previous: previous, nextDrill: try nextDrill(scenario, run, store: store))
        return (input, run)
    }
}
