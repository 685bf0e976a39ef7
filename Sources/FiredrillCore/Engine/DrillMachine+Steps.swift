extension DrillMachine {
    /// The step a ref points at.
    public func step(_ ref: StepRef) -> Step? { scenario.step(ref, ledger: state.ledger) }

    /// The steps of a stage, in the order they run.
    func refs(of stage: RunState.Stage) -> [StepRef] {
        switch stage {
        case .setup: scenario.setup.indices.map { .setup($0) }
        case .steadyBefore: scenario.steadyState.indices.map { .steadyBefore($0) }
        case .phases: scenario.phases.indices.flatMap { p in scenario.phases[p].steps.indices.map { .phase(p, $0) } }
        case .steadyAfter: scenario.steadyState.indices.map { .steadyAfter($0) }
        case .rollback: state.rollbackOrder.map { .rollback($0) }
        case .teardown: scenario.teardown.indices.map { .teardown($0) }
        case .notStarted, .ended: []
        }
    }

    /// Name of the phase a ref belongs to, or the section's name.
    public func phaseName(of ref: StepRef) -> String {
        switch ref {
        case .setup: "setup"
        case .steadyBefore: "steady state (before)"
        case .phase(let p, _): scenario.phases[safe: p]?.name ?? "phase \(p)"
        case .steadyAfter: "steady state (after)"
        case .rollback: "rollback"
        case .teardown: "teardown"
        }
    }

    mutating func enter(_ stage: RunState.Stage, at now: DrillInstant) -> [DrillAction] {
        state.stage = stage
        state.current = nil
        var actions: [DrillAction] = []
        var firstAt = now
        if stage == .phases, let canary = scenario.canary, state.canary?.startedAt == nil {
            // The canary writes from before the first phase, for `warmup`, so acknowledged writes exist.
            state.canary?.startedAt = now
            state.canary?.outstanding = 1
            state.canary?.nextSeq = 2
            actions.append(.writeCanary(seq: 1, at: now))
            firstAt = now + canary.warmup
        }
        if stage == .phases { actions += startGuards(at: now) }
        // The silence is expired as teardown starts: teardown may be what stops the Alertmanager
        // (a lab, a test environment). One still being created is expired once it is, at the end.
        if stage == .teardown, let id = state.silence.created?.id, state.silence.expired == nil, !state.silence.expiring {
            state.silence.expiring = true
            actions.append(.expireSilence(id: id))
        }
        if stage == .rollback {
            state.rollbackOrder = Array(state.ledger.indices.reversed())
        }
        guard let first = refs(of: stage).first else { return actions + stageDone(stage, at: now) }
        return actions + schedule(first, attempt: 1, at: firstAt)
    }

    mutating func schedule(_ ref: StepRef, attempt: Int, at: DrillInstant) -> [DrillAction] {
        state.current = .init(ref: ref, progress: .scheduled(attempt: attempt, at: at))
        return [.startAttempt(ref, attempt: attempt, at: at)]
    }

    mutating func attemptStarted(_ started: AttemptStarted, at now: DrillInstant) -> [DrillAction] {
        // Stale: an attempt the run no longer waits for (cancelled, or superseded).
        guard let current = state.current, current.ref == started.ref,
              case .scheduled(let attempt, _) = current.progress, attempt == started.attempt else { return [] }
        guard let step = step(started.ref) else {
            return impossible("attempt started for \(started.ref), which the scenario has no step at", step: started.ref, at: now)
        }
        state.attempts.append(.init(ref: started.ref, stepName: step.name, attempt: started.attempt, action: started.action,
                                    startedAt: now, samples: 0))
        if case .phase = started.ref, started.attempt == 1 { registerCompensations(for: started.ref, step: step, at: now) }
        if let error = started.resolutionError {
            recordEnd(started.ref, attempt: attempt, report: nil, verdict: .error, summary: error, endedAt: now)
            return stepAttemptFailed(started.ref, attempt: attempt, summary: error, verdict: .error, startedAt: now, endedAt: now, at: now)
        }
        let deadline = step.timeout.map { now + $0 }
        if step.action.as(ManualStep.self) != nil {
            let instructions = started.instructions ?? ""
            state.current?.progress = .awaitingOperator(attempt: attempt, instructions: instructions, deadline: deadline)
            var actions: [DrillAction] = [.awaitOperator(started.ref, attempt: attempt, instructions: instructions)]
            if let deadline { actions.append(.armDeadline(started.ref, attempt: attempt, at: deadline)) }
            return actions
        }
        if step.action.as(WaitFor.self) != nil {
            guard let action = started.action else { return impossibleAttempt(started.ref, attempt: attempt, "started with no action to poll", at: now) }
            state.current?.progress = .polling(.init(attempt: attempt, action: action, startedAt: now, deadline: deadline, sample: 1, streak: 0))
            var actions: [DrillAction] = [.sampleProbe(started.ref, attempt: attempt, sample: 1, action: action, at: now)]
            if let deadline { actions.append(.armDeadline(started.ref, attempt: attempt, at: deadline)) }
            return actions
        }
        guard let action = started.action else { return impossibleAttempt(started.ref, attempt: attempt, "started with no action to perform", at: now) }
        state.current?.progress = .performing(attempt: attempt, action: action, deadline: deadline)
        return [.perform(started.ref, attempt: attempt, action: action, deadline: deadline)]
    }

    /// Compensations become owed before the injection runs: scenario-level ones with the
    /// first phase step (so they run last), a step's own with that step.
    mutating func registerCompensations(for ref: StepRef, step: Step, at now: DrillInstant) {
        let firstDispatch = !state.attempts.dropLast().contains { if case .phase = $0.ref { true } else { false } }
        if firstDispatch {
            for compensation in scenario.rollback { state.ledger.append(.init(step: compensation, owedFor: nil, registeredAt: now)) }
        }
        for compensation in step.rollback { state.ledger.append(.init(step: compensation, owedFor: ref, registeredAt: now)) }
    }

    mutating func recordEnd(_ ref: StepRef, attempt: Int, report: DriverReport?, verdict: DriverReport.Verdict, summary: String,
                            endedAt: DrillInstant, confirmation: OperatorConfirmation? = nil) {
        guard let index = state.attempts.lastIndex(where: { $0.ref == ref && $0.attempt == attempt }) else { return }
        state.attempts[index].endedAt = endedAt
        state.attempts[index].verdict = verdict
        state.attempts[index].summary = summary
        state.attempts[index].report = report
        state.attempts[index].confirmation = confirmation
    }

    mutating func attemptFinished(_ finished: AttemptFinished, at now: DrillInstant) -> [DrillAction] {
        // The step a resume halted for has an outcome after all (its deadline passed): nothing is in doubt.
        if let halt = state.halt, halt.ref == finished.ref, halt.attempt == finished.attempt {
            state.course = .running
        }
        noteAlerts(finished.report, at: finished.endedAt)
        let (verdict, summary) = judged(finished.report, of: finished.ref)
        recordEnd(finished.ref, attempt: finished.attempt, report: finished.report, verdict: verdict, summary: summary, endedAt: finished.endedAt)
        if state.drainingTo != nil { return resumeAfterDrain(finished.ref, attempt: finished.attempt, at: now) }
        guard let current = state.current, current.ref == finished.ref,
              case .performing(let attempt, _, _) = current.progress, attempt == finished.attempt else {
            return finishIfDone(at: now)
        }
        if verdict == .passed {
            return stepSucceeded(finished.ref, mark: .init(at: finished.endedAt, lower: finished.startedAt, upper: finished.endedAt), at: now)
        }
        return stepAttemptFailed(finished.ref, attempt: attempt, summary: summary, verdict: verdict,
                                 startedAt: finished.startedAt, endedAt: finished.endedAt, at: now)
    }

    /// The step's verdict on its driver's report: as reported, or turned round by `expect: fail`,
    /// where only a refusal (`failed`) passes; a timeout or an error stays a failure.
    func judged(_ report: DriverReport, of ref: StepRef) -> (DriverReport.Verdict, String) {
        guard step(ref)?.expect == .fail else { return (report.verdict, report.summary) }
        switch report.verdict {
        case .failed:
            // A refusal is an answer: an attempt that never reached the system proves nothing.
            if let reason = Self.notARefusal(report, action: state.attempts.last(where: { $0.ref == ref })?.action) {
                return (.error, "failed, but not as a refusal (\(reason)): \(report.summary)")
            }
            return (.passed, "failed as expected: \(report.summary)")
        case .passed: return (.failed, Self.passedUnexpectedly + report.summary)
        default: return (report.verdict, report.summary)
        }
    }

    static let passedUnexpectedly = "expected to fail, but it passed: "

    /// Why a failed report is not the system refusing: an HTTP request with no answer, an alert
    /// probe that got no list of alerts from Alertmanager (down, an error status), a program
    /// that could not run (126, 127), a process ended by a signal.
    static func notARefusal(_ report: DriverReport, action: ResolvedAction?) -> String? {
        notARefusal(report, kind: action?.kind)
    }

    static func notARefusal(_ report: DriverReport, kind: String?) -> String? {
        if kind == "http", report.httpStatus == nil { return "no HTTP answer" }
        if kind == "alert", report.alerts == nil { return "no list of alerts from Alertmanager" }
        if let signal = report.terminationSignal { return "ended by signal \(signal)" }
        if let status = report.exitStatus, status == 126 || status == 127 { return "exit \(status): the program could not run" }
        return nil
    }

    mutating func probeSampled(_ sampled: ProbeSampled, at now: DrillInstant) -> [DrillAction] {
        if keepsSamples {
            state.samples.append(.init(ref: sampled.ref, attempt: sampled.attempt, sample: sampled.sample, passed: sampled.report.passed,
                                       startedAt: sampled.startedAt, endedAt: sampled.endedAt, summary: sampled.report.summary))
        }
        state.record(sampled)
        noteAlerts(sampled.report, at: sampled.endedAt)
        if let index = state.attempts.lastIndex(where: { $0.ref == sampled.ref && $0.attempt == sampled.attempt }),
           state.attempts[index].endedAt == nil {
            state.attempts[index].samples += 1
            state.attempts[index].summary = sampled.report.summary
        }
        // Stale: a sample of a poll already over.
        guard let current = state.current, current.ref == sampled.ref, case .polling(var polling) = current.progress,
              polling.attempt == sampled.attempt, polling.sample == sampled.sample else { return [] }
        guard let step = step(sampled.ref), let waitFor = step.action.as(WaitFor.self) else {
            return impossibleAttempt(sampled.ref, attempt: sampled.attempt, "sampled, but it is not a wait_for step", at: now)
        }
        // Waiting for an alert to be gone, only Alertmanager's list without it counts: not
        // Alertmanager being down or answering an error.
        let expected = waitFor.expect == .pass ? sampled.report.passed
            : !sampled.report.passed && !(polling.action.kind == "alert" && sampled.report.alerts == nil)
        if expected {
            if polling.streak == 0 {
                polling.streakStart = sampled.startedAt
                polling.streakFirstEnd = sampled.endedAt
            }
            polling.streak += 1
        } else {
            polling.streak = 0
            polling.streakStart = nil
            polling.streakFirstEnd = nil
            polling.lastOpposite = sampled.startedAt
        }
        if polling.streak >= waitFor.consecutive, let streakStart = polling.streakStart {
            recordEnd(sampled.ref, attempt: polling.attempt, report: sampled.report, verdict: .passed,
                      summary: "\(waitFor.expect == .pass ? "passed" : "failed as expected") after \(sampled.sample) probe\(sampled.sample == 1 ? "" : "s"): \(sampled.report.summary)",
                      endedAt: sampled.endedAt)
            var actions: [DrillAction] = polling.deadline == nil ? [] : [.cancel(.deadline(sampled.ref, polling.attempt))]
            // With no opposite result in this attempt (the first probe already passed), the change
            // happened after the latest opposite probe anywhere earlier in the run.
            let earlier = latestOpposite(before: streakStart, expect: waitFor.expect, action: polling.action)
            // The change came after the last opposite probe started, and before the first expected
            // one ended: a probe observes at some instant while it runs (a query is evaluated after
            // it is sent), so its start alone does not bound the change.
            let lower = polling.lastOpposite ?? earlier ?? polling.startedAt
            // The resolution is the spacing achieved between the probes either side of the
            // change: a probe slower than its period spaces them wider than the period.
            let achieved = (streakStart - lower).wholeMillisecondsUp
            let mark = MarkTiming(at: streakStart, lower: lower, upper: polling.streakFirstEnd ?? streakStart,
                                  interval: max(waitFor.every, achieved), period: achieved > waitFor.every ? waitFor.every : nil)
            actions += stepSucceeded(sampled.ref, mark: mark, at: now)
            return actions
        }
        // Next probe on the period's grid, skipping slots already past, so a slow probe never causes a burst.
        let slot = Self.firstSlot(from: Int64(polling.sample), start: polling.startedAt, every: waitFor.every, notBefore: sampled.endedAt)
        polling.sample += 1
        state.current?.progress = .polling(polling)
        return [.sampleProbe(sampled.ref, attempt: polling.attempt, sample: polling.sample, action: polling.action,
                             at: polling.startedAt + waitFor.every * slot)]
    }

    /// The start of the latest sample before `limit` with the result opposite to `expect`, of
    /// any attempt that polled `action`.
    mutating func latestOpposite(before limit: DrillInstant, expect: ProbeExpectation, action: ResolvedAction) -> DrillInstant? {
        let passed = expect != .pass
        switch state.probeHistory.latestStart(passed: passed, before: limit, polled: { polledAction($0, attempt: $1) == action }) {
        case .start(let start):
            return start
        case .needsEverySample:
            guard keepsSamples else {
                state.needsEverySample = true
                return nil
            }
            return state.samples.last { sample in
                sample.passed == passed && sample.startedAt < limit && polledAction(sample.ref, attempt: sample.attempt) == action
            }?.startedAt
        }
    }

    /// The first slot of the grid `start + every × slot`, from `first` on, not before `end`.
    /// Computed, not walked slot by slot: a wait_for numbers its slots from its sample count, so
    /// once probes ran late, every probe would walk again all the slots skipped so far (100,000
    /// probes of 1 ms, a tenth of them slower than that, took seconds to replay).
    static func firstSlot(from first: Int64, start: DrillInstant, every: DrillDuration, notBefore end: DrillInstant) -> Int64 {
        let (gap, overflowed) = end.nanoseconds.subtractingReportingOverflow(start.nanoseconds)
        guard every.nanoseconds > 0, gap > 0, !overflowed else { return first }
        let slots = gap / every.nanoseconds + (gap % every.nanoseconds == 0 ? 0 : 1)
        return max(first, slots)
    }

    /// What an earlier attempt polled: only results of the same probe bound this one's change.
    func polledAction(_ ref: StepRef, attempt: Int) -> ResolvedAction? {
        state.attempts.last { $0.ref == ref && $0.attempt == attempt }?.action
    }

    mutating func deadlinePassed(_ ref: StepRef, attempt: Int, at now: DrillInstant) -> [DrillAction] {
        guard let current = state.current, current.ref == ref else { return [] }  // stale: that step is over
        guard let step = step(ref) else { return impossible("deadline passed for \(ref), which the scenario has no step at", step: ref, at: now) }
        let timeout = step.timeout.map { "timed out after \($0)" } ?? "timed out"
        switch current.progress {
        case .polling(let polling) where polling.attempt == attempt:
            let summary = "\(timeout) waiting for the probe to \(stepExpectation(step)) (\(polling.sample - 1) probes, last: \(state.probeSeries(ref)?.lastSummary ?? "none"))"
            recordEnd(ref, attempt: attempt, report: nil, verdict: .timedOut, summary: summary, endedAt: now)
            return [.cancel(.sample(ref, attempt, polling.sample))]
                + stepAttemptFailed(ref, attempt: attempt, summary: summary, verdict: .timedOut, startedAt: polling.startedAt, endedAt: now, at: now)
        case .awaitingOperator(let a, _, _) where a == attempt:
            let summary = "\(timeout) waiting for an operator to confirm"
            recordEnd(ref, attempt: attempt, report: nil, verdict: .timedOut, summary: summary, endedAt: now)
            return [.cancel(.attempt(ref, attempt))]
                + stepAttemptFailed(ref, attempt: attempt, summary: summary, verdict: .timedOut, startedAt: now, endedAt: now, at: now)
        default:
            return []
        }
    }

    func stepExpectation(_ step: Step) -> String {
        if let waitFor = step.action.as(WaitFor.self) {
            return waitFor.expect == .pass ? "pass \(waitFor.consecutive)x" : "fail \(waitFor.consecutive)x"
        }
        return step.expect == .fail ? "fail" : "pass"
    }

    mutating func operatorConfirmed(_ confirmation: OperatorConfirmation, at now: DrillInstant) -> [DrillAction] {
        guard let current = state.current, current.ref == confirmation.ref,
              case .awaitingOperator(let attempt, _, let deadline) = current.progress else { return [] }
        let note = confirmation.note.map { ": \($0)" } ?? ""
        recordEnd(confirmation.ref, attempt: attempt, report: nil, verdict: .passed, summary: "confirmed by \(confirmation.by)\(note)",
                  endedAt: now, confirmation: confirmation)
        // Stop a prompt still waiting at a terminal when the confirmation came from elsewhere.
        var actions: [DrillAction] = [.cancel(.attempt(confirmation.ref, attempt))]
        if deadline != nil { actions.append(.cancel(.deadline(confirmation.ref, attempt))) }
        actions += stepSucceeded(confirmation.ref, mark: .init(at: now, lower: now, upper: now), at: now)
        return actions
    }

    struct MarkTiming {
        var at: DrillInstant
        var lower: DrillInstant
        var upper: DrillInstant
        var interval: DrillDuration? = nil
        var period: DrillDuration? = nil
    }

    mutating func stepSucceeded(_ ref: StepRef, mark timing: MarkTiming, at now: DrillInstant) -> [DrillAction] {
        state.stepsPassed.insert(ref)
        state.stepsFailed.remove(ref)
        if let attempt = state.attempts.last(where: { $0.ref == ref }) {
            noteBackups(ref, report: attempt.report, startedAt: attempt.startedAt, endedAt: attempt.endedAt ?? now)
        }
        var actions: [DrillAction] = []
        if let name = step(ref)?.mark, state.mark(name) == nil {
            state.marks.append(Mark(name: name, at: timing.at, lower: timing.lower, upper: timing.upper, ref: ref, probeInterval: timing.interval,
                                     probePeriod: timing.period))
            actions += markReached(name, at: now)
        }
        return actions + advance(from: ref, at: now)
    }

    mutating func stepAttemptFailed(_ ref: StepRef, attempt: Int, summary: String, verdict: DriverReport.Verdict,
                                    startedAt: DrillInstant, endedAt: DrillInstant, at now: DrillInstant) -> [DrillAction] {
        guard let step = step(ref) else { return impossible("an attempt of \(ref) failed, and the scenario has no step there", step: ref, at: now) }
        // An attack expected to fail that passed has done its harm: trying it again proves nothing.
        let harmDone = step.expect == .fail && summary.hasPrefix(Self.passedUnexpectedly)
        if attempt <= step.retries, verdict != .cancelled, !harmDone {
            return schedule(ref, attempt: attempt + 1, at: now + step.retryDelay)
        }
        state.stepsFailed.insert(ref)
        let tries = attempt > 1 ? " after \(attempt) attempts" : ""
        state.deviations.append(.init(at: now, ref: ref, message: "step '\(step.name)' \(verdict == .timedOut ? "timed out" : "failed")\(tries): \(summary)"))
        switch ref {
        case .setup:
            return fail("setup step '\(step.name)' failed: \(summary)", goTo: .teardown, at: now)
        case .steadyBefore:
            return fail("steady state did not hold before the drill ('\(step.name)': \(summary)); nothing was injected", goTo: .teardown, at: now)
        case .phase:
            if step.onFailure == .continue { return advance(from: ref, at: now) }
            return fail("step '\(step.name)' failed\(tries): \(summary)", goTo: .rollback, at: now)
        case .steadyAfter:
            state.outcome = .deviated
            if state.failureReason == nil { state.failureReason = "steady state not restored after the drill ('\(step.name)': \(summary))" }
            return advance(from: ref, at: now)
        case .rollback, .teardown:
            return advance(from: ref, at: now)
        }
    }

    mutating func fail(_ reason: String, goTo stage: RunState.Stage, at now: DrillInstant) -> [DrillAction] {
        state.outcome = .failed
        if state.failureReason == nil { state.failureReason = reason }
        return stopGuards() + stopCanary(at: now) + enter(stage, at: now)
    }

    /// The next step of the stage, or the next stage.
    mutating func advance(from ref: StepRef, at now: DrillInstant) -> [DrillAction] {
        let stage = state.stage
        let order = refs(of: stage)
        if let index = order.firstIndex(of: ref), index + 1 < order.count {
            return schedule(order[index + 1], attempt: 1, at: now)
        }
        state.current = nil
        return stageDone(stage, at: now)
    }

    mutating func stageDone(_ stage: RunState.Stage, at now: DrillInstant) -> [DrillAction] {
        switch stage {
        case .notStarted, .setup:
            // The silence is created once setup has passed: setup may be what starts the
            // Alertmanager (a lab, a test environment); the faults come later, in the phases,
            // which wait for it. A drill whose setup failed silences nothing.
            var silence: [DrillAction] = []
            if scenario.silence != nil, !state.silence.creating, state.silence.created == nil {
                state.silence.creating = true
                silence = [.createSilence]
            }
            return silence + enter(.steadyBefore, at: now)
        case .steadyBefore:
            // No fault before its alerts are silenced: the phases wait for the silence to settle.
            if state.silence.creating {
                state.silence.phasesWaiting = true
                return []
            }
            return enter(.phases, at: now)
        case .phases: return stopGuards() + stopCanary(at: now) + requestCanaryRead() + enter(.steadyAfter, at: now)
        case .steadyAfter, .rollback: return enter(.teardown, at: now)
        case .teardown:
            state.course = .finishing(endNotified: false)
            return finishIfDone(at: now)
        case .ended: return []
        }
    }

    mutating func finishIfDone(at now: DrillInstant) -> [DrillAction] {
        guard state.finishRequested, state.stage == .teardown, state.current == nil else { return [] }
        if let canary = state.canary, canary.outstanding != nil || (canary.readRequested && canary.read == nil) { return [] }
        // The silence is expired before the end is announced, and only once it exists.
        guard state.silence.settled else { return [] }
        if let id = state.silence.created?.id, state.silence.expired == nil {
            state.silence.expiring = true
            return [.expireSilence(id: id)]
        }
        // The end notifications go out last (after the others have reported, so "ended" never
        // overtakes "recovered"), and the run ends once they report.
        guard state.endNotified || state.notificationsPending.isEmpty else { return [] }
        if !state.endNotified {
            state.course = .finishing(endNotified: true)
            let actions = notify(.end)
            if !actions.isEmpty { return actions }
        }
        guard state.notificationsPending.isEmpty else { return [] }
        return [.finish(state.outcome.status)]
    }

    mutating func abortRequested(by: String, reason: String, at now: DrillInstant) -> [DrillAction] {
        guard state.abort == nil, [.setup, .steadyBefore, .phases, .steadyAfter].contains(state.stage) else { return [] }
        state.abort = .init(by: by, reason: reason, at: now)
        let told = notify(.abort)
        // Aborting settles a step in doubt: its compensation is owed like any other's.
        if state.halt != nil { state.course = .running }
        state.outcome = .aborted
        state.failureReason = "aborted by \(by): \(reason)"
        state.deviations.append(.init(at: now, ref: state.current?.ref, message: "aborted by \(by): \(reason)"))
        let next: RunState.Stage = state.ledger.isEmpty ? .teardown : .rollback
        var actions = told + stopGuards() + stopCanary(at: now)
        if let canary = state.canary, canary.readRequested, canary.read == nil {
            state.canary?.readRequested = false
            actions.append(.cancel(.canaryRead))
        }
        guard let current = state.current else { return actions + enter(next, at: now) }
        switch current.progress {
        case .performing(let attempt, _, _):
            // Wait for the cancelled driver call to report before compensating for it.
            state.course = .draining(to: next)
            return actions + [.cancel(.attempt(current.ref, attempt))]
        case .scheduled(let attempt, _):
            actions.append(.cancel(.attempt(current.ref, attempt)))
        case .polling(let polling):
            actions += [.cancel(.sample(current.ref, polling.attempt, polling.sample)), .cancel(.deadline(current.ref, polling.attempt))]
            recordEnd(current.ref, attempt: polling.attempt, report: nil, verdict: .cancelled, summary: "cancelled: run aborted", endedAt: now)
        case .awaitingOperator(let attempt, _, _):
            actions += [.cancel(.attempt(current.ref, attempt)), .cancel(.deadline(current.ref, attempt))]
            recordEnd(current.ref, attempt: attempt, report: nil, verdict: .cancelled, summary: "cancelled: run aborted", endedAt: now)
        }
        return actions + enter(next, at: now)
    }

    /// After an abort, the cancelled in-flight attempt's report lets the run move on.
    mutating func resumeAfterDrain(_ ref: StepRef, attempt: Int, at now: DrillInstant) -> [DrillAction] {
        guard let next = state.drainingTo, let current = state.current, current.ref == ref,
              case .performing(let a, _, _) = current.progress, a == attempt else { return finishIfDone(at: now) }
        state.course = .running
        return enter(next, at: now)
    }
}

extension Scenario {
    /// The step a ref points at; rollback refs index the run's ledger.
    public func step(_ ref: StepRef, ledger: [RunState.LedgerEntry]) -> Step? {
        switch ref {
        case .setup(let i): setup[safe: i]
        case .steadyBefore(let i), .steadyAfter(let i): steadyState[safe: i]
        case .phase(let p, let s): phases[safe: p]?.steps[safe: s]
        case .rollback(let i): ledger[safe: i]?.step
        case .teardown(let i): teardown[safe: i]
        }
    }
}

extension Array {
    public subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
