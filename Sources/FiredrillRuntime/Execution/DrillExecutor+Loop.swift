import FiredrillCore
import Foundation

extension DrillExecutor {
    /// What one child of the task group hands back to the loop.
    enum Completion: Sendable {
        /// An outcome to record, from the activity that produced it.
        case event(DrillEvent, ActivityID?)
        /// An attempt's start time came: resolve the step and record `attemptStarted`.
        case ready(StepRef, attempt: Int)
        /// A manual step with nobody at a terminal: stop here and wait for `firedrill confirm`.
        case suspend(ActivityID, reason: String)
        /// Messages posted by other processes (confirmations, aborts).
        case inbox([InboxMessage])
        /// Cancelled before it did anything.
        case nothing(ActivityID?)
    }

    func drive(_ initial: [DrillAction]) async throws -> RunOutcome {
        try await withThrowingTaskGroup(of: Completion.self) { group in
            group.addTask { await self.pollInbox() }
            do {
                try await loop(initial, in: &group)
            } catch {
                // Nothing more is dispatched once the record cannot be written; stop what runs.
                for signal in signals.values { signal.fire() }
                group.cancelAll()
                try? store.releaseLease(run.id, pid: lease.pid)
                throw error
            }
            for signal in signals.values { signal.fire() }
            group.cancelAll()
            return outcome()
        }
    }

    func loop(_ initial: [DrillAction], in group: inout ThrowingTaskGroup<Completion, any Error>) async throws {
        var pending = initial
        while true {
            for action in pending {
                switch action {
                case .finish(let status):
                    try finish(status)
                case .cancel(let id):
                    signals[id]?.fire()
                default:
                    start(action, in: &group)
                }
            }
            pending = []
            if machine.state.stage == .ended { return }
            guard let completion = try await group.next() else { return }
            switch completion {
            case .event(let event, let id):
                if let id { signals[id] = nil }
                let (actions, passed) = try recordOverdue(at: event.observedAt)
                pending = actions
                // A deadline's own timer reporting what was just recorded for it adds nothing.
                if !passed.contains(event) { pending += try record(event) }
            case .ready(let ref, let attempt):
                signals[.attempt(ref, attempt)] = nil
                pending = try recordOverdue().actions
                guard machine.isScheduled(ref, attempt: attempt) else { continue }
                pending += try record(.attemptStarted(resolveAttempt(ref, attempt: attempt)))
            case .suspend(let id, let reason):
                signals[id] = nil
                pending = try recordOverdue().actions
                guard machine.awaitingOperator != nil else { continue }
                try record(.runSuspended(reason: reason))
                run.status = .waiting
                try store.updateRun(run)
                try store.releaseLease(run.id, pid: lease.pid)
                return
            case .inbox(let messages):
                try store.deleteInbox(messages.map(\.id))
                // A confirmation posted after the step's deadline finds the deadline passed.
                pending = try recordOverdue().actions
                for message in messages { pending += try record(message.event) }
                group.addTask { await self.pollInbox() }
            case .nothing(let id):
                if let id { signals[id] = nil }
            }
        }
    }

    /// Records the deadlines that have passed by the clock and the actions they imply.
    /// `at`: the instant to judge by (a driver's result by when it was in; default now).
    @discardableResult
    func recordOverdue(at instant: DrillInstant? = nil, abandoned: Bool = false) throws -> (actions: [DrillAction], recorded: [DrillEvent]) {
        var actions: [DrillAction] = []
        var recorded: [DrillEvent] = []
        // One at a time, earliest first: each may settle the next (a step timed out leaves the
        // phases, and max_duration then has nothing to abort).
        while let next = machine.overdue(at: instant ?? now(), abandoned: abandoned).first, !recorded.contains(next), recorded.count < 8 {
            recorded.append(next)
            actions += try record(next)
        }
        return (actions, recorded)
    }

