import FiredrillCore

extension DrillReport {
    /// Builds the report from the record alone: no clock, no environment, no I/O.
    public init(_ input: ReportInput, status: RunStatus) {
        let r = input.retrospective
        let s = r.scenario
        let state = r.state
        let m = r.measurement
        let machine = DrillMachine(scenario: s)
        func wall(_ instant: DrillInstant) -> String { WallTime.human(r.startedWallNs + instant.nanoseconds) }
        func stepName(_ ref: StepRef) -> String { machine.step(ref)?.name ?? ref.description }

        var participants: [KeyValue] = (state.started?.participants ?? []).map { .init(key: $0.name, value: $0.role) }
        for (confirmation, _) in state.confirmations where !participants.contains(where: { $0.key == confirmation.by }) {
            participants.append(.init(key: confirmation.by, value: "operator (confirmed a manual step)"))
        }
        cover = Cover(
            title: s.title ?? s.name, scenario: s.name, runID: r.runID, status: status.rawValue,
            started: WallTime.human(r.startedWallNs), startedISO: WallTime.iso8601(r.startedWallNs),
            ended: r.endedWallNs.map(WallTime.human),
            duration: r.endedWallNs.map { DrillDuration(nanoseconds: $0 - r.startedWallNs).secondsText },
            timeZone: "UTC", owner: s.owner, description: s.description, tags: s.tags, runbook: s.runbook,
            scope: input.vars.sorted { $0.key < $1.key }.map { KeyValue(key: $0.key, value: $0.value) },
            runners: state.runners.map { "pid \($0.pid) on \($0.host)" },
            participants: participants, scenarioSHA256: r.scenarioSHA256, firedrillVersion: input.firedrillVersion,
            renderedAt: input.renderedAt, schedule: s.schedule?.description, nextDrill: input.nextDrill)

        objectives = [
            Self.objective("RTO", target: s.objectives.rto, span: m.rto, unknown: m.rtoUnknownBecause, verdict: m.rtoObjective?.verdict),
            Self.objective("RPO", target: s.objectives.rpo, span: m.rpo?.span, unknown: m.rpo?.unknownBecause, verdict: m.rpoObjective?.verdict),
            Self.objective("Time to detect", target: s.objectives.detect, span: m.detectObjective == nil && m.detection == nil ? nil : m.timeToDetect,
                           unknown: m.detectUnknownBecause ?? "no detected mark was reached", verdict: m.detectObjective?.verdict),
            Self.retentionObjective(target: s.objectives.retention, retention: m.retention, verdict: m.retentionObjective?.verdict),
            Self.forgetAfterObjective(target: s.objectives.forgetAfter, retention: m.retention, verdict: m.forgetAfterObjective?.verdict),
        ].filter { $0.target != "none" || $0.measuredSeconds != nil }
        recoveryWindow = m.retention.map(Self.recoveryWindow)
        let alerting = Alerting.effective(s, started: state.started)
        timeToDetect = m.timeToDetect.map { span in
            let figure = "\(span.value.secondsText) (between \(span.lower.secondsText) and \(span.upper.secondsText))"
            guard let detection = m.detection else { return figure }
            return Self.detectionSentence(detection, span: span, alerting: alerting, silenceID: state.silence.created?.id)
        }
        alertsSeen = Self.alertsSeen(state, alerting: alerting, wall: wall)
        canary = m.rpo.map { rpo in
            "\(rpo.acknowledgedWrites) writes acknowledged, \(rpo.failedWrites) failed; highest acknowledged \(rpo.highestAcknowledgedSeq.map(String.init) ?? "none"), "
                + "highest surviving \(rpo.highestSurvivingSeq.map(String.init) ?? "unknown"); \(rpo.lostWrites) acknowledged writes lost"
        }
        verdict = Self.verdict(status: status, state: state, objectives: objectives)
        phases = m.phases.map { Phase(name: $0.name, start: $0.start.description, duration: $0.duration.secondsText) }
        marks = state.marks.map {
            Mark(name: $0.name, at: $0.at.description, wall: wall($0.at), bounds: "\($0.lower.description) … \($0.upper.description)")
        }

        var attempts: [Attempt] = []
        var outputs: [Output] = []
        for a in state.attempts {
            let duration = a.endedAt.map { ($0 - a.startedAt).secondsText } ?? "unfinished"
            let outcome = a.confirmation != nil ? "confirmed" : (a.verdict?.rawValue ?? "in flight")
            attempts.append(Attempt(step: a.stepName, section: machine.phaseName(of: a.ref), attempt: a.attempt, start: a.startedAt.description,
                                    duration: duration, outcome: outcome, detail: a.summary ?? a.report?.summary ?? "",
                                    probeCount: a.samples > 0 ? a.samples : nil))
            for (stream, captured) in [("stdout", a.report?.stdout), ("stderr", a.report?.stderr)] {
                guard let captured, !captured.text.isEmpty else { continue }
                let limit = 2000
                var text = ControlCharacters.visible(String(captured.text.prefix(limit)))
                while text.last?.isNewline == true { text.removeLast() }
                outputs.append(Output(step: a.stepName, attempt: a.attempt, stream: stream, text: text, fence: MarkdownText.fence(for: text),
                                      truncated: captured.truncated || captured.text.count > limit))
            }
        }
        self.attempts = attempts
        self.outputs = outputs
        checks = state.attempts.flatMap { a in
            (a.report?.checks ?? []).map { Check(step: a.stepName, attempt: a.attempt, check: $0.check, result: $0.passed ? "held" : "did not hold", found: $0.found) }
        }
        inventories = state.inventories.map { taken in
            let points = taken.inventory.points.map { point in
                let restores = state.restores.filter { $0.point?.id == point.id }.map { restore in
                    "by '\(restore.stepName)'" + (restore.verifiedBy.map { ", verified by '\($0)'" } ?? ", not verified")
                }
                return Inventory.Point(id: point.id, time: point.time, size: point.sizeBytes.map { ByteSize.describe(Int(clamping: $0)) } ?? "—",
                                       restored: restores.joined(separator: "; "))
            }
            let listed = taken.inventory.listedWallNs.map(WallTime.human) ?? wall(taken.endedAt)
            return Inventory(step: taken.stepName, format: taken.inventory.format, listed: listed, summary: taken.inventory.summary, points: points)
        }

        // From each step's series, not the samples: a replay for a report does not keep them.
        probes = state.probeSeries.map { series in
            let latencies = series.latencies.sorted()
            func percentile(_ p: Double) -> String {
                guard !latencies.isEmpty else { return "—" }
                let rank = Int((p * Double(latencies.count)).rounded(.up)) - 1
                return DrillDuration(nanoseconds: latencies[max(0, min(latencies.count - 1, rank))]).secondsText
            }
            return ProbeSummary(step: stepName(series.ref), samples: series.count, failures: series.failures,
                                p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: percentile(1))
        }

        confirmations = state.attempts.compactMap { a in
            a.confirmation.map { c in
                let at = a.endedAt ?? a.startedAt
                return Confirmation(step: a.stepName, by: c.by, at: at.description, wall: wall(at), note: c.note)
            }
        }
        safety = Self.safety(r, machine: machine)
        findings = Self.findings(r, status: status, machine: machine, objectives: objectives, chainBreak: input.chainBreak)
        func action(_ item: ActionItem) -> Action {
            let overdue = item.isOverdue(asOf: input.asOf)
            return Action(id: item.id, title: item.title, owner: item.owner, due: item.due,
                          status: overdue ? "overdue" : (item.isOpen ? "open" : "closed"), overdue: overdue, note: item.closeNote)
        }
        actionItems = r.actionItems.map(action)
        actionsAsOf = input.asOf
        previousDrill = input.previous.map { previous in
            let closed = previous.items.filter { !$0.isOpen }.count
            let overdue = previous.items.filter { $0.isOverdue(asOf: input.asOf) }.count
            let summary = previous.items.isEmpty ? "no action items were recorded"
                : "\(closed) closed, \(previous.items.count - closed) open" + (overdue > 0 ? " (\(overdue) overdue)" : "")
            return Carried(runID: previous.runID, summary: summary, items: previous.items.map(action))
        }
        for item in (r.actionItems + (input.previous?.items ?? [])) where item.isOverdue(asOf: input.asOf) {
            findings.append("Action item \(item.id) '\(item.title)' (\(item.owner)) is overdue: it was due \(item.due).")
        }
        integrity = Integrity(
            head: r.chainHead ?? "none", events: r.eventCount, verified: input.chainBreak == nil,
            result: input.chainBreak.map { "BROKEN: \($0)" } ?? "intact: every one of the \(r.eventCount) events links to the one before, up to the head, and the run's table row agrees with them",
            signed: r.signedHead)
        signOff = [
            SignOff(role: "Prepared by", name: input.signOff.preparedBy),
            SignOff(role: "Reviewed by", name: input.signOff.reviewedBy),
            SignOff(role: "Approved by", name: input.signOff.approvedBy),
        ]
        controls = Self.controls
        timelineSVG = TimelineChart(scenario: s, state: state, measurement: m).svg
    }

