import FiredrillCore

/// The retrospective of one drill: the report's facts, then the three questions of a drill
/// retrospective with prompts drawn from those facts and room to write. Rendered through the
/// `retrospective` template (or a team's own) from the record alone.
public struct DrillRetrospective: Codable, Sendable, Hashable {
    public var report: DrillReport
    /// What went differently from the plan: the report's findings and the time waited on people.
    public var deviations: [String]
    public var wentWell: [String]
    public var toImprove: [String]

    public init(_ input: ReportInput, status: RunStatus) {
        report = DrillReport(input, status: status)
        let r = input.retrospective
        let s = r.scenario
        let state = r.state
        let m = r.measurement

        // What deviated is what the report found, plus the time the plan spent waiting on people.
        var deviations = report.findings
        if m.manualWait > .zero { deviations.append("Manual steps waited \(m.manualWait.secondsText) for operators (counted in the RTO)") }
        self.deviations = deviations

        var well: [String] = []
        if m.rtoObjective?.met == true, let rto = m.rto, let target = s.objectives.rto {
            well.append("Recovered in \(rto.value.secondsText), within the RTO objective of \(target).")
        }
        if m.rpoObjective?.met == true, let rpo = m.rpo?.span, let target = s.objectives.rpo {
            well.append("Data loss of \(rpo.value.secondsText) stayed within the RPO objective of \(target).")
        }
        if let ttd = m.timeToDetect { well.append("The outage was detected \(ttd.value.secondsText) after the disaster.") }
        if let retention = m.retention, let point = retention.restored, let span = retention.span {
            let target = s.objectives.retention.map { m.retentionObjective?.met == true ? ", meeting the retention objective of \($0)" : "" } ?? ""
            well.append("Restored \(point.id), \(span.value.ageText) old at the disaster, and verified it\(target).")
        }
        let firstTry = state.attempts.filter { $0.attempt == 1 && $0.verdict == .passed }.count
        if firstTry > 0 { well.append("\(firstTry) step\(firstTry == 1 ? "" : "s") succeeded on the first attempt.") }
        wentWell = well.map { "\($0) What made that work?" }

        var improve: [String] = []
        for attempt in state.attempts where attempt.verdict != nil && attempt.verdict != .passed {
            improve.append("Step '\(attempt.stepName)' attempt \(attempt.attempt): \(attempt.summary ?? ""). Why?")
        }
        if m.rtoObjective?.met == false { improve.append("The RTO objective was missed. Which phase took longest, and can it be automated?") }
        if m.rpoObjective?.met == false { improve.append("The RPO objective was missed. Are backups or replication frequent enough?") }
        if m.retentionObjective?.met == false {
            improve.append("The retention objective was missed: the oldest restore point proven is younger than \(s.objectives.retention?.description ?? "the objective"). Are enough backups kept?")
        } else if m.retentionObjective?.verdict == .unmeasured {
            improve.append("Retention was not proven: \(m.retention?.unknownBecause ?? "nothing was restored and verified"). What stopped the restore of the oldest point?")
        }
        if let past = m.retention?.pastForgetAfter, !past.isEmpty {
            improve.append("\(past.count) restore point\(past.count == 1 ? " is" : "s are") held past forget_after (\(s.objectives.forgetAfter?.description ?? "")). Why did expiry not remove \(past.count == 1 ? "it" : "them")?")
        }
        if let longest = m.phases.max(by: { $0.duration < $1.duration }) {
            improve.append("The longest phase was '\(longest.name)' (\(longest.duration.secondsText)). Can it be shortened?")
        }
        toImprove = improve
    }
}

extension ReportTemplates {
    public static let retrospective = #"""
{{% CONTENT_TYPE: MARKDOWN}}
{{#report}}
# Drill retrospective: {{cover.title}}

| | |
|---|---|
| Scenario | `{{cover.scenario}}` (sha256 `{{cover.scenarioSHA256}}`) |
| Run | `{{cover.runID}}` |
| Date | {{cover.started}}{{#cover.ended}} to {{.}}{{/cover.ended}} |
| Status | **{{cover.status}}** |
| Owner | {{#cover.owner}}{{.}}{{/cover.owner}}{{^cover.owner}}_not set_{{/cover.owner}} |
| Runbook | {{#cover.runbook}}{{.}}{{/cover.runbook}}{{^cover.runbook}}_none_{{/cover.runbook}} |
| Participants | {{#cover.participants}}{{key}} ({{value}}){{^last()}}, {{/last()}}{{/cover.participants}}{{^cover.participants}}_none recorded_{{/cover.participants}} |

**{{verdict.text}}**

## Objectives

{{> objectives}}
{{> detection}}

## Marks

{{> marks}}

## Phases

{{> phases}}

## Timeline

| Offset | Section | Step | Attempt | Duration | Outcome |
|---|---|---|---|---|---|
{{#attempts}}
| {{start}} | {{section}} | {{step}} | {{attempt}} | {{duration}} | {{outcome}}: {{detail}}{{#probeCount}} ({{.}} probes){{/probeCount}} |
{{/attempts}}
{{/report}}

## What deviated

{{#deviations}}
- {{.}}
{{/deviations}}
{{^deviations}}
_Nothing deviated from the plan._
{{/deviations}}

{{#report}}
## Safety and integrity

{{#safety}}
- {{.}}
{{/safety}}
- Audit chain: {{integrity.events}} events, head `{{integrity.head}}`: {{integrity.result}}
{{#integrity.signed}}
- Signed head: `{{head}}` (event {{eventCount}}), Ed25519 key `{{keyID}}`, signature `{{signature}}`
{{/integrity.signed}}
{{/report}}

## What went well?

{{#wentWell}}
- _Prompt:_ {{.}}
{{/wentWell}}
- 

## What to improve?

{{#toImprove}}
- _Prompt:_ {{.}}
{{/toImprove}}
- 

{{#report}}
## Action items

| # | Action | Owner | Due | Status |
|---|---|---|---|---|
{{#actionItems}}
| {{id}} | {{title}} | {{owner}} | {{due}} | {{#overdue}}**overdue**{{/overdue}}{{^overdue}}{{status}}{{#note}}: {{.}}{{/note}}{{/overdue}} |
{{/actionItems}}
| | | {{cover.owner}} | | |

Record one with `firedrill actions add {{cover.runID}} --title TEXT --owner NAME --due YYYY-MM-DD`.
{{/report}}
"""#
}