    func finish(_ status: RunStatus) throws {
        try record(.runEnded(status))
        let measurement = DrillMeasurement(scenario: scenario, state: machine.state)
        run.status = status
        run.endedWallNs = lastRecordedWallNs
        run.rtoSeconds = measurement.rto?.value.seconds
        run.rpoSeconds = measurement.rpo?.span?.value.seconds
        run.objectivesMet = measurement.objectivesMet
        try store.updateRun(run)
        try store.saveMeasurement(runID: run.id, measurement: measurement, marks: machine.state.marks)
        try signFinalHead()
        try store.releaseLease(run.id, pid: lease.pid)
    }

    func resolveAttempt(_ ref: StepRef, attempt: Int) -> AttemptStarted {
        guard let step = machine.step(ref) else {
            return AttemptStarted(ref: ref, attempt: attempt, resolutionError: "no step at \(ref)")
        }
        do {
            let resolved = try scope.resolve(step.action)
            return AttemptStarted(ref: ref, attempt: attempt, action: resolved.action, instructions: resolved.instructions)
        } catch {
            return AttemptStarted(ref: ref, attempt: attempt, resolutionError: error.description)
        }
    }

    func start(_ action: DrillAction, in group: inout ThrowingTaskGroup<Completion, any Error>) {
        guard let id = action.activity else { return }
        let signal = CancellationSignal()
        signals[id] = signal
        // Calls built on the loop (they read the machine's state) and performed as plain HTTP.
        switch action {
        case .notify(let index, let trigger):
            startCall(id, signal, notification(index, trigger), in: &group) { report, start, end in
                .notificationSent(.init(notifier: index, trigger: trigger, report: report, startedAt: start, endedAt: end))
            }
            return
        case .createSilence:
            startCall(id, signal, silenceRequest(), in: &group) { report, _, _ in
                let silenceID = report.passed ? (report.stdout?.text).flatMap(Self.silenceID) : nil
                let recorded = report.passed && silenceID == nil ? DriverReport(verdict: .error, summary: "no silenceID in the answer") : report
                return .silenceCreated(.init(id: silenceID, report: recorded))
            }
            return
        case .expireSilence(let silenceID):
            startCall(id, signal, expireRequest(silenceID), in: &group) { report, _, _ in
                .silenceExpired(.init(id: silenceID, report: report))
            }
            return
        default:
            break
        }
        // No call starts past its deadline (a resume re-arming a step whose time ran out while
        // no orchestrator was there): it is recorded as timed out, never sent.
        if case .perform(let ref, let attempt, _, let deadline?) = action, deadline <= now() {
            let at = now()
            group.addTask {
                .event(.attemptFinished(.init(ref: ref, attempt: attempt, report: DriverReport(
                    verdict: .timedOut, summary: "its deadline passed before it could be dispatched, so it was not"),
                    startedAt: at, endedAt: at)), id)
            }
            return
        }
        let action = withSecrets(action)
        // Children get the scope as it is now: the loop goes on changing it (marks).
        let scope = scope
        group.addTask {
            await self.race(id, against: signal) { await self.perform(action, id: id, scope: scope) }
        }
    }

    /// Performs one prepared HTTP call (bounded to 10 s) and records what `event` makes of its report.
    func startCall(_ id: ActivityID, _ signal: CancellationSignal, _ request: Result<ResolvedHTTP, NotificationError>,
                   in group: inout ThrowingTaskGroup<Completion, any Error>,
                   event: @escaping @Sendable (DriverReport, DrillInstant, DrillInstant) -> DrillEvent) {
        group.addTask {
            await self.race(id, against: signal) {
                let start = self.now()
                let report: DriverReport = switch request {
                case .success(let http):
                    await self.driver.perform(.http(http), deadline: self.continuousDeadline(start + .seconds(10)),
                                              limits: DriverLimits(outputBytes: 4096))
                case .failure(let error): DriverReport(verdict: .error, summary: error.description)
                }
                return .event(event(report, start, self.now()), id)
            }
        }
    }

