/// What a retrospective is rendered from: the stored run and its replayed state. Nothing
/// else, so the same record always gives the same text.
public struct RetrospectiveInput: Sendable {
    public var runID: String
    public var scenario: Scenario
    public var scenarioSHA256: String
    public var startedWallNs: Int64
    public var endedWallNs: Int64?
    public var state: RunState
    public var measurement: DrillMeasurement
    /// The audit chain's head when rendered, and how many events it links.
    public var chainHead: String?
    public var eventCount: Int
    /// Action items recorded for this run (`firedrill actions add`), and the day overdue is judged on.
    public var actionItems: [ActionItem]
    public var asOf: String?

    public init(runID: String, scenario: Scenario, scenarioSHA256: String, startedWallNs: Int64, endedWallNs: Int64?,
                state: RunState, measurement: DrillMeasurement, chainHead: String? = nil, eventCount: Int = 0,
                actionItems: [ActionItem] = [], asOf: String? = nil) {
        self.actionItems = actionItems
        self.asOf = asOf
        self.runID = runID
        self.scenario = scenario
        self.scenarioSHA256 = scenarioSHA256
        self.startedWallNs = startedWallNs
        self.endedWallNs = endedWallNs
        self.state = state
        self.measurement = measurement
        self.chainHead = chainHead
        self.eventCount = eventCount
    }
}

/// The Markdown retrospective of one drill: facts from the record, then the three questions
/// of a drill retrospective with prompts drawn from those facts and room to write.
public enum Retrospective {
    /// Guards, the drill-wide deadline, crashes and operators' decisions, and the audit chain.
    static func safety(_ input: RetrospectiveInput, machine: DrillMachine) -> [String] {
        let s = input.scenario
        let state = input.state
        var out = ["## Safety and integrity", ""]
        for (index, spec) in s.guards.enumerated() {
            let polled = state.guards[safe: index]
            let counts = polled.map { "\($0.samples) polls, \($0.failures) failed" } ?? "not polled"
            let tripped = state.guardTrip?.guardIndex == index ? "**tripped** at \(state.guardTrip!.at): \(escape(state.guardTrip!.summary))" : "held"
            out.append("- Guard '\(escape(spec.name))' every \(spec.every): \(tripped) (\(counts))")
        }
        if let max = s.maxDuration {
            out.append("- Max duration \(max): " + (state.maxDurationPassedAt.map { "**passed** at \($0); the drill was aborted" } ?? "not reached"))
        }
        if state.runners.count > 1 {
            out.append("- Orchestrators: \(state.runners.map { "pid \($0.pid) on \(escape($0.host))" }.joined(separator: ", ")) (the run was taken over \(state.runners.count - 1) time\(state.runners.count == 2 ? "" : "s"))")
        }
        for interruption in state.interruptions { out.append("- Interrupted at \(interruption) (stopped at once)") }
        for record in state.resolutions {
            let r = record.resolution
            let step = machine.step(r.ref)?.name ?? r.ref.description
            out.append("- Step '\(escape(step))' was in doubt after a crash; \(escape(r.by)) decided **\(r.decision.rawValue)** at \(record.at)\(r.note.map { ": \(escape($0))" } ?? "")")
        }
        if let halt = state.halt { out.append("- **Halted**: \(escape(halt.reason))") }
        if let created = state.silence.created {
            let expired = state.silence.expired.map { $0.report.passed ? "expired at the end" : "could **not** be expired: \(escape($0.report.summary))" } ?? "not expired yet"
            out.append("- Alertmanager silence: " + (created.id.map { "`\($0)`, \(expired)" } ?? "could **not** be created: \(escape(created.report.summary))"))
        }
        if !state.notifications.isEmpty {
            let failed = state.notifications.filter { !$0.report.passed }.count
            let sent = state.notifications.map { "\(escape(s.notify[safe: $0.notifier]?.name ?? "?")) of \($0.trigger.rawValue) (\($0.report.passed ? "ok" : "failed"))" }
            out.append("- Notifications: \(state.notifications.count) sent, \(failed) failed: \(sent.joined(separator: ", "))")
        }
        let ran = state.ledger.indices.filter { state.stepsPassed.contains(.rollback($0)) || state.stepsFailed.contains(.rollback($0)) }
        if !ran.isEmpty {
            out.append("- Rollbacks run, in order: " + state.rollbackOrder.filter { ran.contains($0) }.map { index in
                "\(escape(state.ledger[index].step.name)) (\(state.stepsPassed.contains(.rollback(index)) ? "ok" : "failed"))"
            }.joined(separator: ", "))
        }
        let owed = state.rollbacksOwed
        if !owed.isEmpty { out.append("- Rollbacks still owed: \(owed.map { escape(state.ledger[$0].step.name) }.joined(separator: ", "))") }
        out.append("- Audit chain: \(input.eventCount) events, head `\(input.chainHead ?? "none")`; check it with `firedrill verify`")
        out.append("")
        return out
    }

