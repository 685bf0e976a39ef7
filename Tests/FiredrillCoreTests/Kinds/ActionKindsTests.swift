import FiredrillCore
import Testing

/// The registry's own integrity, and what a kind gets by default.
@Suite struct ActionKindsTests {
    @Test func keysAndRecordedFormsAreUnique() {
        let keys = ActionKind.all.map(\.key)
        #expect(Set(keys).count == keys.count, "a kind listed twice, or two kinds under one key: \(keys)")
        // Each recorded form is read back by its key: two forms under one key would read old records as the wrong one.
        let forms = ActionKinds.all.flatMap { kind in kind.resolvedForms.map { $0.key } }
        #expect(Set(forms).count == forms.count, "\(forms)")
        for form in forms { #expect(keys.contains(form), "recorded as '\(form)', which no kind is") }
    }

    /// A probe's place (a guard, the canary, wait_for) never performs a kind that is not a probe,
    /// even in a scenario built in code that no validator saw.
    @Test func aProbesPlaceRefusesAKindThatIsNotAProbe() {
        let scope = VariableScope(vars: [:], environment: [:], runID: "r", scenarioName: "s")
        #expect(throws: UnresolvedReference.self) { try scope.resolve(probe: .kill(KillSpec(target: .pid("42"), signal: "KILL"))) }
        #expect(throws: UnresolvedReference.self) {
            try scope.resolve(.waitFor(WaitFor(probe: .kill(KillSpec(target: .pid("42"), signal: "KILL")))))
        }
        #expect((try? scope.resolve(probe: .run(argv: ["true"]))) == .run(argv: ["true"]))
    }

    /// A kind that injects unless its method is safe, and says no method, is taken to inject: a
    /// call of it lost in a crash is in doubt, never silently run again.
    @Test func injectingFailsClosed() {
        #expect(ActionKind.injects("http", method: nil))
        #expect(!ActionKind.injects("http", method: "get"))
        #expect(ActionKind.injects("http", method: "POST"))
        #expect(ActionKind.injects("no-such-kind", method: nil))
        #expect(!ActionKind.injects("tcp", method: nil))
    }

    /// Values of two kinds are never equal, and equal values hash alike.
    @Test func equalityIsByKindAndValue() {
        let a = ResolvedAction.run(argv: ["x"]), b = ResolvedAction.shell(script: "x")
        #expect(a != b)
        #expect(a == .run(argv: ["x"]))
        #expect(Set([a, .run(argv: ["x"]), b]).count == 2)
        #expect(Action.sleep(.seconds(1)) == .sleep(.seconds(1)))
        #expect(Action.sleep(.seconds(1)) != .sleep(.seconds(2)))
    }
}
