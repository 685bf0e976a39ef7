import Testing
@testable import FiredrillCore

private func at(_ line: Int, _ column: Int = 1, file: String = "v.yaml") -> FiredrillCore.SourceLocation {
    FiredrillCore.SourceLocation(file: file, line: line, column: column)
}

private func t(_ raw: String, _ line: Int, _ column: Int = 1) -> Template { Template(raw, at: at(line, column)) }

/// A valid scenario using every section that has semantic rules; each test breaks one thing.
private func baseline() -> Scenario {
    Scenario(
        name: "base",
        objectives: Objectives(rto: .minutes(5), rpo: .seconds(10), location: at(2)),
        vars: [Variable(name: "url", value: t("http://localhost:8080", 3, 8), location: at(3, 3))],
        steadyState: [Step(name: "healthy", action: .probe(.http(HTTPProbe(url: t("${url}/health", 5, 11)))), location: at(4))],
        canary: Canary(
            every: .milliseconds(200),
            write: .http(HTTPProbe(method: "POST", url: t("${url}/write?seq=${canary.seq}", 7, 20))),
            read: .http(HTTPProbe(url: t("${url}/latest", 8, 20))),
            location: at(6)
        ),
        phases: [
            Phase(name: "disaster", steps: [
                Step(name: "kill", action: .kill(KillSpec(target: .pidfile(t("/run/app.pid", 11, 20)), signal: "KILL")),
                     mark: "disaster", location: at(11)),
            ], location: at(10)),
            Phase(name: "recover", steps: [
                Step(name: "wait", action: .waitFor(WaitFor(probe: .tcp(TCPProbe(address: t("localhost:8080", 14, 20))))),
                     timeout: .minutes(1), mark: "recovered", location: at(14)),
            ], location: at(13)),
        ],
        location: at(1)
    )
}

private func findings(_ scenario: Scenario, runbookExists: (String) -> Bool? = { _ in nil }) -> [String] {
    ScenarioValidator.validate(scenario, runbookExists: runbookExists).map(\.description)
}

private func step(_ name: String, _ line: Int, _ action: StepAction = .sleep(.seconds(1)), mark: String? = nil) -> Step {
    Step(name: name, action: action, mark: mark, location: at(line))
}

@Suite struct ScenarioValidatorTests {
    @Test func baselineIsValid() {
        #expect(findings(baseline()) == [])
    }

