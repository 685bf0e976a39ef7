/// The templates shipped with Firedrill, in Mustache. A team's own (`--template FILE`) gets
/// the same data: the fields of `DrillReport` (see `firedrill report --format json`).
public enum ReportTemplates {
    /// Tables both Markdown documents show, as partials: `{{> objectives}}`, `{{> detection}}`, `{{> marks}}`, `{{> phases}}`
    /// (a team's own template may use them too).
    public static let markdownPartials: [String: String] = [
        "objectives": """
            | Objective | Target | Measured | Bounds | Resolution | Result |
            |---|---|---|---|---|---|
            {{#objectives}}
            | {{name}} | {{target}} | {{measured}} | {{bounds}} | {{resolution}} | {{result}} |
            {{/objectives}}
            """,
        "detection": """
            {{#timeToDetect}}
            Time to detect: {{.}}.
            {{/timeToDetect}}
            {{#canary}}
            Canary: {{.}}.
            {{/canary}}
            {{#recoveryWindow}}
            Recovery window: {{.}}.
            {{/recoveryWindow}}
            """,
        "marks": """
            | Mark | At | Wall clock | Bounds |
            |---|---|---|---|
            {{#marks}}
            | {{name}} | {{at}} | {{wall}} | {{bounds}} |
            {{/marks}}
            """,
        "phases": """
            | Phase | Start | Duration |
            |---|---|---|
            {{#phases}}
            | {{name}} | {{start}} | {{duration}} |
            {{/phases}}
            """,
    ]

    /// What every HTML page shares: type, headings, tables.
    static let baseStyle = """
        body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #222; margin: 2em auto; max-width: 62em; padding: 0 1em; line-height: 1.4; }
        h2 { border-bottom: 2px solid #4a6fa5; padding-bottom: 0.2em; margin-top: 1.6em; }
        table { border-collapse: collapse; width: 100%; margin: 0.6em 0; font-size: 0.92em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eef2f7; }
        """