    /// The machine holds actions as recorded, secrets masked; the driver gets them resolved
    /// again from the step, secrets and all. Runs on the loop, which owns the machine.
    func withSecrets(_ action: DrillAction) -> DrillAction {
        switch action {
        case .perform(let ref, let attempt, let resolved, let deadline) where !redactor.isEmpty:
            guard let step = machine.step(ref), let actual = try? scope.resolve(step.action).action else { return action }
            return .perform(ref, attempt: attempt, action: actual, deadline: deadline)
        case .sampleProbe(let ref, let attempt, let sample, _, let at) where !redactor.isEmpty:
            guard let step = machine.step(ref), let actual = try? scope.resolve(step.action).action else { return action }
            return .sampleProbe(ref, attempt: attempt, sample: sample, action: actual, at: at)
        default:
            return action
        }
    }

    /// Runs `work` unless `signal` fires first; then cancels it and returns what it reports.
    func race(_ id: ActivityID, against signal: CancellationSignal, work: @escaping @Sendable () async -> Completion) async -> Completion {
        await withTaskGroup(of: Completion?.self) { inner in
            inner.addTask { await work() }
            inner.addTask {
                await signal.wait()
                return nil
            }
            while let next = await inner.next() {
                inner.cancelAll()
                if let next { return next }
            }
            return .nothing(id)
        }
    }

    func sleep(until instant: DrillInstant) async throws {
        try await clock.sleep(untilMono: timeline.mono(at: instant, now: clock.now()))
    }

    /// A driver deadline from a run-timeline instant.
    func continuousDeadline(_ instant: DrillInstant?) -> ContinuousClock.Instant? {
        guard let instant else { return nil }
        let remaining = instant - now()
        return ContinuousClock.now.advanced(by: .nanoseconds(remaining.nanoseconds))
    }

    /// Writes the processes of a step in flight to the record (best effort: a step is not failed
    /// because its processes could not be noted; the events are what the run stops on).
    func stepProcessRecorder(_ id: ActivityID) -> StepProcessRecorder {
        let store = store
        let runID = run.id
        let activity = id.description
        return StepProcessRecorder(runID: runID, activity: activity,
                                   record: { try? store.recordStepProcesses(runID, $0) },
                                   clear: { try? store.clearStepProcesses(runID, activity: activity) })
    }

    func probeDeadline(_ action: ResolvedAction, from start: DrillInstant) -> DrillInstant {
        start + (action.ownTimeout ?? defaultProbeTimeout)
    }

