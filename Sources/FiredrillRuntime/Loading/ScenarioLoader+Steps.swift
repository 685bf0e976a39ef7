import FiredrillCore
import Foundation
import Yams

extension ScenarioLoader.Reader {
    /// Where a list of steps sits; some keys are only meaningful in phases.
    enum Section: Equatable {
        case setup, steadyState, phase, rollback, teardown

        var label: String {
            switch self {
            case .setup: "setup"
            case .steadyState: "steady_state"
            case .phase: "phase"
            case .rollback: "rollback"
            case .teardown: "teardown"
            }
        }
    }

    mutating func steps(_ node: Node?, section: Section) -> [Step] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of steps, got \(Self.describe(node))", at: node)
            return []
        }
        return sequence.compactMap { step($0, section: section) }
    }

    /// A step is kept even when its action is unusable, so that its name and mark still
    /// take part in the scenario-wide checks.
    mutating func step(_ node: Node, section: Section) -> Step? {
        guard let fields = fields(node, of: "step", allowed: Keys.step, expected: "a step: a mapping with 'name' and one action") else {
            return nil
        }
        let name = required(fields, "name").flatMap { string($0) } ?? ""
        let label = name.isEmpty ? "step" : "step '\(name)'"

        var action = Action.manual(instructions: Template("", at: location(of: node)))
        let kinds = fields.entries.filter { Keys.stepKinds.contains($0.key) }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                error("\(label) has both '\(first.key)' and '\(extra.key)'; a step does exactly one thing", at: extra.keyNode)
            }
            if section == .steadyState { error(Rules.steadyStateKind(first.key), at: first.keyNode) }
            if let read = attachOutput(fields, to: self.action(first)) { action = read }
        } else if fields.suggested.isDisjoint(with: Keys.stepKinds) {
            error("\(label) has no action; give one of \(Keys.stepKinds.joined(separator: ", "))", at: node)
        }

        let timeout = positiveDuration(fields.value("timeout"), key: "timeout")
        var retries = 0
        if let node = fields.value("retries"), let value = int(node) {
            error(Rules.retries(value), at: node)
            retries = value
        }
        let retryDelay = duration(fields.value("retry_delay")) ?? .seconds(1)
        let onFailure = choice(fields.value("on_failure"), ["abort", "continue"]).flatMap(FailurePolicy.init(rawValue:)) ?? .abort
        var mark: String?
        if let node = fields.value("mark"), let value = string(node) {
            error(Rules.mark(value), at: node)
            if section != .phase { error(Rules.markPlacement(mark: value, section: section.label), at: node) }
            mark = value
        }
        var rollback: [Step] = []
        if let entry = fields["rollback"] {
            switch section {
            case .phase: break
            case .rollback: error(Rules.nestedRollback, at: entry.keyNode)
            default: error(Rules.rollbackPlacement(section: section.label), at: entry.keyNode)
            }
            rollback = steps(fields.value("rollback"), section: .rollback)
        }
        let idempotent = fields.value("idempotent").flatMap { bool($0) } ?? false
        let expect = choice(fields.value("expect"), ["pass", "fail"]).flatMap(ProbeExpectation.init(rawValue:)) ?? .pass
        if expect == .fail, let entry = fields["expect"], let problem = Rules.expectFail(kind: action.kind, mark: mark) {
            error(problem, at: entry.keyNode)
        }
        var restores: Template?
        if let node = fields.value("restores"), let value = template(node) {
            if section != .phase { error(Rules.restoresPlacement(section: section.label), at: node) }
            if value.raw.trimmingCharacters(in: .whitespaces).isEmpty { error("restores is empty; give oldest, newest or a restore point's id", at: node) }
            if value.raw.contains("${") { error("restores takes oldest, newest or a restore point's id as written, not a reference", at: node) }
            restores = value
        }
        var verifiedBy: String?
        if let node = fields.value("verified_by"), let value = string(node) {
            if restores == nil { error("verified_by names the step verifying a restore; this step has no 'restores'", at: node) }
            verifiedBy = value
        }
        return Step(name: name, action: action, timeout: timeout, retries: retries, retryDelay: retryDelay,
                    onFailure: onFailure, mark: mark, rollback: rollback, idempotent: idempotent, expect: expect,
                    restores: restores, verifiedBy: verifiedBy, location: location(of: node))
    }
}
