/// Guards, the drill-wide deadline and operators' decisions about attempts in doubt.
extension DrillMachine {
    /// Guards poll from the first phase until the phases end, each on its own period's grid.
    mutating func startGuards(at now: DrillInstant) -> [DrillAction] {
        guard state.guards.isEmpty, !scenario.guards.isEmpty else { return [] }
        state.guards = scenario.guards.map { _ in RunState.GuardState(startedAt: now, outstanding: 1, nextSample: 2) }
        return scenario.guards.indices.map { .sampleGuard(guardIndex: $0, sample: 1, at: now) }
    }

    mutating func stopGuards() -> [DrillAction] {
        var actions: [DrillAction] = []
        for index in state.guards.indices where !state.guards[index].stopped {
            state.guards[index].stopped = true
            if let sample = state.guards[index].outstanding { actions.append(.cancel(.guardSample(index, sample))) }
            state.guards[index].outstanding = nil
        }
        return actions
    }

    mutating func guardSampled(_ sampled: GuardSampled, at now: DrillInstant) -> [DrillAction] {
        let index = sampled.guardIndex
        guard let spec = scenario.guards[safe: index] else { return impossible("a poll of guard \(index), which the scenario does not have", at: now) }
        guard state.guards.indices.contains(index) else { return [] }  // stale: the guards have not started, or are over
        var polling = state.guards[index]
        guard !polling.stopped, polling.outstanding == sampled.sample else { return [] }
        noteAlerts(sampled.report, at: sampled.endedAt)
        polling.outstanding = nil
        polling.samples += 1
        let (held, summary) = Self.guardJudged(sampled.report, expect: spec.expect, kind: spec.probe.kind)
        if held {
            polling.streak = 0
        } else {
            polling.streak += 1
            polling.failures += 1
        }
        // Polls keep to the grid. A poll is bounded by the next slot, so it is due at once when
        // that slot came while it ran; each further slot it ran through counts as a failure,
        // since nothing looked at the system then.
        var slot = Int64(polling.slot + 1)
        while polling.startedAt + spec.every * (slot + 1) <= sampled.endedAt {
            slot += 1
            polling.streak += 1
            polling.failures += 1
        }
        if polling.streak >= spec.tripAfter {
            state.guards[index] = polling
            let times = spec.tripAfter > 1 ? " \(spec.tripAfter) times in a row" : ""
            state.guardTrip = .init(guardIndex: index, name: spec.name, at: now, summary: summary)
            // Expected to fail, the summary says what it saw instead.
            let failed = spec.expect == .pass ? ": failed" : ""
            return abortRequested(by: "guard '\(spec.name)'", reason: "tripped\(failed)\(times): \(summary)", at: now)
        }
        polling.slot = Int(slot)
        polling.outstanding = polling.nextSample
        polling.nextSample += 1
        state.guards[index] = polling
        return [.sampleGuard(guardIndex: index, sample: polling.outstanding!, at: polling.startedAt + spec.every * slot)]
    }

    /// Whether a guard's poll held, and what it said: as reported, or, with `expect: fail`,
    /// held only by a refusal (an answer), never by a probe that could not ask.
    public static func guardJudged(_ report: DriverReport, expect: ProbeExpectation, kind: String) -> (held: Bool, summary: String) {
        guard expect == .fail else { return (report.passed, report.summary) }
        switch report.verdict {
        case .passed: return (false, passedUnexpectedly + report.summary)
        case .failed:
            if let reason = notARefusal(report, kind: kind) { return (false, "failed, but not as a refusal (\(reason)): \(report.summary)") }
            return (true, "failed as expected: \(report.summary)")
        default: return (false, report.summary)
        }
    }

    mutating func maxDurationPassed(at now: DrillInstant) -> [DrillAction] {
        guard state.maxDurationPassedAt == nil, let max = scenario.maxDuration else { return [] }
        state.maxDurationPassedAt = now
        return abortRequested(by: "max_duration", reason: "the drill ran past its max_duration of \(max)", at: now)
    }