    public static let markdown = #"""
{{% CONTENT_TYPE: MARKDOWN}}
# Drill report: {{cover.title}}

**{{verdict.text}}**

| | |
|---|---|
| Scenario | `{{cover.scenario}}` |
| Run | `{{cover.runID}}` |
| Status | {{cover.status}} |
| Started | {{cover.started}} |
{{#cover.ended}}
| Ended | {{.}} ({{cover.duration}}) |
{{/cover.ended}}
| Time zone | {{cover.timeZone}} |
{{#cover.owner}}
| Owner | {{.}} |
{{/cover.owner}}
{{#cover.runbook}}
| Runbook | {{.}} |
{{/cover.runbook}}
{{#cover.schedule}}
| Schedule | {{.}} |
{{/cover.schedule}}
{{#cover.nextDrill}}
| Next drill | {{.}} |
{{/cover.nextDrill}}
| Participants | {{#cover.participants}}{{key}} ({{value}}){{^last()}}, {{/last()}}{{/cover.participants}}{{^cover.participants}}none recorded{{/cover.participants}} |
| Orchestrator | {{#cover.runners}}{{.}}{{^last()}}, {{/last()}}{{/cover.runners}} |
| Scenario SHA-256 | `{{cover.scenarioSHA256}}` |
| Firedrill | {{cover.firedrillVersion}} |
{{#cover.renderedAt}}
| Rendered | {{.}} |
{{/cover.renderedAt}}
{{#cover.description}}

{{.}}
{{/cover.description}}

### Scope

{{#cover.scope}}
- {{key}} = {{value}}
{{/cover.scope}}
{{^cover.scope}}
No variables.
{{/cover.scope}}

## Objectives and results

{{> objectives}}
{{> detection}}

### Phases

{{> phases}}

## Timeline

{{> marks}}

| Step | Section | Attempt | Start | Duration | Outcome | Detail |
|---|---|---|---|---|---|---|
{{#attempts}}
| {{step}} | {{section}} | {{attempt}} | {{start}} | {{duration}} | {{outcome}} | {{detail}}{{#probeCount}} ({{.}} probes){{/probeCount}} |
{{/attempts}}

## Evidence

### Probes

| Step | Samples | Failures | p50 | p90 | p99 | max |
|---|---|---|---|---|---|---|
{{#probes}}
| {{step}} | {{samples}} | {{failures}} | {{p50}} | {{p90}} | {{p99}} | {{max}} |
{{/probes}}

### Manual confirmations

{{#confirmations}}
- {{step}}: confirmed by {{by}} at {{at}} ({{wall}}){{#note}}: {{.}}{{/note}}
{{/confirmations}}
{{^confirmations}}
None.
{{/confirmations}}

### Safety

{{#safety}}
- {{.}}
{{/safety}}
{{^safety}}
No guards, silences, notifications or rollbacks in this run.
{{/safety}}

### Alerts seen

{{#alertsSeen}}
{{#first()}}
| Priority | Alert | Severity | Fired (startsAt) | State | First seen | Silenced by | Receivers |
|---|---|---|---|---|---|---|---|
{{/first()}}
| {{priority}} | `{{name}}` | {{severity}} | {{startsAt}} | {{state}} | {{firstSeen}} | {{silencedBy}} | {{receivers}} |
{{/alertsSeen}}
{{^alertsSeen}}
No alert probe saw an alert.
{{/alertsSeen}}

### Restore points listed

{{#inventories}}
{{step}} ({{format}}, listed {{listed}}): {{summary}}

| Restore point | Time | Size | Restored |
|---|---|---|---|
{{#points}}
| `{{id}}` | {{time}} | {{size}} | {{restored}} |
{{/points}}

{{/inventories}}
{{^inventories}}
No backups step ran.
{{/inventories}}

### Output checks

{{#checks}}
- {{step}} (attempt {{attempt}}): {{check}}: {{result}}, found {{found}}
{{/checks}}
{{^checks}}
No step checked its output.
{{/checks}}

### Output excerpts

{{#outputs}}
{{step}} (attempt {{attempt}}, {{stream}}{{#truncated}}, truncated{{/truncated}}):

{{{fence}}}
{{{text}}}
{{{fence}}}

{{/outputs}}
{{^outputs}}
No step wrote output.
{{/outputs}}

## Action items

As of {{actionsAsOf}}.

| # | Action | Owner | Due | Status |
|---|---|---|---|---|
{{#actionItems}}
| {{id}} | {{title}} | {{owner}} | {{due}} | {{#overdue}}**OVERDUE**{{/overdue}}{{^overdue}}{{status}}{{/overdue}}{{#note}}: {{.}}{{/note}} |
{{/actionItems}}
{{^actionItems}}
| | none recorded | | | |
{{/actionItems}}
{{#previousDrill}}

Findings from the previous drill (`{{runID}}`): {{summary}}.
{{#items}}
- {{id}}. {{title}} ({{owner}}, due {{due}}): {{#overdue}}**OVERDUE**{{/overdue}}{{^overdue}}{{status}}{{/overdue}}{{#note}}: {{.}}{{/note}}
{{/items}}
{{/previousDrill}}

## Integrity

Audit chain head `{{integrity.head}}` over {{integrity.events}} events: {{integrity.result}}.
{{#integrity.signed}}

Signed head `{{head}}` (event {{eventCount}}), Ed25519 key `{{keyID}}`, signature `{{signature}}`: check with `firedrill verify --head {{head}} --public-key KEY.pub`.
{{/integrity.signed}}

## Findings

{{#findings}}
- {{.}}
{{/findings}}
{{^findings}}
None: the drill ran as written and met its objectives.
{{/findings}}

## Sign-off

| Role | Name | Signature | Date |
|---|---|---|---|
{{#signOff}}
| {{role}} | {{name}} | | |
{{/signOff}}

## Control mapping

| Framework | Clause | Evidence in this report |
|---|---|---|
{{#controls}}
| {{framework}} | {{clause}} | {{evidence}} |
{{/controls}}
"""#

    public static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drill report: {{cover.title}} ({{cover.runID}})</title>
<style>
\#(baseStyle)
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.5em; white-space: pre-wrap; word-break: break-all; }
.verdict { font-size: 1.15em; font-weight: bold; padding: 0.6em 0.8em; border-radius: 4px; margin: 0.8em 0; }
.verdict.met { background: #e3f4e8; border-left: 6px solid #3c9a5f; }
code.wrap { word-break: break-all; }
.verdict.missed { background: #fdf1dc; border-left: 6px solid #e0a800; }
.verdict.failed { background: #fbe3e1; border-left: 6px solid #c0392b; }
.verdict.unfinished { background: #eeeeee; border-left: 6px solid #7f8c8d; }
td.met { color: #1e7a42; font-weight: bold; } td.missed, td.not-measured, .overdue { color: #b03020; font-weight: bold; }
.timeline-box { overflow-x: auto; }
.sign td { height: 2.2em; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } table, svg { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Drill report: {{cover.title}}</h1>
<div class="verdict {{verdict.outcome}}">{{verdict.text}}</div>
<table>
<tr><th>Scenario</th><td><code>{{cover.scenario}}</code></td><th>Run</th><td><code>{{cover.runID}}</code></td></tr>
<tr><th>Started</th><td>{{cover.started}}</td><th>Ended</th><td>{{#cover.ended}}{{.}} ({{cover.duration}}){{/cover.ended}}{{^cover.ended}}not ended{{/cover.ended}}</td></tr>
<tr><th>Status</th><td>{{cover.status}}</td><th>Time zone</th><td>{{cover.timeZone}}</td></tr>
<tr><th>Owner</th><td>{{cover.owner}}</td><th>Runbook</th><td>{{cover.runbook}}</td></tr>
{{#cover.schedule}}<tr><th>Schedule</th><td>{{.}}</td><th>Next drill</th><td>{{cover.nextDrill}}</td></tr>{{/cover.schedule}}
<tr><th>Participants</th><td colspan="3">{{#cover.participants}}{{key}} ({{value}}){{^last()}}, {{/last()}}{{/cover.participants}}{{^cover.participants}}none recorded{{/cover.participants}}</td></tr>
<tr><th>Orchestrator</th><td colspan="3">{{#cover.runners}}{{.}}{{^last()}}, {{/last()}}{{/cover.runners}}</td></tr>
<tr><th>Scenario SHA-256</th><td colspan="3"><code>{{cover.scenarioSHA256}}</code></td></tr>
<tr><th>Firedrill</th><td{{^cover.renderedAt}} colspan="3"{{/cover.renderedAt}}>{{cover.firedrillVersion}}</td>{{#cover.renderedAt}}<th>Rendered</th><td>{{.}}</td>{{/cover.renderedAt}}</tr>
</table>
{{#cover.description}}<p>{{.}}</p>{{/cover.description}}
<h3>Scope</h3>
<table><tr><th>Variable</th><th>Value</th></tr>
{{#cover.scope}}<tr><td><code>{{key}}</code></td><td><code>{{value}}</code></td></tr>
{{/cover.scope}}</table>

<h2>Objectives and results</h2>
<table><tr><th>Objective</th><th>Target</th><th>Measured</th><th>Bounds</th><th>Resolution</th><th>Result</th></tr>
{{#objectives}}<tr><td>{{name}}</td><td>{{target}}</td><td>{{measured}}</td><td>{{bounds}}</td><td>{{resolution}}</td><td class="{{result}}">{{result}}</td></tr>
{{/objectives}}</table>
{{#timeToDetect}}<p>Time to detect: {{.}}.</p>{{/timeToDetect}}
{{#canary}}<p>Canary: {{.}}.</p>{{/canary}}
{{#recoveryWindow}}<p>Recovery window: {{.}}.</p>{{/recoveryWindow}}
<table><tr><th>Phase</th><th>Start</th><th>Duration</th></tr>
{{#phases}}<tr><td>{{name}}</td><td>{{start}}</td><td>{{duration}}</td></tr>
{{/phases}}</table>

<h2>Timeline</h2>
<div class="timeline-box">
{{{timelineSVG}}}
</div>
<table><tr><th>Mark</th><th>At</th><th>Wall clock</th><th>Bounds</th></tr>
{{#marks}}<tr><td>{{name}}</td><td>{{at}}</td><td>{{wall}}</td><td>{{bounds}}</td></tr>
{{/marks}}</table>
<table><tr><th>Step</th><th>Section</th><th>Attempt</th><th>Start</th><th>Duration</th><th>Outcome</th><th>Detail</th></tr>
{{#attempts}}<tr><td>{{step}}</td><td>{{section}}</td><td>{{attempt}}</td><td>{{start}}</td><td>{{duration}}</td><td>{{outcome}}</td><td>{{detail}}{{#probeCount}} ({{.}} probes){{/probeCount}}</td></tr>
{{/attempts}}</table>

<h2>Evidence</h2>
<h3>Probes</h3>
<table><tr><th>Step</th><th>Samples</th><th>Failures</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>
{{#probes}}<tr><td>{{step}}</td><td>{{samples}}</td><td>{{failures}}</td><td>{{p50}}</td><td>{{p90}}</td><td>{{p99}}</td><td>{{max}}</td></tr>
{{/probes}}</table>
<h3>Manual confirmations</h3>
<ul>{{#confirmations}}<li>{{step}}: confirmed by <strong>{{by}}</strong> at {{at}} ({{wall}}){{#note}}: {{.}}{{/note}}</li>{{/confirmations}}{{^confirmations}}<li>None.</li>{{/confirmations}}</ul>
<h3>Safety</h3>
<ul>{{#safety}}<li>{{.}}</li>{{/safety}}{{^safety}}<li>No guards, silences, notifications or rollbacks in this run.</li>{{/safety}}</ul>
<h3>Alerts seen</h3>
{{#alertsSeen}}{{#first()}}<table><tr><th>Priority</th><th>Alert</th><th>Severity</th><th>Fired (startsAt)</th><th>State</th><th>First seen</th><th>Silenced by</th><th>Receivers</th></tr>
{{/first()}}<tr><td>{{priority}}</td><td><code>{{name}}</code></td><td>{{severity}}</td><td>{{startsAt}}</td><td>{{state}}</td><td>{{firstSeen}}</td><td>{{silencedBy}}</td><td>{{receivers}}</td></tr>
{{#last()}}</table>{{/last()}}{{/alertsSeen}}{{^alertsSeen}}<p>No alert probe saw an alert.</p>{{/alertsSeen}}
<h3>Restore points listed</h3>
{{#inventories}}<p>{{step}} ({{format}}, listed {{listed}}): {{summary}}</p>
<table><tr><th>Restore point</th><th>Time</th><th>Size</th><th>Restored</th></tr>
{{#points}}<tr><td><code>{{id}}</code></td><td>{{time}}</td><td>{{size}}</td><td>{{restored}}</td></tr>
{{/points}}</table>
{{/inventories}}{{^inventories}}<p>No backups step ran.</p>{{/inventories}}
<h3>Output checks</h3>
<ul>{{#checks}}<li>{{step}} (attempt {{attempt}}): <code>{{check}}</code>: {{result}}, found {{found}}</li>{{/checks}}{{^checks}}<li>No step checked its output.</li>{{/checks}}</ul>
<h3>Output excerpts</h3>
{{#outputs}}<p>{{step}} (attempt {{attempt}}, {{stream}}{{#truncated}}, truncated{{/truncated}}):</p><pre>{{text}}</pre>
{{/outputs}}{{^outputs}}<p>No step wrote output.</p>{{/outputs}}

<h2>Action items</h2>
<p>As of {{actionsAsOf}}.</p>
<table><tr><th>#</th><th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr>
{{#actionItems}}<tr><td>{{id}}</td><td>{{title}}</td><td>{{owner}}</td><td>{{due}}</td><td class="{{status}}">{{#overdue}}OVERDUE{{/overdue}}{{^overdue}}{{status}}{{/overdue}}{{#note}}: {{.}}{{/note}}</td></tr>
{{/actionItems}}{{^actionItems}}<tr><td></td><td colspan="4">none recorded</td></tr>{{/actionItems}}</table>
{{#previousDrill}}<p>Findings from the previous drill (<code>{{runID}}</code>): {{summary}}.</p>
<ul>{{#items}}<li>{{id}}. {{title}} ({{owner}}, due {{due}}): <span class="{{status}}">{{#overdue}}OVERDUE{{/overdue}}{{^overdue}}{{status}}{{/overdue}}</span>{{#note}}: {{.}}{{/note}}</li>{{/items}}</ul>{{/previousDrill}}

<h2>Integrity</h2>
<p>Audit chain head <code>{{integrity.head}}</code> over {{integrity.events}} events: <strong>{{integrity.result}}</strong>.</p>
{{#integrity.signed}}<p>Signed head <code>{{head}}</code> (event {{eventCount}}), Ed25519 key <code>{{keyID}}</code>, signature <code class="wrap">{{signature}}</code>: check with <code>firedrill verify --head {{head}} --public-key KEY.pub</code>.</p>{{/integrity.signed}}

<h2>Findings</h2>
<ul>{{#findings}}<li>{{.}}</li>{{/findings}}{{^findings}}<li>None: the drill ran as written and met its objectives.</li>{{/findings}}</ul>

<h2>Sign-off</h2>
<table class="sign"><tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th></tr>
{{#signOff}}<tr><td>{{role}}</td><td>{{name}}</td><td></td><td></td></tr>
{{/signOff}}</table>

<h2>Control mapping</h2>
<table><tr><th>Framework</th><th>Clause</th><th>Evidence in this report</th></tr>
{{#controls}}<tr><td>{{framework}}</td><td>{{clause}}</td><td>{{evidence}}</td></tr>
{{/controls}}</table>
</body>
</html>
"""#
}

extension ReportTemplates {
    public static let trendMarkdown = #"""
{{% CONTENT_TYPE: MARKDOWN}}
# Drill trends

{{#scenarios}}
## {{title}} (`{{name}}`)

Objectives: RTO {{#rtoObjective}}{{.}}{{/rtoObjective}}{{^rtoObjective}}none{{/rtoObjective}}, RPO {{#rpoObjective}}{{.}}{{/rpoObjective}}{{^rpoObjective}}none{{/rpoObjective}}{{#detectObjective}}, time to detect {{.}}{{/detectObjective}}{{#retentionObjective}}, retention {{.}}{{/retentionObjective}}. Action items: {{openActions}} open, {{overdueActions}} overdue as of {{actionsAsOf}}.

| Quarter | Drills | Within objectives | Result |
|---|---|---|---|
{{#quarters}}
| {{quarter}} | {{drills}} | {{met}} | {{result}} |
{{/quarters}}

| Run | Started | Status | RTO | RPO | Time to detect | Retention | Result |
|---|---|---|---|---|---|---|---|
{{#drills}}
| `{{runID}}` | {{started}} | {{status}} | {{rto}} | {{rpo}} | {{detect}} | {{retention}} | {{result}} |
{{/drills}}

{{/scenarios}}
{{^scenarios}}
No drills recorded.
{{/scenarios}}
"""#

    public static let trendHTML = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drill trends</title>
<style>
\#(baseStyle)
td.pass, td.met { color: #1e7a42; font-weight: bold; } td.fail, td.missed, td.failed { color: #b03020; font-weight: bold; }
.charts svg { display: block; margin: 0.5em 0; max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } table, svg { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Drill trends</h1>
{{#renderedAt}}<p>Rendered {{.}}.</p>{{/renderedAt}}
{{#scenarios}}
<h2>{{title}} (<code>{{name}}</code>)</h2>
<p>Objectives: RTO {{#rtoObjective}}{{.}}{{/rtoObjective}}{{^rtoObjective}}none{{/rtoObjective}}, RPO {{#rpoObjective}}{{.}}{{/rpoObjective}}{{^rpoObjective}}none{{/rpoObjective}}{{#detectObjective}}, time to detect {{.}}{{/detectObjective}}{{#retentionObjective}}, retention {{.}}{{/retentionObjective}}. Action items: {{openActions}} open, {{overdueActions}} overdue as of {{actionsAsOf}}.</p>
<div class="charts">
{{{rtoChartSVG}}}
{{{rpoChartSVG}}}
{{#detectChartSVG}}{{{.}}}{{/detectChartSVG}}
{{#retentionChartSVG}}{{{.}}}{{/retentionChartSVG}}
</div>
<table><tr><th>Quarter</th><th>Drills</th><th>Within objectives</th><th>Result</th></tr>
{{#quarters}}<tr><td>{{quarter}}</td><td>{{drills}}</td><td>{{met}}</td><td class="{{result}}">{{result}}</td></tr>
{{/quarters}}</table>
<table><tr><th>Run</th><th>Started</th><th>Status</th><th>RTO</th><th>RPO</th><th>Time to detect</th><th>Retention</th><th>Result</th></tr>
{{#drills}}<tr><td><code>{{runID}}</code></td><td>{{started}}</td><td>{{status}}</td><td>{{rto}}</td><td>{{rpo}}</td><td>{{detect}}</td><td>{{retention}}</td><td class="{{result}}">{{result}}</td></tr>
{{/drills}}</table>
{{/scenarios}}
{{^scenarios}}<p>No drills recorded.</p>{{/scenarios}}
</body>
</html>
"""#
}