    public static func markdown(_ input: RetrospectiveInput) -> String {
        let s = input.scenario
        let state = input.state
        let m = input.measurement
        var machine = DrillMachine(scenario: s)
        machine.state = state
        var out: [String] = []
        out.append("# Drill retrospective: \(s.title ?? s.name)")
        out.append("")
        out.append("| | |")
        out.append("|---|---|")
        out.append("| Scenario | `\(s.name)` (sha256 `\(input.scenarioSHA256.prefix(12))`) |")
        out.append("| Run | `\(input.runID)` |")
        out.append("| Date | \(WallTime.human(input.startedWallNs))\(input.endedWallNs.map { " to \(WallTime.human($0))" } ?? "") |")
        out.append("| Status | **\(state.status.rawValue)**\(state.failureReason.map { ": \(escape($0))" } ?? "") |")
        out.append("| Owner | \(s.owner.map(escape) ?? "_not set_") |")
        out.append("| Runbook | \(s.runbook.map { "`\($0)`" } ?? "_none_") |")
        out.append("| Participants | \(participants(state)) |")
        out.append("")

        out.append("## Objectives")
        out.append("")
        out.append("| Objective | Target | Measured | Bounds | Resolution | Result |")
        out.append("|---|---|---|---|---|---|")
        out.append(objectiveRow("RTO", target: s.objectives.rto, span: m.rto, unknown: m.rtoUnknownBecause, met: m.rtoObjective?.met))
        out.append(objectiveRow("RPO", target: s.objectives.rpo, span: m.rpo?.span, unknown: m.rpo?.unknownBecause ?? (s.canary == nil ? "no canary" : nil),
                                met: m.rpoObjective?.met))
        if let ttd = m.timeToDetect {
            out.append("| Time to detect | | \(ttd.value.secondsText) | \(ttd.lower.secondsText) – \(ttd.upper.secondsText) | \(ttd.resolution) (\(ttd.resolutionSource)) | |")
        }
        out.append("")
        if let rpo = m.rpo {
            out.append("Canary: \(rpo.acknowledgedWrites) acknowledged writes, \(rpo.failedWrites) not acknowledged, "
                + "highest acknowledged \(rpo.highestAcknowledgedSeq.map(String.init) ?? "none"), highest surviving "
                + "\(rpo.highestSurvivingSeq.map(String.init) ?? "unknown"), **\(rpo.lostWrites) lost**.")
            out.append("")
        }
        let verdict: String = switch m.objectivesMet {
        case true?: "**Verdict: every objective met.**"
        case false?: "**Verdict: objectives missed.**"
        case nil: "**Verdict: no objectives set.**"
        }
        out.append(verdict)
        out.append("")

        out.append("## Marks")
        out.append("")
        if state.marks.isEmpty { out.append("_No marks were reached._") } else {
            out.append("| Mark | At | Between | Step |")
            out.append("|---|---|---|---|")
            for mark in state.marks {
                out.append("| \(mark.name) | \(mark.at) | \(mark.lower) – \(mark.upper) | \(escape(machine.step(mark.ref)?.name ?? mark.ref.description)) |")
            }
        }
        out.append("")

        out.append("## Phases")
        out.append("")
        if m.phases.isEmpty { out.append("_No phase started._") } else {
            out.append("| Phase | Start | Duration |")
            out.append("|---|---|---|")
            for phase in m.phases { out.append("| \(escape(phase.name)) | \(phase.start) | \(phase.duration.secondsText) |") }
        }
        out.append("")

        out.append("## Timeline")
        out.append("")
        out.append("| Offset | Section | Step | Attempt | Duration | Outcome |")
        out.append("|---|---|---|---|---|---|")
        for attempt in state.attempts {
            let duration = attempt.endedAt.map { ($0 - attempt.startedAt).secondsText } ?? "—"
            let outcome = attempt.verdict.map { "\($0.rawValue): \(escape(attempt.summary ?? ""))" } ?? "in progress"
            let samples = attempt.samples > 0 ? " (\(attempt.samples) probes)" : ""
            out.append("| \(attempt.startedAt) | \(escape(machine.phaseName(of: attempt.ref))) | \(escape(attempt.stepName)) | \(attempt.attempt) | \(duration) | \(outcome)\(samples) |")
        }
        out.append("")

        out.append("## What deviated")
        out.append("")
        var deviations = state.deviations.map { "- \($0.at): \(escape($0.message))" }
        if m.rtoObjective?.met == false, let rto = m.rto, let target = s.objectives.rto {
            deviations.append("- RTO objective missed: \(rto.value.secondsText) measured against \(target)")
        }
        if m.rpoObjective?.met == false, let target = s.objectives.rpo {
            deviations.append("- RPO objective missed: \(m.rpo?.span?.value.secondsText ?? "not measured") against \(target)")
        }
        if m.manualWait > .zero { deviations.append("- Manual steps waited \(m.manualWait.secondsText) for operators (counted in the RTO)") }
        let owed = state.ledger.indices.filter { !state.stepsPassed.contains(.rollback($0)) }
        if state.stage == .ended, state.status == .failed || state.status == .aborted, !owed.isEmpty {
            deviations.append("- Rollbacks not completed: \(owed.map { escape(state.ledger[$0].step.name) }.joined(separator: ", "))")
        }
        out.append(contentsOf: deviations.isEmpty ? ["_Nothing deviated from the plan._"] : deviations)
        out.append("")

        out.append(contentsOf: safety(input, machine: machine))

        out.append("## What went well?")
        out.append("")
        var well: [String] = []
        if m.rtoObjective?.met == true, let rto = m.rto { well.append("Recovered in \(rto.value.secondsText), within the RTO objective of \(s.objectives.rto!).") }
        if m.rpoObjective?.met == true, let rpo = m.rpo?.span { well.append("Data loss of \(rpo.value.secondsText) stayed within the RPO objective of \(s.objectives.rpo!).") }
        if let ttd = m.timeToDetect { well.append("The outage was detected \(ttd.value.secondsText) after the disaster.") }
        let firstTry = state.attempts.filter { $0.attempt == 1 && $0.verdict == .passed }.count
        if firstTry > 0 { well.append("\(firstTry) step\(firstTry == 1 ? "" : "s") succeeded on the first attempt.") }
        out.append(contentsOf: well.map { "- _Prompt:_ \($0) What made that work?" })
        out.append("- ")
        out.append("")

        out.append("## What to improve?")
        out.append("")
        var improve: [String] = []
        for attempt in state.attempts where attempt.verdict != nil && attempt.verdict != .passed {
            improve.append("Step '\(escape(attempt.stepName))' attempt \(attempt.attempt): \(escape(attempt.summary ?? "")). Why?")
        }
        if m.rtoObjective?.met == false { improve.append("The RTO objective was missed. Which phase took longest, and can it be automated?") }
        if m.rpoObjective?.met == false { improve.append("The RPO objective was missed. Are backups or replication frequent enough?") }
        if let longest = m.phases.max(by: { $0.duration < $1.duration }) {
            improve.append("The longest phase was '\(escape(longest.name))' (\(longest.duration.secondsText)). Can it be shortened?")
        }
        out.append(contentsOf: improve.map { "- _Prompt:_ \($0)" })
        out.append("- ")
        out.append("")

        out.append("## Action items")
        out.append("")
        out.append("| # | Action | Owner | Due | Status |")
        out.append("|---|---|---|---|---|")
        for item in input.actionItems {
            let status = item.isOverdue(asOf: input.asOf ?? "") ? "**overdue**" : (item.isOpen ? "open" : "closed: \(escape(item.closeNote ?? ""))")
            out.append("| \(item.id) | \(escape(item.title)) | \(escape(item.owner)) | \(item.due) | \(status) |")
        }
        out.append("| | | \(s.owner.map(escape) ?? "") | | |")
        out.append("")
        out.append("Record one with `firedrill actions add \(input.runID) --title TEXT --owner NAME --due YYYY-MM-DD`.")
        out.append("")
        return out.joined(separator: "\n")
    }

