import FiredrillCore
import Foundation

/// Performs activities: the effects the executor's loop decided, in its task group's children.
/// Plain values only (Temporal's activity code): what a child needs is captured here when it
/// starts, and everything it learns comes back to the loop as a `Completion`. Every wait and
/// every driver deadline is on the run's `DrillClock`.
struct Activities: Sendable {
    let driver: any Driver
    let clock: any DrillClock
    let console: any OperatorConsole
    let store: any RunStore
    let timeline: RunTimeline
    let runID: String
    /// The instant of the event last recorded when the child started: its readings never go before it.
    let floor: DrillInstant
    let limits: DriverLimits
    /// Bound for one probe sample or canary call when the probe sets no timeout of its own.
    let defaultProbeTimeout: DrillDuration
    let inboxPollInterval: DrillDuration

    func now() -> DrillInstant { max(timeline.instant(clock.now()), floor) }

    /// A driver deadline from a run-timeline instant, on the run's clock.
    func deadline(_ instant: DrillInstant?) -> Deadline {
        Deadline(clock: clock, monoNs: instant.map { timeline.mono(at: $0, now: clock.now()) })
    }

    func sleep(until instant: DrillInstant) async throws {
        try await clock.sleep(untilMono: timeline.mono(at: instant, now: clock.now()))
    }

    func sleep(for duration: DrillDuration) async throws {
        try await clock.sleep(untilMono: clock.now().monoNs.saturatingAdd(duration.nanoseconds))
    }

    /// Probes and canary calls report at most 4 KiB of output.
    var sampleLimits: DriverLimits { DriverLimits(outputBytes: min(limits.outputBytes, 4096)) }

    func perform(_ activity: Activity, id: ActivityID) async -> DrillExecutor.Completion {
        switch activity {
        case .wake(let at, let then):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            return then

        case .perform(let ref, let attempt, let resolved, let deadline):
            let start = now()
            let recorder = stepProcessRecorder(id)
            let report = await StepProcessRecorder.$current.withValue(recorder) {
                await call(resolved, deadline: self.deadline(deadline), limits: limits)
            }
            return .event(.attemptFinished(.init(ref: ref, attempt: attempt, report: report, startedAt: start, endedAt: now())), id)

        case .sampleProbe(let ref, let attempt, let sample, let resolved, let at):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            let start = now()
            let report = await call(resolved, deadline: deadline(start + (resolved.ownTimeout ?? defaultProbeTimeout)), limits: sampleLimits)
            if report.verdict == .cancelled { return .nothing(id) }
            return .event(.probeSampled(.init(ref: ref, attempt: attempt, sample: sample, report: report, startedAt: start, endedAt: now())), id)

        case .askOperator(let ref, let step, let instructions):
            guard let answer = await console.confirm(step: step, instructions: instructions, runID: runID) else { return .nothing(id) }
            return .event(.operatorConfirmed(.init(ref: ref, by: answer.by, note: answer.note)), id)

        case .writeCanary(let seq, let at, let prepared):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            let start = now()
            let report = await canaryCall(prepared, start: start)
            return .event(.canaryWritten(.init(seq: seq, report: report, startedAt: start, endedAt: now())), id)

        case .readCanary(let prepared, let every):
            let start = now()
            // A service just restored may drop its first connections: a failed read is tried
            // twice more, a period apart, before the RPO is given up as unknown.
            var report = await canaryCall(prepared, start: start)
            for _ in 0..<2 where !report.passed && report.verdict != .cancelled {
                do { try await sleep(for: every) } catch { break }
                report = await canaryCall(prepared, start: now())
            }
            if report.verdict == .cancelled { return .nothing(id) }
            let highest = report.passed ? (report.stdout?.text).flatMap(CanaryRead.lastInteger) : nil
            return .event(.canaryRead(.init(highestSeq: highest, report: report, startedAt: start, endedAt: now())), id)

        case .sampleGuard(let index, let sample, let at, let prepared, let every):
            do { try await sleep(until: at) } catch { return .nothing(id) }
            let start = now()
            let report: DriverReport
            switch prepared {
            case .success(let resolved):
                // A guard must answer before its next poll is due, to trip within its period:
                // a poll still running then has failed.
                let due = at + every
                report = await call(resolved, deadline: deadline(min(start + (resolved.ownTimeout ?? every), due)), limits: sampleLimits)
            case .failure(let failure):
                report = DriverReport(verdict: .error, summary: failure.description)
            }
            if report.verdict == .cancelled { return .nothing(id) }
            return .event(.guardSampled(.init(guardIndex: index, sample: sample, report: report, startedAt: start, endedAt: now())), id)

        case .call(let request, let call):
            let start = now()
            let report: DriverReport = switch request {
            case .success(let http): await driver.perform(.http(http), deadline: deadline(start + .seconds(10)), limits: DriverLimits(outputBytes: 4096))
            case .failure(let failure): DriverReport(verdict: .error, summary: failure.description)
            }
            return .event(call.event(report, startedAt: start, endedAt: now()), id)

        case .finished(let event):
            return .event(event, id)
        }
    }

