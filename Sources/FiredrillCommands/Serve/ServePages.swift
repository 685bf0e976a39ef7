import FiredrillCore
import FiredrillRuntime
import Foundation

/// Text for HTML: every value from the record, a scenario or a person is escaped, so no
/// scenario name or step summary becomes markup.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are shown, not sent (as the terminal shows them).
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7F {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A path component or query value.
    static func url(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}

/// The pages `firedrill serve` renders: plain HTML from the record, with a form where a person
/// may act. The run's own report is the shipped template's HTML, shown in a sandboxed frame.
enum ServePages {
    /// Who is looking, for the header and for which forms to show.
    struct Viewer: Sendable {
        var name: String
        var role: AccessRole
        /// The session's CSRF token for forms; nil for a bearer token (no forms are posted with it).
        var csrf: String?
    }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b}header{background:#7a1f1f;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center}
        header a{color:#fff}header .who{margin-left:auto}main{padding:1em}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
        .bad{color:#a00;font-weight:600}.ok{color:#060}.muted{color:#666}form.inline{display:inline}iframe{width:100%;height:80vh;border:1px solid #ccc}
        pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:40vh}fieldset{margin:1em 0}
        """

    static func page(_ title: String, viewer: Viewer?, body: String) -> String {
        var nav = """
            <a href="/">Overview</a><a href="/actions">Action items</a><a href="/verify">Verify</a>
            """
        if let viewer {
            if viewer.role.allows(.admin) { nav += "<a href=\"/tokens\">Tokens</a>" }
            nav += "<span class=\"who\">\(HTML.escape(viewer.name)) (\(viewer.role.rawValue))</span>"
            if let csrf = viewer.csrf {
                nav += "<form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\"><button>Log out</button></form>"
            }
        }
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(HTML.escape(title)) · Firedrill</title><style>\(style)</style></head>
            <body><header><strong>Firedrill</strong>\(nav)</header><main><h1>\(HTML.escape(title))</h1>
            \(body)</main></body></html>
            """
    }

    static func login(failed: String?) -> String {
        page("Log in", viewer: nil, body: """
            \(failed.map { "<p class=\"bad\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/login"><label>Token <input type="password" name="token" autocomplete="off" size="60" required></label>
            <button>Log in</button></form>
            <p class="muted">A token comes from <code>firedrill token create --name NAME --role viewer|operator|admin</code>.</p>
            """)
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "—" }

    static func verdictClass(_ verdict: DrillMeasurement.Verdict?) -> String {
        switch verdict {
        case .met?: "ok"
        case .missed?, .undetermined?, .unmeasured?: "bad"
        case nil: "muted"
        }
    }

    static func overview(_ overview: DrillOverview, viewer: Viewer) -> String {
        var rows = ""
        for s in overview.scenarios {
            let last = s.lastEnded
            func figure(_ span: DrillMeasurement.Span?, _ objective: DrillMeasurement.Objective?, target: DrillDuration?) -> String {
                let value = span.map { "\(HTML.escape($0.value.secondsText)) [\(HTML.escape($0.lower.secondsText)), \(HTML.escape($0.upper.secondsText))]" } ?? "—"
                let goal = target.map { " / \(HTML.escape($0.description))" } ?? ""
                let verdict = objective.map { " <span class=\"\(verdictClass($0.verdict))\">\($0.verdict.rawValue)</span>" } ?? ""
                return value + goal + verdict
            }
            let due: String
            if let d = s.due, let calendar = s.calendar {
                let when = (d.deadline ?? d.windowOpens).map { calendar.local($0) } ?? "—"
                due = "<span class=\"\(d.overdue ? "bad" : "ok")\">\(HTML.escape(s.status))</span><br>\(HTML.escape(when))"
            } else {
                due = "<span class=\"muted\">\(HTML.escape(s.status))</span>"
            }
            let lastCell = s.lastRun.map { run in
                "<a href=\"/runs/\(HTML.url(run.id))\">\(HTML.escape(run.id))</a><br>\(HTML.escape(run.status.rawValue)), \(HTML.escape(WallTime.human(run.startedWallNs)))"
            } ?? "<span class=\"muted\">never run</span>"
            rows += """
                <tr><td><a href="/scenarios/\(HTML.url(s.name))/trend">\(HTML.escape(s.name))</a>\(s.title.map { "<br><span class=\"muted\">\(HTML.escape($0))</span>" } ?? "")</td>
                <td>\(lastCell)</td>
                <td>\(figure(last?.headline.rto, last?.headline.rtoObjective, target: s.rtoObjective))\(last.map { $0.id != s.lastRun?.id ? "<br><span class=\"muted\">from run \(HTML.escape($0.id)), the newest ended</span>" : "" } ?? "")</td>
                <td>\(figure(last?.headline.rpo, last?.headline.rpoObjective, target: s.rpoObjective))</td>
                <td>\(due)</td>
                <td><a href="/actions?scenario=\(HTML.url(s.name))&amp;state=open">\(s.openItems) open</a>\(s.overdueItems > 0 ? ", <span class=\"bad\">\(s.overdueItems) overdue</span>" : "")</td></tr>
                """
        }
        let running = overview.runs.filter { !$0.status.isFinal }
        let live = running.isEmpty ? "" : "<h2>In progress</h2><ul>" + running.map { run in
            "<li><a href=\"/runs/\(HTML.url(run.id))/live\">\(HTML.escape(run.id))</a> \(HTML.escape(run.scenario)): \(HTML.escape(run.status.rawValue))</li>"
        }.joined() + "</ul>"
        return page("Overview", viewer: viewer, body: """
            \(live)
            <table><thead><tr><th>Scenario</th><th>Last run</th><th>RTO [bounds] / objective</th><th>RPO [bounds] / objective</th><th>Next drill due</th><th>Action items</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p class="muted">As of \(HTML.escape(WallTime.human(overview.nowWallNs))). Figures are the newest ended run's, as its record holds them.</p>
            """)
    }

    struct ItemFilter: Sendable {
        var state: String?
        var scenario: String?
        var owner: String?

        func admits(_ item: ActionItem, today: String) -> Bool {
            if let scenario, !scenario.isEmpty, item.scenario != scenario { return false }
            if let owner, !owner.isEmpty, item.owner != owner { return false }
            switch state ?? "" {
            case "open": return item.isOpen
            case "overdue": return item.isOverdue(asOf: today)
            case "closed": return !item.isOpen
            default: return true
            }
        }
    }

    static func actions(_ items: [ActionItem], filter: ItemFilter, today: String, viewer: Viewer) -> String {
        let shown = items.filter { filter.admits($0, today: today) }
        func option(_ value: String, _ label: String) -> String {
            "<option value=\"\(value)\"\((filter.state ?? "") == value ? " selected" : "")>\(label)</option>"
        }
        var rows = ""
        for item in shown {
            let state = item.isOverdue(asOf: today) ? "<span class=\"bad\">OVERDUE</span>" : (item.isOpen ? "open" : "closed")
            rows += """
                <tr><td>#\(item.id)</td><td>\(HTML.escape(item.title))</td><td>\(HTML.escape(item.owner))</td><td>\(HTML.escape(item.due))</td><td>\(state)</td>
                <td>\(HTML.escape(item.scenario))</td><td><a href="/runs/\(HTML.url(item.runID))">\(HTML.escape(item.runID))</a></td></tr>
                """
        }
        return page("Action items", viewer: viewer, body: """
            <form method="get" action="/actions">
            <label>State <select name="state">\(option("", "any"))\(option("open", "open"))\(option("overdue", "overdue"))\(option("closed", "closed"))</select></label>
            <label>Scenario <input name="scenario" value="\(HTML.escape(filter.scenario ?? ""))"></label>
            <label>Owner <input name="owner" value="\(HTML.escape(filter.owner ?? ""))"></label>
            <button>Filter</button></form>
            <p>\(shown.count) of \(items.count) item\(items.count == 1 ? "" : "s"), overdue as of \(HTML.escape(today)).</p>
            <table><thead><tr><th>#</th><th>What</th><th>Owner</th><th>Due</th><th>State</th><th>Scenario</th><th>Found by</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    static let verifiedByDefault = 100

    static func verify(_ check: VerifyCommand.RecordCheck, runs: [(id: String, scenario: String)], every: Bool, viewer: Viewer) -> String {
        var rows = ""
        for run in runs {
            let breaks = check.broken.filter { $0.contains("run \(run.id):") || $0.contains("(run \(run.id),") }
            let verdict = breaks.isEmpty && check.intactRuns.contains(run.id)
                ? "<span class=\"ok\">intact</span>"
                : "<span class=\"bad\">BROKEN</span><br>" + breaks.map(HTML.escape).joined(separator: "<br>")
            rows += "<tr><td><a href=\"/runs/\(HTML.url(run.id))\">\(HTML.escape(run.id))</a></td><td>\(HTML.escape(run.scenario))</td><td>\(verdict)</td></tr>"
        }
        let other = check.broken.filter { line in !runs.contains { line.contains("run \($0.id):") || line.contains("(run \($0.id),") } }
        return page("Verify", viewer: viewer, body: """
            <p class="\(check.broken.isEmpty ? "ok" : "bad")">\(check.broken.isEmpty ? "Every chain intact" : "\(check.broken.count) broken"): \(check.events) events checked, as <code>firedrill verify</code> checks them.</p>
            <p>\(every ? "Every run, and the links between their signed heads." : "The newest runs, and every run the lists leave out. <a href=\"/verify?all=1\">Every run</a> (and the links between signed heads; for an admin) takes longer.")</p>
            \(other.isEmpty ? "" : "<ul>" + other.map { "<li class=\"bad\">\(HTML.escape($0))</li>" }.joined() + "</ul>")
            <table><thead><tr><th>Run</th><th>Scenario</th><th>Chain</th></tr></thead><tbody>\(rows)</tbody></table>
            """)
    }

    /// Tokens, for an admin: each one's name, role and state, never a secret; a new token's secret once.
    static func tokens(_ tokens: [AccessToken], created: (name: String, secret: String)?, said: String?, viewer: Viewer) -> String {
        let csrf = viewer.csrf ?? ""
        var rows = ""
        for token in tokens {
            let state = token.revokedWallNs.map { "revoked \(HTML.escape(WallTime.human($0)))" } ?? "live"
            var revoke = ""
            if token.revokedWallNs == nil, viewer.csrf != nil {
                revoke = "<form class=\"inline\" method=\"post\" action=\"/tokens/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"
                    + "<input type=\"hidden\" name=\"name\" value=\"\(HTML.escape(token.name))\"><button>Revoke</button></form>"
            }
            rows += "<tr><td>\(HTML.escape(token.name))</td><td>\(token.role.rawValue)</td><td>\(HTML.escape(WallTime.human(token.createdWallNs)))</td><td>\(state)</td><td>\(revoke)</td></tr>"
        }
        let shown = created.map { "<p class=\"ok\">Token for \(HTML.escape($0.name)), shown once: keep it now.</p><pre>\(HTML.escape($0.secret))</pre>" } ?? ""
        let form = viewer.csrf == nil ? "" : """
            <fieldset><legend>New token</legend><form method="post" action="/tokens"><input type="hidden" name="csrf" value="\(csrf)">
            <label>Name <input name="name" required maxlength="64"></label>
            <label>Role <select name="role"><option>viewer</option><option>operator</option><option>admin</option></select></label>
            <button>Create</button></form></fieldset>
            """
        let problem = said.map { "<p class=\"bad\">\(HTML.escape($0))</p>" } ?? ""
        return page("Tokens", viewer: viewer, body: problem + shown + form
            + "<table><thead><tr><th>Name</th><th>Role</th><th>Created</th><th>State</th><th></th></tr></thead><tbody>\(rows)</tbody></table>")
    }

    /// A run: links to its report in every format and its evidence bundle, its live page while
    /// it runs, an operator's forms, and the report itself.
    static func run(_ summary: RunSummary, snapshot: LiveSnapshot, viewer: Viewer) -> String {
        let id = HTML.url(summary.id)
        var body = """
            <p>\(HTML.escape(summary.scenario)) · \(HTML.escape(summary.status.rawValue)) · started \(HTML.escape(WallTime.human(summary.startedWallNs)))
            · <a href="/runs/\(id)/live">live view</a></p>
            <p>Download: <a href="/runs/\(id)/report.html">HTML</a> · <a href="/runs/\(id)/report.pdf">PDF</a> ·
            <a href="/runs/\(id)/report.json">JSON</a> · <a href="/runs/\(id)/report.md">Markdown</a> · <a href="/runs/\(id)/bundle">evidence bundle</a> ·
            <a href="/scenarios/\(HTML.url(summary.scenario))/trend">trend</a></p>
            """
        body += operatorForms(summary.id, snapshot: snapshot, viewer: viewer)
        body += "<iframe title=\"Drill report\" sandbox=\"\" src=\"/runs/\(id)/report.html\"></iframe>"
        return page("Run \(summary.id)", viewer: viewer, body: body)
    }

    static func operatorForms(_ runID: String, snapshot: LiveSnapshot, viewer: Viewer) -> String {
        guard viewer.role.allows(.operator), let csrf = viewer.csrf, let status = RunStatus(rawValue: snapshot.status), !status.isFinal else {
            return ""
        }
        let id = HTML.url(runID)
        var out = ""
        if let waiting = snapshot.waitingOn {
            out += """
                <fieldset><legend>Confirm '\(HTML.escape(waiting))'</legend><p>\(HTML.escape(snapshot.instructions ?? ""))</p>
                <form method="post" action="/runs/\(id)/confirm"><input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="step" value="\(HTML.escape(snapshot.waitingRef ?? ""))">
                <label>Note <input name="note" size="60"></label> <button>Confirm as \(HTML.escape(viewer.name))</button></form></fieldset>
                """
        }
        out += """
            <fieldset><legend>Abort this run</legend><form method="post" action="/runs/\(id)/abort"><input type="hidden" name="csrf" value="\(csrf)">
            <label>Reason <input name="reason" size="60" required></label> <button>Abort as \(HTML.escape(viewer.name))</button></form></fieldset>
            """
        return out
    }

    /// The live page: the snapshot drawn once here, then kept up by the event stream (text only: no markup from the record).
    static func live(_ snapshot: LiveSnapshot, viewer: Viewer, nonce: String) -> String {
        let initial = (try? String(decoding: JSONEncoder().encode(snapshot), as: UTF8.self)) ?? "{}"
        let body = """
            <p><a href="/runs/\(HTML.url(snapshot.runID))">report</a> · <span id="conn" class="muted">connecting…</span></p>
            \(operatorForms(snapshot.runID, snapshot: snapshot, viewer: viewer))
            <table><tbody>
            <tr><th>Status</th><td id="status"></td></tr><tr><th>Phase › step</th><td id="step"></td></tr>
            <tr><th>Waiting on</th><td id="waiting"></td></tr><tr><th>RTO clock</th><td id="rto"></td></tr>
            <tr><th>RPO</th><td id="rpo"></td></tr><tr><th>Marks</th><td id="marks"></td></tr>
            <tr><th>Canary</th><td id="canary"></td></tr><tr><th>Probes</th><td id="probes"></td></tr><tr><th>Guards</th><td id="guards"></td></tr>
            <tr><th>Events recorded</th><td id="events"></td></tr></tbody></table>
            <h2>Timeline</h2><pre id="timeline"></pre>
            <script nonce="\(nonce)" id="initial" type="application/json">\(initial.replacingOccurrences(of: "<", with: "\\u003c"))</script>
            <script nonce="\(nonce)">\(liveScript(runID: snapshot.runID))</script>
            """
        return page("Run \(snapshot.runID), live", viewer: viewer, body: body)
    }

    static func liveScript(runID: String) -> String {
        let url = "/runs/\(HTML.url(runID))/events"
        return """
            (function(){
            function set(id,t){document.getElementById(id).textContent=t;}
            var disaster=null,rto=null,status='';
            function draw(s){
              status=s.status;set('status',s.status+(s.failureReason?' — '+s.failureReason:'')+(s.haltedBecause?' — halted: '+s.haltedBecause:''));
              set('step',s.phase?(s.phase+' › '+(s.step||'')):'—');
              set('waiting',s.waitingOn?(s.waitingOn+': '+(s.instructions||'')):'—');
              disaster=s.disasterWallMs;rto=s.rtoSeconds;tick();
              set('rpo',s.rpoSeconds==null?'—':s.rpoSeconds.toFixed(3)+' s');
              set('marks',s.marks.join(', ')||'—');
              set('canary',s.canary?(s.canary.written+' written, '+s.canary.acknowledged+' acknowledged, '+s.canary.failed+' failed'+(s.canary.highestSurviving==null?'':', highest surviving '+s.canary.highestSurviving)):'—');
              set('probes',s.probes.map(function(p){return p.step+': '+p.samples+' samples, '+p.failures+' failed, last: '+p.last;}).join('\\n')||'—');
              set('guards',s.guards.map(function(g){return g.name+': '+g.samples+' polls, '+g.failures+' failed'+(g.tripped?' TRIPPED':'');}).join('\\n')||'—');
              set('events',String(s.events));
              set('timeline',(s.timelineOmitted?'('+s.timelineOmitted+' earlier lines)\\n':'')+s.timeline.join('\\n'));
            }
            function tick(){
              if(rto!=null){set('rto',rto.toFixed(3)+' s (recovered)');return;}
              if(disaster==null){set('rto','not started (no disaster mark yet)');return;}
              set('rto',((Date.now()-disaster)/1000).toFixed(1)+' s and counting');
            }
            setInterval(tick,200);
            draw(JSON.parse(document.getElementById('initial').textContent));
            var source=new EventSource('\(url)');
            source.addEventListener('snapshot',function(e){set('conn','live');draw(JSON.parse(e.data));});
            source.onerror=function(){set('conn','reconnecting…');};
            })();
            """
    }
}