    static let controls: [Control] = [
        Control(framework: "ISO/IEC 27001:2022", clause: "A.5.30 ICT readiness for business continuity",
                evidence: "Objectives and results; Timeline; Integrity"),
        Control(framework: "ISO 22301:2019", clause: "8.5 Exercise programme",
                evidence: "Cover (scope, participants); Findings; Sign-off"),
        Control(framework: "SOC 2 (2017 TSC)", clause: "A1.3 Recovery plan testing",
                evidence: "Objectives and results; Evidence; Findings"),
        Control(framework: "NIST SP 800-34 Rev. 1", clause: "3.5.2 Test, training and exercise reporting",
                evidence: "Timeline; Evidence; Findings; Sign-off"),
    ]

    /// "`SampleServiceDown` (severity critical, P1) fired 4.2 s after the disaster, suppressed by this drill's silence, would have paged `oncall-p1`".
    static func detectionSentence(_ detection: DrillMeasurement.Detection, span: DrillMeasurement.Span, alerting: Alerting, silenceID: String?) -> String {
        let alert = detection.alert
        var traits: [String] = []
        if let severity = alert.labels["severity"] { traits.append("severity \(severity)") }
        if let priority = alerting.priority(of: alert.labels) { traits.append(priority) }
        var sentence = alert.name + (traits.isEmpty ? "" : " (\(traits.joined(separator: ", ")))")
            + " fired \(span.value.secondsText) after the disaster (between \(span.lower.secondsText) and \(span.upper.secondsText); resolution \(span.resolution), \(span.resolutionSource))"
        if alert.state == "suppressed" {
            let silences = alert.silencedBy.map { $0 == silenceID ? "this drill's silence" : "silence \($0)" }
            let held = silences.isEmpty ? (alert.inhibitedBy.isEmpty ? "suppressed" : "inhibited by \(alert.inhibitedBy.joined(separator: ", "))")
                : "suppressed by \(silences.joined(separator: " and "))"
            sentence += ", \(held)"
        }
        let receivers = alert.receivers.joined(separator: " and ")
        if !receivers.isEmpty { sentence += alert.state == "active" ? ", paging \(receivers)" : ", would have paged \(receivers)" }
        if let note = detection.clockNote { sentence += " (\(note))" }
        return sentence
    }

