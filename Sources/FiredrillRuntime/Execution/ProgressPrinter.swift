import FiredrillCore
import Foundation

/// Shows a drill as it runs: the phase and step, elapsed time, and the RTO clock once the
/// disaster mark is reached. Plain lines when stdout is not a terminal; colour only on a
/// terminal and never with NO_COLOR. Every line is flushed: a piped stdout is block-buffered.
public struct ProgressPrinter: Sendable {
    public var enabled: Bool
    public var color: Bool
    /// Where lines go instead of stdout (the timeline of `firedrill serve`'s live page).
    var sink: (@Sendable (String) -> Void)?

    public init(enabled: Bool = true, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.enabled = enabled
        color = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// A value from the scenario, a step or an operator: its control characters shown as `\x1b`,
    /// so the only escape sequences reaching the terminal are `paint`'s.
    func v(_ text: String) -> String { ControlCharacters.visible(text) }

    func line(_ at: DrillInstant, _ text: String, rto: DrillDuration? = nil) {
        guard enabled else { return }
        let clock = Self.pad(DrillDuration(nanoseconds: at.nanoseconds).secondsText, 9)
        let rtoText = rto.map { paint("  RTO clock \($0.secondsText)", "33") } ?? ""
        let text = paint(clock, "2") + "  " + text + rtoText
        if let sink { sink(text) } else { Self.write(text + "\n") }
    }

    /// A line about the run rather than an event of it.
    public func note(_ text: String) {
        guard enabled else { return }
        if let sink { sink(v(text)) } else { Self.write(v(text) + "\n") }
    }

    /// The lines a run's terminal showed, rebuilt from its events (no colour): the timeline of
    /// `firedrill serve`'s live page.
    public static func timeline(_ events: [RecordedEvent], scenario: Scenario) -> [String] {
        final class Lines: @unchecked Sendable {
            var lines: [String] = []
            let lock = NSLock()
        }
        let collected = Lines()
        var printer = ProgressPrinter(enabled: true, environment: ["NO_COLOR": "1"])
        printer.color = false
        printer.sink = { line in collected.lock.withLock { collected.lines.append(line) } }
        // Samples kept: a wait_for's lines depend on the one before.
        var machine = DrillMachine(scenario: scenario)
        for recorded in events {
            _ = machine.apply(recorded.event, at: recorded.at)
            printer.show(recorded.event, at: recorded.at, machine: machine)
        }
        return collected.lock.withLock { collected.lines }
    }

    /// While a step waits: its first result, every change of result, and otherwise about one
    /// line a second (a 1 ms probe once printed 10,708 lines in 110 s).
    static func worthALine(_ sampled: ProbeSampled, after previous: (passed: Bool, startedAt: DrillInstant)?) -> Bool {
        guard sampled.sample > 1, let previous else { return true }
        if previous.passed != sampled.report.passed { return true }
        let second: Int64 = 1_000_000_000
        return sampled.startedAt.nanoseconds / second != previous.startedAt.nanoseconds / second
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// One line per meaningful event, after the machine applied it.
    func show(_ event: DrillEvent, at: DrillInstant, machine: DrillMachine) {
        guard enabled else { return }
        let state = machine.state
        let rto = state.mark("disaster").flatMap { disaster in state.mark("recovered") == nil ? at - disaster.at : nil }
        func name(_ ref: StepRef) -> String {
            "\(paint(v(machine.phaseName(of: ref)), "36")) › \(v(machine.step(ref)?.name ?? ref.description))"
        }
        switch event {
        case .runStarted(let started):
            line(at, paint("drill \(v(started.scenario)) started", "1"))
        case .attemptStarted(let started):
            let retry = started.attempt > 1 ? " (attempt \(started.attempt))" : ""
            let what = started.action?.summary ?? started.instructions.map { "manual: \($0)" } ?? started.resolutionError ?? ""
            line(at, "\(name(started.ref))\(retry): \(v(what))", rto: rto)
        case .attemptFinished(let finished):
            // As the step judged it (`expect: fail` turns a refusal into a pass), not as the driver reported it.
            let attempt = state.attempts.last { $0.ref == finished.ref && $0.attempt == finished.attempt }
            let verdict = attempt?.verdict ?? finished.report.verdict
            let ok = verdict == .passed
            let marked = machine.step(finished.ref)?.mark.flatMap { m in state.mark(m)?.ref == finished.ref ? " · mark \(m)" : nil } ?? ""
            line(at, "\(name(finished.ref)): \(paint(ok ? "ok" : verdict.rawValue, ok ? "32" : "31")) \(v(attempt?.summary ?? finished.report.summary)) (\((finished.endedAt - finished.startedAt).secondsText))\(marked)", rto: rto)
        case .probeSampled(let sampled):
            // A wait_for's completion is shown once; individual samples only every 10th.
            if let attempt = state.attempts.last(where: { $0.ref == sampled.ref && $0.attempt == sampled.attempt }), attempt.verdict == .passed {
                let marked = machine.step(sampled.ref)?.mark.flatMap { m in state.mark(m)?.ref == sampled.ref ? " · mark \(m)" : nil } ?? ""
                line(at, "\(name(sampled.ref)): \(paint("ok", "32")) \(v(attempt.summary ?? ""))\(marked)", rto: rto)
            } else if Self.worthALine(sampled, after: state.samples.dropLast().last { $0.ref == sampled.ref && $0.attempt == sampled.attempt }
                .map { (passed: $0.passed, startedAt: $0.startedAt) }) {
                line(at, "\(name(sampled.ref)): still waiting, \(sampled.sample) probe\(sampled.sample == 1 ? "" : "s"), last: \(v(sampled.report.summary))", rto: rto)
            }
        case .deadlinePassed(let ref, _):
            line(at, "\(name(ref)): \(paint("timed out", "31"))", rto: rto)
        case .operatorConfirmed(let confirmation):
            line(at, "\(name(confirmation.ref)): \(paint("confirmed", "32")) by \(v(confirmation.by))\(confirmation.note.map { " — \(v($0))" } ?? "")", rto: rto)
        case .canaryWritten(let written):
            if written.seq == 1 { line(at, "canary: writing every \(machine.scenario.canary?.every.description ?? "?")") }
        case .canaryRead(let read):
            line(at, "canary: read back, highest surviving write \(read.highestSeq.map(String.init) ?? "unknown") (\(v(read.report.summary)))")
        case .abortRequested(let by, let reason):
            line(at, paint("abort requested by \(v(by)): \(v(reason))", "31"))
        case .runSuspended(let reason):
            line(at, paint("suspended: \(v(reason))", "33"))
        case .runResumed(let runner):
            line(at, "resumed by pid \(runner.pid) on \(v(runner.host))")
        case .runEnded(let status, _):
            line(at, paint("drill ended: \(status.rawValue)", status == .completed ? "32" : "31"))
        case .guardSampled(let sampled):
            // Guards that hold are quiet; a failing one is news (with expect: fail, one whose probe passed).
            guard let spec = machine.scenario.guards[safe: sampled.guardIndex] else { return }
            let judged = DrillMachine.guardJudged(sampled.report, expect: spec.expect, kind: spec.probe.kind)
            guard !judged.held else { return }
            let tripped = state.guardTrip?.guardIndex == sampled.guardIndex
            line(at, paint("guard '\(v(spec.name))' \(tripped ? "TRIPPED" : "failed"): \(v(judged.summary))", "31"), rto: rto)
        case .maxDurationPassed:
            line(at, paint("max_duration \(machine.scenario.maxDuration?.description ?? "") passed", "31"), rto: rto)
        case .runHalted(let halted):
            line(at, paint("halted: \(v(halted.reason))", "31"))
        case .operatorResolved(let resolution):
            line(at, "\(name(resolution.ref)): \(resolution.decision.rawValue) decided by \(v(resolution.by))\(resolution.note.map { " — \(v($0))" } ?? "")", rto: rto)
        case .runInterrupted(let reason):
            line(at, paint("interrupted: \(v(reason))", "31"))
        case .silenceCreated(let result):
            line(at, result.id.map { "Alertmanager silence \(v($0)) created for the drill" } ?? paint("could not create the Alertmanager silence: \(v(result.report.summary))", "33"))
        case .silenceExpired(let result):
            line(at, result.report.passed ? "Alertmanager silence \(v(result.id ?? "")) expired" : paint("could not expire the Alertmanager silence: \(v(result.report.summary))", "33"))
        case .notificationSent(let sent):
            let name = machine.scenario.notify[safe: sent.notifier]?.name ?? "notifier \(sent.notifier)"
            let result = sent.report.passed ? "notified" : paint("could not notify", "33")
            line(at, "\(result) '\(v(name))' of \(sent.trigger.rawValue)\(sent.report.passed ? "" : ": \(v(sent.report.summary))")")
        }
    }
}