    /// An operator decided about the attempt a resume found in doubt.
    mutating func operatorResolved(_ resolution: Resolution, at now: DrillInstant) -> [DrillAction] {
        guard let halt = state.halt, halt.ref == resolution.ref, halt.attempt == resolution.attempt,
              let current = state.current, current.ref == resolution.ref,
              case .performing(let attempt, _, _) = current.progress, attempt == resolution.attempt else { return [] }
        state.course = .running
        state.resolutions.append(.init(resolution: resolution, at: now))
        let note = resolution.note.map { ": \($0)" } ?? ""
        let startedAt = state.attempts.last { $0.ref == resolution.ref && $0.attempt == attempt }?.startedAt ?? now
        switch resolution.decision {
        case .retry:
            recordEnd(resolution.ref, attempt: attempt, report: nil, verdict: .error,
                      summary: "in doubt after a crash; \(resolution.by) chose to run it again\(note)", endedAt: now)
            return schedule(resolution.ref, attempt: attempt + 1, at: now)
        case .skip:
            recordEnd(resolution.ref, attempt: attempt, report: nil, verdict: .passed,
                      summary: "in doubt after a crash; \(resolution.by) confirmed it had run\(note)", endedAt: now)
            // It ran somewhere between its dispatch and the decision.
            return stepSucceeded(resolution.ref, mark: .init(at: startedAt, lower: startedAt, upper: now), at: now)
        case .rollback:
            let summary = "in doubt after a crash; \(resolution.by) chose to roll back\(note)"
            recordEnd(resolution.ref, attempt: attempt, report: nil, verdict: .cancelled, summary: summary, endedAt: now)
            switch state.stage {
            case .rollback, .teardown:
                // Already unwinding: count it as failed and go on with the rest.
                state.stepsFailed.insert(resolution.ref)
                return advance(from: resolution.ref, at: now)
            default:
                state.current = nil
                return abortRequested(by: resolution.by, reason: summary, at: now)
            }
        }
    }

    /// Asks every notifier subscribed to `trigger` to be called.
    mutating func notify(_ trigger: NotifyTrigger) -> [DrillAction] {
        var actions: [DrillAction] = []
        for (index, notifier) in scenario.notify.enumerated() where notifier.on.contains(trigger) {
            let key = RunState.NotificationKey(notifier: index, trigger: trigger)
            guard state.notificationsPending.insert(key).inserted else { continue }
            actions.append(.notify(notifier: index, trigger: trigger))
        }
        return actions
    }

    /// Recorded whatever it says: a failed notification is a fact, not a failure of the drill.
    mutating func notificationSent(_ sent: NotificationSent, at now: DrillInstant) -> [DrillAction] {
        let key = RunState.NotificationKey(notifier: sent.notifier, trigger: sent.trigger)
        guard state.notificationsPending.remove(key) != nil else { return [] }
        state.notifications.append(sent)
        if !sent.report.passed {
            let name = scenario.notify[safe: sent.notifier]?.name ?? "notifier \(sent.notifier)"
            state.deviations.append(.init(at: now, ref: nil, message: "notifying '\(name)' of \(sent.trigger.rawValue) failed: \(sent.report.summary)"))
        }
        return finishIfDone(at: now)
    }

    mutating func silenceCreated(_ result: SilenceResult, at now: DrillInstant) -> [DrillAction] {
        guard state.silence.creating else { return [] }
        state.silence.creating = false
        state.silence.created = result
        if result.id == nil {
            state.deviations.append(.init(at: now, ref: nil, message: "the Alertmanager silence could not be created: \(result.report.summary)"))
        }
        if state.silence.phasesWaiting {
            state.silence.phasesWaiting = false
            if state.stage == .steadyBefore, state.abort == nil { return enter(.phases, at: now) }
        }
        return finishIfDone(at: now)
    }

    mutating func silenceExpired(_ result: SilenceResult, at now: DrillInstant) -> [DrillAction] {
        guard state.silence.expiring else { return [] }
        state.silence.expiring = false
        state.silence.expired = result
        if !result.report.passed {
            state.deviations.append(.init(at: now, ref: nil, message: "the Alertmanager silence \(result.id ?? "") could not be expired: \(result.report.summary)"))
        }
        return finishIfDone(at: now)
    }
}