    func perform(_ action: DrillAction, id: ActivityID, scope: VariableScope) async -> Completion {
        switch action {
        case .startAttempt(let ref, let attempt, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            return .ready(ref, attempt: attempt)

        case .perform(let ref, let attempt, let resolved, let deadline):
            let start = now()
            let recorder = stepProcessRecorder(id)
            let deadline = continuousDeadline(deadline)
            let report = await StepProcessRecorder.$current.withValue(recorder) {
                await driver.perform(resolved, deadline: deadline, limits: limits)
            }
            return .event(.attemptFinished(.init(ref: ref, attempt: attempt, report: report, startedAt: start, endedAt: now())), id)

        case .sampleProbe(let ref, let attempt, let sample, let resolved, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            let start = now()
            let report = await driver.perform(resolved, deadline: continuousDeadline(probeDeadline(resolved, from: start)),
                                              limits: DriverLimits(outputBytes: min(limits.outputBytes, 4096)))
            if report.verdict == .cancelled { return .nothing(id) }
            return .event(.probeSampled(.init(ref: ref, attempt: attempt, sample: sample, report: report, startedAt: start, endedAt: now())), id)

        case .awaitOperator(let ref, _, let instructions):
            guard console.isInteractive else {
                let name = machine.step(ref)?.name ?? ref.description
                return .suspend(id, reason: "manual step '\(name)' waits for an operator: firedrill confirm \(run.id) --by NAME")
            }
            let name = machine.step(ref)?.name ?? ref.description
            guard let answer = await console.confirm(step: name, instructions: instructions, runID: run.id) else { return .nothing(id) }
            return .event(.operatorConfirmed(.init(ref: ref, by: answer.by, note: answer.note)), id)

        case .armDeadline(let ref, let attempt, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            return .event(.deadlinePassed(ref: ref, attempt: attempt), id)

        case .writeCanary(let seq, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            let start = now()
            let report = await canaryCall(scenario.canary?.write, seq: seq, start: start, scope: scope)
            return .event(.canaryWritten(.init(seq: seq, report: report, startedAt: start, endedAt: now())), id)

        case .readCanary:
            let start = now()
            // A service just restored may drop its first connections: a failed read is tried
            // twice more, a period apart, before the RPO is given up as unknown.
            var report = await canaryCall(scenario.canary?.read, seq: nil, start: start, scope: scope)
            for _ in 0..<2 where !report.passed && report.verdict != .cancelled {
                do { try await Task.sleep(nanoseconds: UInt64((scenario.canary?.every ?? .milliseconds(200)).nanoseconds)) } catch { break }
                report = await canaryCall(scenario.canary?.read, seq: nil, start: now(), scope: scope)
            }
            if report.verdict == .cancelled { return .nothing(id) }
            let highest = report.passed ? (report.stdout?.text).flatMap(CanaryRead.lastInteger) : nil
            return .event(.canaryRead(.init(highestSeq: highest, report: report, startedAt: start, endedAt: now())), id)

        case .sampleGuard(let index, let sample, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            guard let spec = scenario.guards[safe: index] else { return .nothing(id) }
            let start = now()
            let report: DriverReport
            do {
                let resolved = try scope.resolve(spec.probe)
                // A guard must answer before its next poll is due, to trip within its period:
                // a poll still running then has failed.
                let due = at + spec.every
                report = await driver.perform(resolved, deadline: continuousDeadline(min(start + (resolved.ownTimeout ?? spec.every), due)),
                                              limits: DriverLimits(outputBytes: min(limits.outputBytes, 4096)))
            } catch {
                report = DriverReport(verdict: .error, summary: error.description)
            }
            if report.verdict == .cancelled { return .nothing(id) }
            return .event(.guardSampled(.init(guardIndex: index, sample: sample, report: report, startedAt: start, endedAt: now())), id)

        case .armMaxDuration(let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            return .event(.maxDurationPassed, id)

        case .abandon(let ref, let attempt, let startedAt, let reason):
            return .event(.attemptFinished(.init(ref: ref, attempt: attempt, report: DriverReport(verdict: .cancelled, summary: reason),
                                                 startedAt: startedAt, endedAt: now())), id)

        case .cancel, .finish, .notify, .createSilence, .expireSilence:
            return .nothing(id)
        }
    }

    func canaryCall(_ probe: Probe?, seq: Int?, start: DrillInstant, scope: VariableScope) async -> DriverReport {
        guard let probe else { return DriverReport(verdict: .error, summary: "no canary in this scenario") }
        do {
            let resolved = try (seq.map { scope.with(canarySeq: $0) } ?? scope).resolve(probe)
            return await driver.perform(resolved, deadline: continuousDeadline(probeDeadline(resolved, from: start)), limits: limits)
        } catch {
            return DriverReport(verdict: .error, summary: error.description)
        }
    }

    func pollInbox() async -> Completion {
        while !Task.isCancelled {
            if let messages = try? store.inbox(of: run.id), !messages.isEmpty { return .inbox(messages) }
            try? await Task.sleep(nanoseconds: UInt64(inboxPollInterval.nanoseconds))
        }
        return .nothing(nil)
    }
}