    /// Every alert seen during the drill, highest priority first.
    static func alertsSeen(_ state: RunState, alerting: Alerting, wall: (DrillInstant) -> String) -> [AlertRow] {
        state.alertsSeen.map { sighting in
            let alert = sighting.alert
            return AlertRow(priority: alerting.priority(of: alert.labels) ?? "none", name: alert.name, severity: alert.labels["severity"] ?? "",
                            startsAt: alert.startsAt, state: alert.state, firstSeen: "\(sighting.firstSeenAt) (\(wall(sighting.firstSeenAt)))",
                            silencedBy: alert.silencedBy.joined(separator: ", "), receivers: alert.receivers.joined(separator: ", "))
        }.sorted { (Alerting.rank($0.priority), $0.startsAt) < (Alerting.rank($1.priority), $1.startsAt) }
    }

    /// Retention: the age at the disaster of the oldest restore point restored and verified, at least the target.
    static func retentionObjective(target: DrillDuration?, retention: DrillMeasurement.Retention?, verdict: DrillMeasurement.Verdict?) -> Objective {
        var row = objective("Retention", target: target, span: retention?.span,
                            unknown: retention?.unknownBecause ?? (target == nil ? nil : "no backups were listed or restored"), verdict: verdict)
        if let target { row.target = "at least \(target)" }
        if let point = retention?.restored, let span = retention?.span { row.measured = "\(span.value.ageText) (\(point.id))" }
        return row
    }

