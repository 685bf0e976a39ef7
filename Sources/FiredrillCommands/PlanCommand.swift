import ArgumentParser
import FiredrillCore
import FiredrillRuntime
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what a drill would run, in order, with timeouts; executes nothing.")

    @Argument(help: "Scenario file.") var file: String
    @Option(name: .customLong("var"), help: ArgumentHelp("Override a scenario variable.", valueName: "name=value")) var vars: [String] = []

    func run() throws {
        let loaded = try loadScenario(file)
        print(try Plan.render(loaded.scenario, overrides: parseVars(vars), environment: ProcessInfo.processInfo.environment))
    }
}

/// The plan as text: every step in run order with what it will do.
enum Plan {
    static func render(_ s: Scenario, overrides: [String: String], environment: [String: String]) throws -> String {
        let vars: [String: String]
        do {
            vars = try VariableScope.resolveVars(s.vars, overrides: overrides, environment: environment, runID: "<run-id>", scenarioName: s.name)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        // A plan never reads secrets: they show as *** wherever they would go.
        var scope = VariableScope(vars: vars, environment: environment, runID: "<run-id>", scenarioName: s.name,
                                  secrets: Dictionary(uniqueKeysWithValues: s.secrets.map { ($0.name, Redactor.mask) }))
        for phase in s.phases { for step in phase.steps { if let mark = step.mark { scope.marks[mark] = "<\(mark) time>" } } }
        scope.backupsPlanned = true
        var out = ["Plan for \(s.name)\(s.title.map { ": \($0)" } ?? "")"]
        if let owner = s.owner { out.append("owner: \(owner)") }
        let objectives = [s.objectives.rto.map { "RTO ≤ \($0)" }, s.objectives.rpo.map { "RPO ≤ \($0)" },
                          s.objectives.retention.map { "retention ≥ \($0)" }, s.objectives.forgetAfter.map { "nothing kept past \($0)" }].compactMap { $0 }
        out.append("objectives: \(objectives.isEmpty ? "none" : objectives.joined(separator: ", "))")
        if let max = s.maxDuration { out.append("max duration: \(max) (then abort and roll back)") }
        if !s.secrets.isEmpty { out.append("secrets from the environment: \(s.secrets.map(\.name).joined(separator: ", "))") }
        if !s.guards.isEmpty {
            out.append("")
            out.append("Guards (polled while the phases run; tripping aborts and rolls back)")
            for guard_ in s.guards {
                out.append("  - \(guard_.name): \(describe(.probe(guard_.probe), scope: scope))"
                    + (guard_.expect == .fail ? ", expected to fail" : "") + ", every \(guard_.every)"
                    + (guard_.tripAfter > 1 ? ", trips after \(guard_.tripAfter) failures in a row" : ""))
            }
        }
        if !s.notify.isEmpty {
            out.append("")
            out.append("Notifications")
            for notifier in s.notify {
                let url = (try? scope.resolve(notifier.url)) ?? notifier.url.raw
                out.append("  - \(notifier.name): \(notifier.format.rawValue) POST \(url) on \(notifier.on.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var number = 0
        func section(_ title: String, _ steps: [Step]) {
            guard !steps.isEmpty else { return }
            out.append("")
            out.append(title)
            for step in steps {
                number += 1
                out.append("  \(number). \(step.name)")
                out.append("     \(describe(step.action, scope: scope))")
                var details: [String] = []
                if let timeout = step.timeout { details.append("timeout \(timeout)") }
                if step.retries > 0 { details.append("retries \(step.retries) (every \(step.retryDelay))") }
                if step.onFailure == .continue { details.append("on failure: continue") }
                if let mark = step.mark { details.append("mark: \(mark)") }
                if step.expect == .fail { details.append("expected to fail") }
                if let restores = step.restores { details.append("restores \(restores.raw), verified by \(step.verifiedBy.map { "'\($0)'" } ?? "the recovered mark")") }
                if !step.rollback.isEmpty { details.append("rollback: " + step.rollback.map(\.name).joined(separator: ", ")) }
                if !details.isEmpty { out.append("     " + details.joined(separator: " · ")) }
            }
        }
        section("Setup", s.setup)
        section("Steady state (must hold before the disaster)", s.steadyState)
        if let canary = s.canary {
            out.append("")
            out.append("Canary: every \(canary.every), \(canary.warmup) before the first phase, until the disaster mark")
            out.append("  write: \(describe(.probe(canary.write), scope: scope.with(canarySeq: 1)).replacingOccurrences(of: "seq=1", with: "seq=${canary.seq}"))")
            out.append("  read:  \(describe(.probe(canary.read), scope: scope))")
        }
        for phase in s.phases { section("Phase: \(phase.name)", phase.steps) }
        section("Steady state (must hold again after recovery)", s.steadyState)
        section("Rollback (on failure or abort, in reverse order of what ran)", s.rollback)
        section("Teardown (always)", s.teardown)
        return out.joined(separator: "\n")
    }

    static func describe(_ action: StepAction, scope: VariableScope) -> String {
        let resolved: String
        do {
            let result = try scope.resolve(action)
            resolved = result.action?.summary ?? "manual: \(result.instructions ?? "")"
        } catch {
            resolved = "\(action.kind) (unresolved: \(error.description))"
        }
        if let w = action.as(WaitFor.self) {
            return "wait until \(resolved) \(w.expect == .pass ? "passes" : "fails") \(w.consecutive)x, probing every \(w.every)"
        }
        return resolved
    }
}