    static func participants(_ state: RunState) -> String {
        var names: [String] = (state.started?.participants ?? []).map { "\(escape($0.name)) (\(escape($0.role)))" }
        for (confirmation, _) in state.confirmations where !names.contains(where: { $0.hasPrefix(escape(confirmation.by)) }) {
            names.append("\(escape(confirmation.by)) (operator)")
        }
        return names.isEmpty ? "_none recorded_" : names.joined(separator: ", ")
    }

    static func objectiveRow(_ name: String, target: DrillDuration?, span: DrillMeasurement.Span?, unknown: String?, met: Bool?) -> String {
        let measured = span.map { $0.value.secondsText } ?? "not measured"
        let bounds = span.map { "\($0.lower.secondsText) – \($0.upper.secondsText)" } ?? (unknown.map(escape) ?? "")
        let resolution = span.map { "\($0.resolution) (\($0.resolutionSource))" } ?? ""
        let result: String = switch met {
        case true?: "met"
        case false?: "**missed**"
        case nil: target == nil ? "no objective" : "**not measured**"
        }
        return "| \(name) | \(target.map(\.description) ?? "—") | \(measured) | \(bounds) | \(resolution) | \(result) |"
    }

    /// Keeps table cells intact.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            default: out.append(c)
            }
        }
        return out
    }
}