    /// forget_after: the age of the oldest restore point still listed, at most the target.
    static func forgetAfterObjective(target: DrillDuration?, retention: DrillMeasurement.Retention?, verdict: DrillMeasurement.Verdict?) -> Objective {
        guard let target else { return objective("Forget after", target: nil, span: nil, unknown: nil, verdict: nil) }
        var row = objective("Forget after", target: target, span: retention?.oldestHeldAge, unknown: "no backups were listed", verdict: verdict)
        if let point = retention?.oldestHeld, let span = retention?.oldestHeldAge {
            let past = retention?.pastForgetAfter ?? []
            row.measured = "oldest held \(span.value.ageText) (\(point.id)); \(past.isEmpty ? "none" : String(past.count)) past it"
        }
        return row
    }

    /// One paragraph on the window: what the latest inventory lists, what was restored, what is held too long.
    static func recoveryWindow(_ retention: DrillMeasurement.Retention) -> String {
        var parts: [String] = []
        if let oldest = retention.oldest, let newest = retention.newest {
            parts.append("the latest inventory lists \(retention.pointsListed) restore point\(retention.pointsListed == 1 ? "" : "s"), from \(oldest.id) (\(oldest.time)) to \(newest.id) (\(newest.time))")
        }
        if let point = retention.restored, let span = retention.span {
            parts.append("the oldest restored and verified is \(point.id), \(span.value.ageText) old at the disaster (between \(span.lower.secondsText) and \(span.upper.secondsText))")
        } else if let why = retention.unknownBecause {
            parts.append("retention not measured: \(why)")
        }
        if let past = retention.pastForgetAfter, !past.isEmpty {
            parts.append("held past forget_after: " + past.map { "\($0.id) (\($0.time))" }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    static func objective(_ name: String, target: DrillDuration?, span: DrillMeasurement.Span?, unknown: String?,
                          verdict: DrillMeasurement.Verdict?) -> Objective {
        // Judged on the bounds: a value within the objective whose upper bound is not proves nothing.
        let result: String = switch verdict {
        case .met?: "met"
        case .missed?: "missed"
        case .undetermined?: "undetermined"
        case .unmeasured?: "not measured"
        case nil: "no objective"
        }
        let met: Bool? = switch verdict {
        case .met?: true
        case .missed?: false
        default: nil
        }
        return Objective(
            name: name, target: target.map(\.description) ?? "none", measured: span.map { $0.value.secondsText } ?? "not measured",
            bounds: span.map { "\($0.lower.secondsText) – \($0.upper.secondsText)" } ?? (unknown ?? ""),
            resolution: span.map { "\($0.resolution) (\($0.resolutionSource))" } ?? "",
            result: result, met: met, targetSeconds: target?.seconds, measuredSeconds: span?.value.seconds)
    }

    static func verdict(status: RunStatus, state: RunState, objectives: [Objective]) -> Verdict {
        let missed = objectives.filter { $0.met == false || ($0.met == nil && $0.target != "none") }
        let figures = objectives.filter { $0.target != "none" }.map { "\($0.name) \($0.measured) against \($0.target)" }.joined(separator: ", ")
        switch status {
        case .completed where missed.isEmpty:
            return Verdict(outcome: "met", text: figures.isEmpty ? "Completed; the scenario sets no objectives."
                                                                  : "Recovered within every objective: \(figures).")
        case .completed where status == .completed && !missed.contains(where: { $0.met == false }):
            let why = missed.map { "\($0.name) \($0.result) (\($0.measured), bounds \($0.bounds), against \($0.target))" }
            return Verdict(outcome: "undetermined", text: "Completed, but not every objective could be judged: \(why.joined(separator: "; ")).")
        case .completed, .deviated:
            var why = missed.map { "\($0.name) \($0.result) (\($0.measured) against \($0.target))" }
            if status == .deviated { why.append("steady state was not restored afterwards") }
            return Verdict(outcome: "missed", text: "Completed, objectives not met: \(why.joined(separator: "; ")).")
        case .failed, .aborted:
            let reason = state.abort.map { "aborted by \($0.by): \($0.reason)" } ?? state.failureReason ?? status.rawValue
            return Verdict(outcome: "failed", text: "The drill did not complete: \(reason). Rollbacks ran; see Evidence.")
        case .running, .waiting, .halted, .interrupted:
            return Verdict(outcome: "unfinished", text: "The drill has not ended (\(status.rawValue)); this report shows it so far.")
        }
    }

    /// Guards, the drill-wide deadline, take-overs, operators' decisions, rollbacks, the
    /// silence and the notifications: one plain line each.
    static func safety(_ r: RetrospectiveInput, machine: DrillMachine) -> [String] {
        let s = r.scenario
        let state = r.state
        var out: [String] = []
        for (index, spec) in s.guards.enumerated() {
            let polled = state.guards[safe: index].map { "\($0.samples) polls, \($0.failures) failed" } ?? "not polled"
            let trip = state.guardTrip.flatMap { $0.guardIndex == index ? $0 : nil }
            out.append("Guard '\(spec.name)' every \(spec.every): " + (trip.map { "tripped at \($0.at): \($0.summary)" } ?? "held") + " (\(polled))")
        }
        if let max = s.maxDuration {
            out.append("Max duration \(max): " + (state.maxDurationPassedAt.map { "passed at \($0); the drill was aborted" } ?? "not reached"))
        }
        if state.runners.count > 1 {
            out.append("The run was taken over \(state.runners.count - 1) time(s): " + state.runners.map { "pid \($0.pid) on \($0.host)" }.joined(separator: ", "))
        }
        for at in state.interruptions { out.append("Interrupted at \(at) (stopped at once)") }
        for record in state.resolutions {
            let r = record.resolution
            out.append("Step '\(machine.step(r.ref)?.name ?? r.ref.description)' was in doubt after a crash; \(r.by) decided \(r.decision.rawValue) at \(record.at)"
                + (r.note.map { ": \($0)" } ?? ""))
        }
        if let halt = state.halt { out.append("Halted: \(halt.reason)") }
        if let created = state.silence.created {
            let expired = state.silence.expired.map { $0.report.passed ? "expired at the end" : "could not be expired: \($0.report.summary)" } ?? "not expired yet"
            out.append("Alertmanager silence " + (created.id.map { "\($0): \(expired)" } ?? "could not be created: \(created.report.summary)"))
        }
        for sent in state.notifications {
            out.append("Notification '\(s.notify[safe: sent.notifier]?.name ?? "?")' on \(sent.trigger.rawValue) at \(sent.startedAt): "
                + (sent.report.passed ? "delivered" : "failed (\(sent.report.summary))"))
        }
        for index in state.rollbackOrder where state.stepsPassed.contains(.rollback(index)) || state.stepsFailed.contains(.rollback(index)) {
            out.append("Rollback '\(state.ledger[index].step.name)': " + (state.stepsPassed.contains(.rollback(index)) ? "ran, ok" : "ran, failed"))
        }
        for index in state.rollbacksOwed { out.append("Rollback '\(state.ledger[index].step.name)': still owed (`firedrill resume` runs it)") }
        return out
    }

    static func findings(_ r: RetrospectiveInput, status: RunStatus, machine: DrillMachine, objectives: [Objective], chainBreak: String?) -> [String] {
        let state = r.state
        var out: [String] = []
        for objective in objectives where objective.met == false {
            out.append("\(objective.name) objective missed: \(objective.measured) against \(objective.target).")
        }
        for objective in objectives where objective.met == nil && objective.target != "none" {
            out.append("\(objective.name) could not be measured: \(objective.bounds.isEmpty ? "no figure was recorded" : objective.bounds).")
        }
        if let reason = state.failureReason, status == .failed { out.append("The drill failed: \(reason).") }
        if let abort = state.abort { out.append("Aborted by \(abort.by) at \(abort.at): \(abort.reason).") }
        if let trip = state.guardTrip { out.append("Guard '\(trip.name)' tripped at \(trip.at): \(trip.summary).") }
        for deviation in state.deviations {
            out.append((deviation.ref.map { "Step '\(machine.step($0)?.name ?? $0.description)': " } ?? "") + deviation.message)
        }
        if !state.rollbacksOwed.isEmpty { out.append("Rollbacks are still owed: the systems may not be back as they were.") }
        let alerting = Alerting.effective(r.scenario, started: state.started)
        if let detected = r.scenario.phases.flatMap(\.steps).first(where: { $0.mark == "detected" }),
           (detected.action.as(WaitFor.self)?.probe ?? detected.action).as(AlertProbe.self) != nil,
           detected.action.as(WaitFor.self)?.expect != .fail, state.mark("detected") == nil,
           state.attempts.contains(where: { $0.stepName == detected.name && $0.endedAt != nil }) {
            let why = state.attempts.last { $0.stepName == detected.name }?.summary ?? ""
            if why.contains("Alertmanager:") || why.contains("Alertmanager's answer") || why.contains("read differently") {
                out.append("Alertmanager could not be asked whether an alert fired (step '\(detected.name)': \(why)): how the team would have found out is not known.")
            } else {
                out.append("No alert fired for the disaster: the team would not have found out (step '\(detected.name)': \(why)).")
            }
        }
        if let causes = alerting.causes {
            let seen = state.alertsSeen.compactMap { sighting in alerting.priority(of: sighting.alert.labels).map { (sighting.alert, $0) } }
            for (alert, priority) in seen where Alerting.rank(priority) < Alerting.rank(causes) {
                out.append("\(alert.name) fired as \(priority), above the \(causes) this drill should cause: it would have woken someone it should not have.")
            }
            if let highest = seen.map(\.1).min(by: { Alerting.rank($0) < Alerting.rank($1) }) {
                if Alerting.rank(highest) > Alerting.rank(causes) {
                    out.append("The highest alert that fired was \(highest), below the \(causes) this drill should cause: the alerting ranks the outage lower than the scenario does.")
                }
            } else if r.scenario.phases.flatMap(\.steps).contains(where: { ($0.action.as(WaitFor.self)?.probe ?? $0.action).as(AlertProbe.self) != nil }) {
                out.append("No alert at or above \(causes) was seen by the drill's alert probes, though this drill should cause one.")
            }
        }
        for point in r.measurement.retention?.pastForgetAfter ?? [] {
            out.append("Restore point \(point.id) (\(point.time)) is still held, older than forget_after (\(r.scenario.objectives.forgetAfter?.description ?? "")): data due to be forgotten can still be restored.")
        }
        if let chainBreak { out.append("The audit chain is broken (\(chainBreak)): this record was altered after it was written.") }
        return out
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