    @Test func formatVersionAndName() {
        var scenario = baseline()
        scenario.formatVersion = 3
        scenario.name = "Bad_Name"
        #expect(findings(scenario) == [
            "v.yaml:1:1: error: name 'Bad_Name' must use only lowercase letters, digits and '-' (like kill-thanos-vms)",
            "v.yaml:1:1: error: unsupported format version 3; this firedrill reads 'firedrill: 1'",
        ])
        scenario = baseline()
        scenario.name = ""
        #expect(findings(scenario) == ["v.yaml:1:1: error: missing required key 'name' in scenario"])
    }

    @Test func phasesMustExistBeNamedUniquelyAndHoldSteps() {
        var scenario = baseline()
        scenario.phases.append(Phase(name: "disaster", steps: [], location: at(20)))
        scenario.phases.append(Phase(name: "", steps: [step("later", 22)], location: at(21)))
        #expect(findings(scenario) == [
            "v.yaml:20:1: error: duplicate phase name 'disaster' (first at line 10)",
            "v.yaml:20:1: error: phase 'disaster' has no steps",
            "v.yaml:21:1: error: missing required key 'name' in phase",
        ])
        scenario = baseline()
        scenario.phases = []
        scenario.objectives = Objectives(location: at(2))
        scenario.canary = nil
        #expect(findings(scenario) == ["v.yaml:1:1: error: no phases: a scenario needs at least one phase with steps"])
    }

    @Test func stepNamesAreUniqueAcrossTheWholeScenario() {
        var scenario = baseline()
        scenario.setup = [step("wait", 9)]
        scenario.phases[0].steps[0].rollback = [step("healthy", 12)]
        scenario.rollback = [step("undo", 16)]
        scenario.teardown = [step("undo", 18), step("", 19)]
        #expect(findings(scenario) == [
            "v.yaml:12:1: error: duplicate step name 'healthy' (first at line 4); step names must be unique",
            "v.yaml:14:1: error: duplicate step name 'wait' (first at line 9); step names must be unique",
            "v.yaml:18:1: error: duplicate step name 'undo' (first at line 16); step names must be unique",
            "v.yaml:19:1: error: missing required key 'name' in step",
        ])
    }

    @Test func marksAreUniqueAndInOrder() {
        var scenario = baseline()
        scenario.phases[1].steps.append(step("again", 15, mark: "disaster"))
        #expect(findings(scenario) == ["v.yaml:15:1: error: duplicate mark 'disaster' (first on step 'kill' at line 11)"])

        scenario = baseline()
        scenario.phases[0].steps[0].mark = "recovered"
        scenario.phases[1].steps[0].mark = "disaster"
        #expect(findings(scenario) == [
            "v.yaml:11:1: error: mark 'recovered' (step 'kill') comes before mark 'disaster' (step 'wait' at line 14); recovery is measured from the disaster",
        ])

        scenario = baseline()
        scenario.phases[1].steps[0].mark = "recoverd"
        scenario.phases[1].steps.append(step("custom", 15, mark: "backup-taken"))
        #expect(findings(scenario) == [
            "v.yaml:2:1: error: objectives.rto needs a step with mark: disaster and one with mark: recovered",
            "v.yaml:14:1: warning: mark 'recoverd' is not one firedrill measures; did you mean 'recovered'?",
        ])

        scenario = baseline()
        scenario.phases[0].steps[0].mark = "Disaster!"
        #expect(findings(scenario).contains("v.yaml:11:1: error: mark 'Disaster!' must use only lowercase letters, digits, '-' and '_'"))
    }

    @Test func objectivesNeedTheirMarksAndTheCanary() {
        var scenario = baseline()
        scenario.phases[1].steps[0].mark = nil
        #expect(findings(scenario) == ["v.yaml:2:1: error: objectives.rto needs a step with mark: disaster and one with mark: recovered"])

        scenario = baseline()
        scenario.phases[0].steps[0].mark = nil
        #expect(findings(scenario) == [
            "v.yaml:2:1: error: objectives.rto needs a step with mark: disaster and one with mark: recovered",
            "v.yaml:6:1: error: canary needs a step with mark: disaster; its writes stop at the disaster",
        ])

        scenario = baseline()
        scenario.canary = nil
        #expect(findings(scenario) == ["v.yaml:2:1: error: objectives.rpo needs a canary to measure data loss"])
    }

    @Test func referencesMustNameSomething() {
        var scenario = baseline()
        let script = t("echo ${urll} ${env.HOME} ${run.id} ${scenario.name} ${canary.seq} ${} ${env.} ${ url }", 16, 16)
        scenario.phases[1].steps.append(step("echo", 15, .probe(.shell(script))))
        #expect(findings(scenario) == [
            "v.yaml:16:16: error: '${canary.seq}' is only available in canary.write",
            "v.yaml:16:16: error: '${env.}' names no environment variable",
            "v.yaml:16:16: error: empty reference '${}'",
            "v.yaml:16:16: error: unknown variable '${urll}'; did you mean '${url}'?",
        ])
    }

    @Test func marksAreKnownToLaterPhaseStepsAndTheCanaryRead() {
        var scenario = baseline()
        // After the marking step, and in the canary's read: fine.
        scenario.phases[1].steps.append(step("gap", 15, .probe(.shell(t("echo ${mark.disaster} ${mark.recovered}", 15, 16)))))
        scenario.canary?.read = .http(HTTPProbe(url: t("${url}/latest?at=${mark.disaster}", 8, 20)))
        #expect(findings(scenario) == [])
        // Before it, in setup or the canary's write, or naming no mark: not.
        scenario.phases[0].steps[0].action = .kill(KillSpec(target: .pidfile(t("/run/${mark.disaster}.pid", 11, 20)), signal: "KILL"))
        scenario.setup = [step("early", 16, .probe(.shell(t("echo ${mark.recoverd}", 16, 16))))]
        scenario.canary?.write = .http(HTTPProbe(method: "POST", url: t("${url}/write?seq=${canary.seq}&t=${mark.disaster}", 7, 20)))
        #expect(findings(scenario) == [
            "v.yaml:7:20: error: '${mark.disaster}' is not known here: a mark can be used in the phase steps after the step marked 'disaster', and in canary.read",
            "v.yaml:11:20: error: '${mark.disaster}' is not known here: a mark can be used in the phase steps after the step marked 'disaster', and in canary.read",
            "v.yaml:16:16: error: '${mark.recoverd}' names no mark of this scenario; did you mean '${mark.recovered}'?",
        ])
    }

    @Test func unterminatedReference() {
        var scenario = baseline()
        scenario.phases[1].steps.append(step("note", 15, .manual(instructions: t("see ${url and more", 15, 17))))
        #expect(findings(scenario) == ["v.yaml:15:17: error: unterminated '${' in '${url and more'"])
    }

    @Test func variablesUseOnlyVariablesAboveThem() {
        var scenario = baseline()
        scenario.vars += [
            Variable(name: "a", value: t("${b}/x", 20, 6), location: at(20, 3)),
            Variable(name: "b", value: t("x", 21, 6), location: at(21, 3)),
            Variable(name: "c", value: t("${c}", 22, 6), location: at(22, 3)),
            Variable(name: "d", value: t("${a}${nope}", 23, 6), location: at(23, 3)),
            Variable(name: "spare", value: t("", 24, 10), location: at(24, 3)),
            Variable(name: "url", value: t("again", 25, 10), location: at(25, 3)),
            Variable(name: "bad.name", value: t("x", 26, 10), location: at(26, 3)),
        ]
        scenario.phases[1].steps.append(step("use", 15, .manual(instructions: t("${c} ${d} ${bad.name}", 15, 17))))
        #expect(findings(scenario) == [
            "v.yaml:20:6: error: variable 'a' uses '${b}', which is defined below it; define 'b' first",
            "v.yaml:22:6: error: variable 'c' cannot refer to itself",
            "v.yaml:23:6: error: unknown variable '${nope}'",
            "v.yaml:24:3: warning: variable 'spare' is never used",
            "v.yaml:25:3: error: duplicate variable 'url' (first at line 3)",
            "v.yaml:26:3: error: variable name 'bad.name' must use only letters, digits, '_' and '-'",
        ])
    }

    @Test func numericLimits() {
        var scenario = baseline()
        scenario.phases[1].steps = [
            Step(name: "wait", action: .waitFor(WaitFor(probe: .tcp(TCPProbe(address: t("db:5432", 14, 20))), every: .zero, consecutive: 0)),
                 timeout: .zero, retries: -1, mark: "recovered", location: at(14)),
        ]
        scenario.canary?.every = .zero
        #expect(findings(scenario) == [
            "v.yaml:6:1: error: every must be greater than 0",
            "v.yaml:14:1: error: consecutive must be 1 or more, got 0",
            "v.yaml:14:1: error: every must be greater than 0",
            "v.yaml:14:1: error: retries must be 0 or more, got -1",
            "v.yaml:14:1: error: timeout must be greater than 0",
        ])
    }

    @Test func runbookIsLookedUpNextToTheScenarioFile() {
        var scenario = baseline()
        scenario.location = at(1, file: "/srv/drills/scenarios/v.yaml")
        scenario.runbook = "../runbooks/restore.md"
        var asked: [String] = []
        let missing = ScenarioValidator.validate(scenario) { asked.append($0); return false }.map(\.description)
        #expect(asked == ["/srv/drills/runbooks/restore.md"])
        #expect(missing == [
            "/srv/drills/scenarios/v.yaml:1:1: error: runbook '../runbooks/restore.md' not found (looked at /srv/drills/runbooks/restore.md)",
        ])
        #expect(findings(scenario) { _ in true } == [])
        #expect(findings(scenario) { _ in nil } == [])
    }

    @Test func sectionRules() {
        var scenario = baseline()
        scenario.steadyState.append(Step(name: "settle", action: .sleep(.seconds(1)), mark: "steady", location: at(5, 3)))
        scenario.setup = [Step(name: "prep", action: .sleep(.seconds(1)), rollback: [step("unprep", 9, .sleep(.zero))], location: at(8))]
        scenario.rollback = [Step(name: "undo", action: .sleep(.zero), rollback: [step("undo-undo", 17)], location: at(16))]
        #expect(findings(scenario) == [
            "v.yaml:5:3: error: mark 'steady' is on a steady_state step; marks belong on phase steps",
            "v.yaml:5:3: error: steady_state steps must be probes (run, shell, http, tcp, ssh, kubectl, prometheus, alert), not 'sleep'",
            "v.yaml:8:1: error: 'rollback' on a setup step never runs; only phase steps owe compensations",
            "v.yaml:16:1: error: a rollback step cannot have its own 'rollback'",
        ])
    }

    @Test func actionValues() {
        var scenario = baseline()
        scenario.phases[1].steps += [
            step("signal", 15, .kill(KillSpec(target: .pid(t("-1", 15, 20)), signal: "SIGKILL"))),
            step("by env", 16, .kill(KillSpec(target: .pid(t("${env.APP_PID}", 16, 20))))),
            step("http", 17, .probe(.http(HTTPProbe(method: "", url: t("ftp://x", 17, 20), status: [700], timeout: .zero)))),
            step("tcp", 18, .probe(.tcp(TCPProbe(address: t("nohost", 18, 20))))),
            step("run", 19, .probe(.run(argv: []))),
        ]
        #expect(findings(scenario) == [
            "v.yaml:15:1: error: unknown signal 'SIGKILL'; expected one of KILL, TERM, INT, HUP, QUIT, USR1, USR2, STOP, CONT",
            "v.yaml:15:20: error: pid must be a positive process id, got '-1'",
            "v.yaml:17:1: error: HTTP status must be between 100 and 599, got 700",
            "v.yaml:17:1: error: expected an HTTP method like GET or POST, got ''",
            "v.yaml:17:1: error: timeout must be greater than 0",
            "v.yaml:17:20: error: url 'ftp://x' must start with http:// or https://",
            "v.yaml:18:20: error: expected an address like host:port, got 'nohost'",
            "v.yaml:19:1: error: run needs at least the program to run, like [\"systemctl\", \"start\", \"app\"]",
        ])
    }

    @Test func valueRules() {
        typealias Rules = ScenarioValidator.Rules
        #expect(Rules.normalizedSignal("sigkill") == "KILL")
        #expect(Rules.normalizedSignal("Term") == "TERM")
        #expect(Rules.normalizedSignal("SIGUSR1") == "USR1")
        #expect(Rules.tcpAddress("[::1]:80") == nil)
        #expect(Rules.tcpAddress("db.internal:5432") == nil)
        #expect(Rules.tcpAddress("${host}:5432") == nil)
        #expect(Rules.tcpAddress("db:0") != nil)
        #expect(Rules.tcpAddress("::1:80") != nil)
        #expect(Rules.url("${url}/health") == nil)
        #expect(Rules.url("HTTPS://example.com") == nil)
        #expect(Rules.url("http${tls}://example.com") == nil)
        #expect(Rules.url("example.com") != nil)
        #expect(Rules.pid("${env.PID}") == nil)
        #expect(Rules.pid("4242") == nil)
        #expect(Rules.pid("0") != nil)
        #expect(Rules.mark("data-loss_2") == nil)
        #expect(Rules.scenarioName("kill-thanos-vms") == nil)
    }

    @Test func suggestionsAndEditDistance() {
        #expect(ScenarioValidator.editDistance("tiemout", "timeout") == 1)
        #expect(ScenarioValidator.editDistance("kitten", "sitting") == 3)
        #expect(ScenarioValidator.editDistance("", "abc") == 3)
        #expect(ScenarioValidator.editDistance("abc", "abc") == 0)
        #expect(ScenarioValidator.editDistance("abdcef", "abcdef") == 1)
        #expect(ScenarioValidator.editDistance("ca", "abc") == 3)  // optimal string alignment, not Damerau's 2
        #expect(ScenarioValidator.editDistance("phases", "pahses") == 1)
        #expect(ScenarioValidator.editDistance("rollback", "rolback") == 1)
        #expect(ScenarioValidator.suggestion(for: "ulr", among: ["url", "token"]) == "url")
        #expect(ScenarioValidator.suggestion(for: "tok", among: ["url", "token"]) == "token")
        #expect(ScenarioValidator.suggestion(for: "zzz", among: ["url", "token"]) == nil)
    }
}