    /// Every step, probe, guard and canary call goes to the driver here. An action that asks
    /// something of its output is read up to `ResolvedOutput.readLimit` and judged on all of it
    /// (`OutputJudge`); the record keeps no more of the output than `limits` allows.
    func call(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let output = action.output else {
            var report = await driver.perform(action, deadline: deadline, limits: limits)
            // When Alertmanager was seen, on the wall clock: an alert's startsAt is another host's wall clock.
            if report.alerts != nil { report.alerts?.observedWallNs = clock.now().wallNs }
            return report
        }
        let read = DriverLimits(outputBytes: max(limits.outputBytes, ResolvedOutput.readLimit))
        let report = await driver.perform(action, deadline: deadline, limits: read)
        return OutputJudge.judge(report, output: output, keep: limits.outputBytes,
                                 listedWallNs: output.inventory == nil ? nil : clock.now().wallNs)
    }

    func canaryCall(_ prepared: Activity.Prepared, start: DrillInstant) async -> DriverReport {
        switch prepared {
        case .success(let resolved):
            await call(resolved, deadline: deadline(start + (resolved.ownTimeout ?? defaultProbeTimeout)), limits: limits)
        case .failure(let failure):
            DriverReport(verdict: .error, summary: failure.description)
        }
    }

    /// Runs `work` unless `signal` fires first; then cancels it and returns what it reports.
    func race(_ id: ActivityID, against signal: CancellationSignal, _ activity: Activity) async -> DrillExecutor.Completion {
        await withTaskGroup(of: DrillExecutor.Completion?.self) { inner in
            inner.addTask { await perform(activity, id: id) }
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

    /// Writes the processes of a step in flight to the record (best effort: a step is not failed
    /// because its processes could not be noted; the events are what the run stops on).
    func stepProcessRecorder(_ id: ActivityID) -> StepProcessRecorder {
        let store = store
        let runID = runID
        let activity = id.description
        return StepProcessRecorder(runID: runID, activity: activity,
                                   record: { try? store.recordStepProcesses(runID, $0) },
                                   clear: { try? store.clearStepProcesses(runID, activity: activity) })
    }

    /// Messages posted by other processes (confirmations, aborts), looked for every `inboxPollInterval`.
    func pollInbox() async -> DrillExecutor.Completion {
        while !Task.isCancelled {
            if let messages = try? store.inbox(of: runID), !messages.isEmpty { return .inbox(messages) }
            do { try await sleep(for: inboxPollInterval) } catch { break }
        }
        return .nothing(nil)
    }
}

extension Activity.Call {
    func event(_ report: DriverReport, startedAt: DrillInstant, endedAt: DrillInstant) -> DrillEvent {
        switch self {
        case .notification(let index, let trigger):
            return .notificationSent(.init(notifier: index, trigger: trigger, report: report, startedAt: startedAt, endedAt: endedAt))
        case .createSilence:
            let silenceID = report.passed ? (report.stdout?.text).flatMap(DrillExecutor.silenceID) : nil
            let recorded = report.passed && silenceID == nil ? DriverReport(verdict: .error, summary: "no silenceID in the answer") : report
            return .silenceCreated(.init(id: silenceID, report: recorded))
        case .expireSilence(let silenceID):
            return .silenceExpired(.init(id: silenceID, report: report))
        }
    }
}
