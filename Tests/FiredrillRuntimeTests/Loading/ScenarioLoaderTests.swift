import FiredrillCore
import Foundation
import Testing
@testable import FiredrillRuntime

// MARK: - Fixtures

/// The format's reference example, as team leads write it.
private let example = """
firedrill: 1
name: kill-thanos-vms
title: Kill the VMs hosting Thanos
description: Loses the primary and restores it from backup.
owner: platform-team
runbook: ../runbooks/restore-thanos.md
tags: [observability]
objectives: {rto: 4h, rpo: 24h}
vars: {url: "http://127.0.0.1:8080"}
steady_state:
  - name: service healthy
    http: {url: "${url}/health", status: 200}
canary:
  every: 200ms
  warmup: 1s
  write: {http: {method: POST, url: "${url}/write?seq=${canary.seq}", status: 200}}
  read:  {http: {url: "${url}/latest", status: 200}}
phases:
  - name: disaster
    steps:
      - name: kill the primary
        kill: {pidfile: /run/app.pid, signal: KILL}
        mark: disaster
  - name: detect
    steps:
      - name: health check fails
        wait_for: {http: {url: "${url}/health", status: 200}, expect: fail, every: 100ms}
        timeout: 2m
        mark: detected
  - name: restore
    steps:
      - name: operator restores from backup
        manual: "Follow the runbook, section Restore"
      - name: restart the service
        run: ["systemctl", "start", "app"]
        timeout: 5m
        retries: 2
        on_failure: abort
  - name: verify
    steps:
      - name: service answers again
        wait_for: {http: {url: "${url}/health", status: 200}, every: 100ms, consecutive: 3}
        timeout: 30m
        mark: recovered
rollback:
  - name: restart everything
    shell: "systemctl start app"

"""

/// Lines 1–5 of most cases: a valid head whose one step starts on line 6, keys at column 9.
private let stepHead = """
firedrill: 1
name: t
phases:
  - name: p
    steps:

"""

private func parse(_ text: String, fileExists: (String) -> Bool = { _ in false }) -> (scenario: Scenario?, findings: [Finding]) {
    ScenarioLoader.parse(text: text, file: "t.yaml", baseDirectory: "/base/scenarios", fileExists: fileExists)
}

private func messages(_ text: String) -> [String] { parse(text).findings.map(\.description) }

struct Malformed: Sendable, CustomTestStringConvertible {
    var label: String
    var yaml: String
    var expected: [String]
    var testDescription: String { label }
}

private let malformed: [Malformed] = [
    Malformed(label: "misspelt step key", yaml: stepHead + """
          - name: s
            shell: "true"
            tiemout: 5s

    """, expected: ["t.yaml:8:9: error: unknown key 'tiemout' in step; did you mean 'timeout'?"]),

    Malformed(label: "unknown key without a close match", yaml: stepHead + """
          - name: s
            shell: "true"
            colour: red

    """, expected: [
        "t.yaml:8:9: error: unknown key 'colour' in step; valid keys are name, timeout, retries, retry_delay, on_failure, mark, rollback, idempotent, output, expect, restores, verified_by, run, shell, http, tcp, ssh, kubectl, prometheus, alert, kill, sleep, manual, wait_for, backups",
    ]),

    Malformed(label: "misspelt top-level keys", yaml: """
    firedrill: 1
    name: t
    steady-state: []
    phase:
      - name: p

    """, expected: [
        "t.yaml:1:1: error: no phases: a scenario needs at least one phase with steps",
        "t.yaml:3:1: error: unknown key 'steady-state' in scenario; did you mean 'steady_state'?",
        "t.yaml:4:1: error: unknown key 'phase' in scenario; did you mean 'phases'?",
    ]),

    Malformed(label: "bad duration", yaml: stepHead + """
          - name: s
            shell: "true"
            timeout: abc

    """, expected: ["t.yaml:8:18: error: expected a duration like 30s, 5m, 4h, got 'abc'"]),

    Malformed(label: "duration without a unit", yaml: stepHead + """
          - name: s
            shell: "true"
            timeout: 30

    """, expected: ["t.yaml:8:18: error: expected a duration like 30s, 5m, 4h, got '30' (add a unit: 30s)"]),

    Malformed(label: "two kinds in one step", yaml: stepHead + """
          - name: s
            run: [a]
            shell: b

    """, expected: ["t.yaml:8:9: error: step 's' has both 'run' and 'shell'; a step does exactly one thing"]),

    Malformed(label: "no kind", yaml: stepHead + """
          - name: s
            timeout: 5s

    """, expected: ["t.yaml:6:9: error: step 's' has no action; give one of run, shell, http, tcp, ssh, kubectl, prometheus, alert, kill, sleep, manual, wait_for, backups"]),

    Malformed(label: "misspelt kind is reported once", yaml: stepHead + """
          - name: s
            shel: "true"

    """, expected: ["t.yaml:7:9: error: unknown key 'shel' in step; did you mean 'shell'?"]),

    Malformed(label: "misspelt required key is reported once", yaml: stepHead + """
          - name: s
            http: {uri: "http://x/"}

    """, expected: ["t.yaml:7:16: error: unknown key 'uri' in http; did you mean 'url'?"]),

    Malformed(label: "step without a name", yaml: stepHead + """
          - shell: b

    """, expected: ["t.yaml:6:9: error: missing required key 'name' in step"]),

    Malformed(label: "scenario without firedrill and name", yaml: """
    phases:
      - name: p
        steps:
          - name: s
            shell: b

    """, expected: [
        "t.yaml:1:1: error: missing required key 'firedrill' in scenario",
        "t.yaml:1:1: error: missing required key 'name' in scenario",
    ]),

    Malformed(label: "unsupported format version", yaml: """
    firedrill: 2
    name: t
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:1:12: error: unsupported format version 2; this firedrill reads 'firedrill: 1'"]),

    Malformed(label: "name not an id", yaml: """
    firedrill: 1
    name: Kill VMs
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:2:7: error: name 'Kill VMs' must use only lowercase letters, digits and '-' (like kill-thanos-vms)"]),

    Malformed(label: "bad on_failure", yaml: stepHead + """
          - name: s
            shell: "true"
            on_failure: stop

    """, expected: ["t.yaml:8:21: error: expected abort or continue, got 'stop'"]),

    Malformed(label: "negative retries", yaml: stepHead + """
          - name: s
            shell: "true"
            retries: -1

    """, expected: ["t.yaml:8:18: error: retries must be 0 or more, got -1"]),

    Malformed(label: "kill with two targets and an unknown signal", yaml: stepHead + """
          - name: s
            kill: {pid: 12, pidfile: /run/x.pid, signal: sigfoo}

    """, expected: [
        "t.yaml:7:25: error: kill has both 'pid' and 'pidfile'; give exactly one",
        "t.yaml:7:54: error: unknown signal 'sigfoo'; expected one of KILL, TERM, INT, HUP, QUIT, USR1, USR2, STOP, CONT",
    ]),

    Malformed(label: "kill without a target", yaml: stepHead + """
          - name: s
            kill: {signal: KILL}

    """, expected: ["t.yaml:7:15: error: kill needs 'pid' or 'pidfile'"]),

    Malformed(label: "kill pid 0", yaml: stepHead + """
          - name: s
            kill: {pid: 0}

    """, expected: ["t.yaml:7:21: error: pid must be a positive process id, got '0'"]),

    Malformed(label: "wait_for bad values", yaml: stepHead + """
          - name: s
            wait_for: {tcp: "h:1", consecutive: 0, every: 0s, expect: maybe}

    """, expected: [
        "t.yaml:7:45: error: consecutive must be 1 or more, got 0",
        "t.yaml:7:55: error: every must be greater than 0",
        "t.yaml:7:67: error: expected pass or fail, got 'maybe'",
    ]),

    Malformed(label: "wait_for with two probes", yaml: stepHead + """
          - name: s
            wait_for:
              tcp: "h:1"
              run: [check]

    """, expected: ["t.yaml:9:11: error: wait_for has both 'tcp' and 'run'; it polls exactly one probe"]),

    Malformed(label: "http values", yaml: stepHead + """
          - name: s
            http:
              url: localhost:8080/health
              status: [200, 42]
              method: "GE T"

    """, expected: [
        "t.yaml:8:16: error: url 'localhost:8080/health' must start with http:// or https://",
        "t.yaml:9:25: error: HTTP status must be between 100 and 599, got 42",
        "t.yaml:10:19: error: expected an HTTP method like GET or POST, got 'GE T'",
    ]),

    Malformed(label: "tcp address without a port", yaml: stepHead + """
          - name: s
            tcp: localhost

    """, expected: ["t.yaml:7:14: error: expected an address like host:port, got 'localhost'"]),

    Malformed(label: "wrong types", yaml: """
    firedrill: 1
    name: t
    tags: observability
    phases:
      - name: p
        steps:
          - name: s
            run: systemctl start app
          - name: u
            retries: many
            sleep: [1s]

    """, expected: [
        "t.yaml:3:7: error: expected a list of strings, got 'observability'",
        "t.yaml:8:14: error: expected a list of strings, got 'systemctl start app' (use shell: for a command line)",
        "t.yaml:10:18: error: expected an integer, got 'many'",
        "t.yaml:11:16: error: expected a duration like 30s, 5m, 4h, got a list",
    ]),

    Malformed(label: "steady_state holds only probes", yaml: """
    firedrill: 1
    name: t
    steady_state:
      - name: w
        wait_for: {tcp: "localhost:80"}
    phases:
      - name: p
        steps:
          - name: s
            shell: "true"

    """, expected: ["t.yaml:5:5: error: steady_state steps must be probes (run, shell, http, tcp, ssh, kubectl, prometheus, alert), not 'wait_for'"]),

    Malformed(label: "runbook not found", yaml: """
    firedrill: 1
    name: t
    runbook: ../rb.md
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:3:10: error: runbook '../rb.md' not found (looked at /base/rb.md)"]),

    Malformed(label: "unknown variable", yaml: """
    firedrill: 1
    name: t
    vars: {url: "http://x"}
    phases:
      - name: p
        steps:
          - name: s
            http: {url: "${ulr}/health"}

    """, expected: [
        "t.yaml:3:8: warning: variable 'url' is never used",
        "t.yaml:8:21: error: unknown variable '${ulr}'; did you mean '${url}'?",
    ]),

    Malformed(label: "canary.seq outside canary.write", yaml: stepHead + """
          - name: s
            shell: "echo ${canary.seq}"

    """, expected: ["t.yaml:7:16: error: '${canary.seq}' is only available in canary.write"]),

    Malformed(label: "unterminated reference", yaml: stepHead + """
          - name: s
            shell: "echo ${scenario.name"

    """, expected: ["t.yaml:7:16: error: unterminated '${' in '${scenario.name'"]),

    Malformed(label: "rto without marks", yaml: """
    firedrill: 1
    name: t
    objectives: {rto: 1h}
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:3:13: error: objectives.rto needs a step with mark: disaster and one with mark: recovered"]),

    Malformed(label: "rpo without canary", yaml: """
    firedrill: 1
    name: t
    objectives: {rpo: 5m}
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:3:13: error: objectives.rpo needs a canary to measure data loss"]),

    Malformed(label: "recovered before disaster", yaml: stepHead + """
          - name: up
            shell: "true"
            mark: recovered
          - name: down
            shell: "true"
            mark: disaster

    """, expected: [
        "t.yaml:6:9: error: mark 'recovered' (step 'up') comes before mark 'disaster' (step 'down' at line 9); recovery is measured from the disaster",
    ]),

    Malformed(label: "duplicate marks", yaml: stepHead + """
          - name: a
            sleep: 1s
            mark: disaster
          - name: b
            sleep: 1s
            mark: disaster

    """, expected: ["t.yaml:9:9: error: duplicate mark 'disaster' (first on step 'a' at line 6)"]),

    Malformed(label: "duplicate step names across sections", yaml: """
    firedrill: 1
    name: t
    setup:
      - name: prepare
        shell: "true"
    phases:
      - name: p
        steps:
          - name: prepare
            shell: "true"

    """, expected: ["t.yaml:9:9: error: duplicate step name 'prepare' (first at line 4); step names must be unique"]),

    Malformed(label: "duplicate phase names and an empty phase", yaml: """
    firedrill: 1
    name: t
    phases:
      - name: p
        steps: [{name: s, sleep: 1s}]
      - name: p

    """, expected: [
        "t.yaml:6:5: error: duplicate phase name 'p' (first at line 4)",
        "t.yaml:6:5: error: phase 'p' has no steps",
    ]),

    Malformed(label: "no phases", yaml: """
    firedrill: 1
    name: t

    """, expected: ["t.yaml:1:1: error: no phases: a scenario needs at least one phase with steps"]),

    Malformed(label: "canary without disaster", yaml: """
    firedrill: 1
    name: t
    canary:
      every: 1s
      write: {run: [w]}
      read: {run: [r]}
    phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

    """, expected: ["t.yaml:4:3: error: canary needs a step with mark: disaster; its writes stop at the disaster"]),

    Malformed(label: "canary probes", yaml: """
    firedrill: 1
    name: t
    canary:
      every: 1s
      write: {run: [w], shell: w}
    phases: [{name: p, steps: [{name: s, sleep: 1s, mark: disaster}]}]

    """, expected: [
        "t.yaml:4:3: error: missing required key 'read' in canary",
        "t.yaml:5:21: error: canary.write has both 'run' and 'shell'; it holds exactly one probe",
    ]),

    Malformed(label: "marks and rollbacks outside phases", yaml: """
    firedrill: 1
    name: t
    setup:
      - name: prep
        shell: "true"
        mark: ready
        rollback:
          - name: unprep
            shell: "true"
    phases:
      - name: p
        steps:
          - name: s
            shell: "true"
    rollback:
      - name: undo
        shell: "true"
        rollback:
          - name: undo-undo
            shell: "true"

    """, expected: [
        "t.yaml:6:11: error: mark 'ready' is on a setup step; marks belong on phase steps",
        "t.yaml:7:5: error: 'rollback' on a setup step never runs; only phase steps owe compensations",
        "t.yaml:18:5: error: a rollback step cannot have its own 'rollback'",
    ]),

    Malformed(label: "duplicate YAML key", yaml: """
    firedrill: 1
    name: t
    name: u

    """, expected: ["t.yaml:3:1: error: duplicate key 'name' (first at line 2)"]),

    Malformed(label: "YAML syntax error", yaml: """
    firedrill: 1
    name: a: b

    """, expected: ["t.yaml:2:8: error: invalid YAML: mapping values are not allowed in this context"]),

    Malformed(label: "unclosed flow sequence", yaml: """
    firedrill: 1
    tags: [a, b
    name: t

    """, expected: ["t.yaml:3:5: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 7)"]),

    Malformed(label: "tab indentation", yaml: "firedrill: 1\nphases:\n\t- name: p\n",
              expected: ["t.yaml:3:1: error: invalid YAML: found character that cannot start any token (while scanning for the next token at line 3, column 1)"]),

    Malformed(label: "two documents", yaml: "firedrill: 1\n---\nname: t\n",
              expected: ["t.yaml:2:1: error: a scenario file holds one YAML document; found a second one here"]),

    Malformed(label: "empty file", yaml: "# nothing yet\n", expected: ["t.yaml:1:1: error: the scenario file is empty"]),

    Malformed(label: "top level is a list", yaml: "- firedrill: 1\n",
              expected: ["t.yaml:1:1: error: expected a mapping of scenario keys, got a list"]),
]

/// A fresh directory holding `scenarios/` and `runbooks/`, removed afterwards.
private func withDrillDirectory(_ body: (URL) throws -> Void) throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-loader-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root.appendingPathComponent("scenarios"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("runbooks"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    try body(root)
}

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let repositoryScenarios: [String] = {
    let directory = repositoryRoot.appendingPathComponent("scenarios")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory.appendingPathComponent($0).path }
}()

@Suite struct ScenarioLoaderTests {
    // MARK: - The reference example

    @Test func exampleScenarioRoundTripsIntoTheModel() {
        let (scenario, findings) = ScenarioLoader.parse(
            text: example, file: "kill.yaml", baseDirectory: "/srv/drills/scenarios",
            fileExists: { $0 == "/srv/drills/runbooks/restore-thanos.md" }
        )
        #expect(findings.isEmpty)
        func at(_ line: Int, _ column: Int) -> FiredrillCore.SourceLocation { FiredrillCore.SourceLocation(file: "kill.yaml", line: line, column: column) }
        func t(_ raw: String, _ line: Int, _ column: Int) -> Template { Template(raw, at: at(line, column)) }

        let expected = Scenario(
            formatVersion: 1,
            name: "kill-thanos-vms",
            title: "Kill the VMs hosting Thanos",
            description: "Loses the primary and restores it from backup.",
            owner: "platform-team",
            runbook: "../runbooks/restore-thanos.md",
            tags: ["observability"],
            objectives: Objectives(rto: .hours(4), rpo: .hours(24), location: at(8, 13)),
            vars: [Variable(name: "url", value: t("http://127.0.0.1:8080", 9, 13), location: at(9, 8))],
            steadyState: [
                Step(name: "service healthy", action: .probe(.http(HTTPProbe(url: t("${url}/health", 12, 17), status: [200]))),
                     location: at(11, 5)),
            ],
            canary: Canary(
                every: .milliseconds(200), warmup: .seconds(1),
                write: .http(HTTPProbe(method: "POST", url: t("${url}/write?seq=${canary.seq}", 16, 37), status: [200])),
                read: .http(HTTPProbe(url: t("${url}/latest", 17, 23), status: [200])),
                location: at(14, 3)
            ),
            phases: [
                Phase(name: "disaster", steps: [
                    Step(name: "kill the primary", action: .kill(KillSpec(target: .pidfile(t("/run/app.pid", 22, 25)), signal: "KILL")),
                         mark: "disaster", location: at(21, 9)),
                ], location: at(19, 5)),
                Phase(name: "detect", steps: [
                    Step(name: "health check fails",
                         action: .waitFor(WaitFor(probe: .http(HTTPProbe(url: t("${url}/health", 27, 32), status: [200])),
                                                  expect: .fail, every: .milliseconds(100))),
                         timeout: .minutes(2), mark: "detected", location: at(26, 9)),
                ], location: at(24, 5)),
                Phase(name: "restore", steps: [
                    Step(name: "operator restores from backup",
                         action: .manual(instructions: t("Follow the runbook, section Restore", 33, 17)), location: at(32, 9)),
                    Step(name: "restart the service",
                         action: .probe(.run(argv: [t("systemctl", 35, 15), t("start", 35, 28), t("app", 35, 37)])),
                         timeout: .minutes(5), retries: 2, onFailure: .abort, location: at(34, 9)),
                ], location: at(30, 5)),
                Phase(name: "verify", steps: [
                    Step(name: "service answers again",
                         action: .waitFor(WaitFor(probe: .http(HTTPProbe(url: t("${url}/health", 42, 32), status: [200])),
                                                  every: .milliseconds(100), consecutive: 3)),
                         timeout: .minutes(30), mark: "recovered", location: at(41, 9)),
                ], location: at(39, 5)),
            ],
            rollback: [
                Step(name: "restart everything", action: .probe(.shell(t("systemctl start app", 47, 12))), location: at(46, 5)),
            ],
            location: at(1, 1)
        )
        #expect(scenario == expected)
    }

    @Test func defaultsApplyWhereKeysAreLeftOut() throws {
        let text = stepHead + """
              - name: s
                kill: {pid: "${env.APP_PID}", signal: sigterm, process_group: false}
              - name: t
                wait_for: {tcp: "db:5432"}
              - name: u
                http: {url: "http://x/", status: [200, 204], headers: {X-Token: abc}}
                retry_delay: 250ms
                on_failure: continue

        """
        let (scenario, findings) = parse(text)
        #expect(findings.isEmpty)
        let steps = try #require(scenario?.phases.first?.steps)
        guard let kill = steps[0].action.as(KillSpec.self), case .pid(let pid) = kill.target else {
            Issue.record("expected a kill by pid, got \(steps[0].action)"); return
        }
        #expect(pid.raw == "${env.APP_PID}")
        #expect(kill.signal == "TERM")
        #expect(kill.processGroup == false)
        guard let waitFor = steps[1].action.as(WaitFor.self), let tcp = waitFor.probe.as(TCPProbe.self) else {
            Issue.record("expected a wait_for on tcp, got \(steps[1].action)"); return
        }
        #expect(tcp.address.raw == "db:5432")
        #expect(waitFor.expect == .pass && waitFor.every == .seconds(1) && waitFor.consecutive == 1)
        #expect(steps[1].retries == 0 && steps[1].retryDelay == .seconds(1) && steps[1].onFailure == .abort && steps[1].timeout == nil)
        guard let http = steps[2].action.as(HTTPProbe.self) else { Issue.record("expected http, got \(steps[2].action)"); return }
        #expect(http.method == "GET")
        #expect(http.status == [200, 204])
        #expect(http.headers == [HTTPProbe.Header(name: "X-Token", value: Template("abc", at: .init(file: "t.yaml", line: 11, column: 73)))])
        #expect(steps[2].retryDelay == .milliseconds(250))
        #expect(steps[2].onFailure == .continue)
    }

    // MARK: - Malformed scenarios

    @Test(arguments: malformed)
    func malformedScenarioReportsPositionedFindings(_ testCase: Malformed) {
        let (scenario, findings) = parse(testCase.yaml)
        #expect(findings.map(\.description) == testCase.expected)
        #expect(scenario == nil)
    }

    @Test func everyErrorInAFileIsReportedAtOnce() {
        let text = """
        firedrill: 1
        name: multi
        objectives: {rto: 1h}
        vars: {url: "http://localhost:8080"}
        setup:
          - name: start
            run: [app, --serve]
            timout: 5s
        phases:
          - steps:
              - name: start
                shell: "curl ${url}/x"
                http: {url: "${url}"}
              - name: wait
                sleep: soon
                on_failure: carry-on
              - name: poll
                wait_for: {http: {url: "${uri}/health"}, every: 1s}

        """
        #expect(messages(text) == [
            "t.yaml:3:13: error: objectives.rto needs a step with mark: disaster and one with mark: recovered",
            "t.yaml:8:5: error: unknown key 'timout' in step; did you mean 'timeout'?",
            "t.yaml:10:5: error: missing required key 'name' in phase",
            "t.yaml:11:9: error: duplicate step name 'start' (first at line 6); step names must be unique",
            "t.yaml:13:9: error: step 'start' has both 'shell' and 'http'; a step does exactly one thing",
            "t.yaml:15:16: error: expected a duration like 30s, 5m, 4h, got 'soon'",
            "t.yaml:16:21: error: expected abort or continue, got 'carry-on'",
            "t.yaml:18:32: error: unknown variable '${uri}'; did you mean '${url}'?",
        ])
    }

    @Test func warningsAloneStillGiveTheModel() {
        let text = """
        firedrill: 1
        name: t
        vars: {spare: x}
        phases: [{name: p, steps: [{name: s, sleep: 1s}]}]

        """
        let (scenario, findings) = parse(text)
        #expect(findings.map(\.description) == ["t.yaml:3:8: warning: variable 'spare' is never used"])
        #expect(scenario?.name == "t")
    }

    // MARK: - Durations and suggestions

    @Test(arguments: [
        ("250ms", DrillDuration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .minutes(5)), ("4h", .hours(4)),
        ("7d", .hours(7 * 24)), ("1h30m", .minutes(90)), ("0s", .zero),
    ])
    func durationsAreRead(_ written: String, _ expected: DrillDuration) throws {
        let (scenario, findings) = parse(stepHead + "      - name: s\n        sleep: \(written)\n")
        #expect(findings.isEmpty)
        let step = try #require(scenario?.phases.first?.steps.first)
        #expect(step.action == .sleep(expected))
    }

    @Test(arguments: ["abc", "5M", "30m1h", "-5s", "1.5h", "5 m"])
    func malformedDurationsAreRejected(_ written: String) {
        #expect(messages(stepHead + "      - name: s\n        sleep: \"\(written)\"\n")
            == ["t.yaml:7:16: error: expected a duration like 30s, 5m, 4h, got '\(written)'"])
    }

    @Test func zeroTimeoutIsRejectedWhereWaitingMustEnd() {
        #expect(messages(stepHead + "      - name: s\n        sleep: 1s\n        timeout: 0s\n")
            == ["t.yaml:8:18: error: timeout must be greater than 0"])
    }

    @Test func didYouMeanPicksTheClosestValidKey() {
        let stepKeys = ScenarioLoader.Keys.step
        #expect(ScenarioValidator.suggestion(for: "tiemout", among: stepKeys) == "timeout")
        #expect(ScenarioValidator.suggestion(for: "retry-delay", among: stepKeys) == "retry_delay")
        #expect(ScenarioValidator.suggestion(for: "rnu", among: stepKeys) == "run")
        #expect(ScenarioValidator.suggestion(for: "wait", among: stepKeys) == "wait_for")
        #expect(ScenarioValidator.suggestion(for: "Mark", among: stepKeys) == "mark")
        #expect(ScenarioValidator.suggestion(for: "colour", among: stepKeys) == nil)
        #expect(ScenarioValidator.suggestion(for: "steady", among: ScenarioLoader.Keys.scenario) == "steady_state")
        #expect(ScenarioValidator.suggestion(for: "x", among: ["tcp", "run"]) == nil)
    }

    // MARK: - YAML features

    @Test func mergeKeysAndAnchorsAreExpanded() throws {
        let text = """
        firedrill: 1
        name: t
        phases:
          - name: p
            steps:
              - &base
                name: first
                shell: "true"
                timeout: 5s
                retries: 1
              - <<: *base
                name: second
                retries: 3

        """
        let (scenario, findings) = parse(text)
        #expect(findings.isEmpty)
        let steps = try #require(scenario?.phases.first?.steps)
        #expect(steps.map(\.name) == ["first", "second"])
        #expect(steps.map(\.retries) == [1, 3])
        #expect(steps[1].timeout == .seconds(5))
    }

    // MARK: - Files

    @Test func loadChecksTheRunbookNextToTheScenario() throws {
        try withDrillDirectory { root in
            let path = root.appendingPathComponent("scenarios/kill.yaml").path
            try example.write(toFile: path, atomically: true, encoding: .utf8)
            let runbook = root.appendingPathComponent("runbooks/restore-thanos.md").path
            try "# Restore\n".write(toFile: runbook, atomically: true, encoding: .utf8)

            let loaded = try ScenarioLoader.load(path: path, environment: [:])
            #expect(loaded.scenario.name == "kill-thanos-vms")
            #expect(loaded.path == path)
            #expect(loaded.text == example)
            #expect(loaded.warnings.isEmpty)

            try FileManager.default.removeItem(atPath: runbook)
            let error = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: path, environment: [:]) }
            #expect(error?.findings.map(\.description) == [
                "\(path):6:10: error: runbook '../runbooks/restore-thanos.md' not found (looked at \(runbook))",
            ])
        }
    }

    @Test func loadHashesTheExactBytes() throws {
        try withDrillDirectory { root in
            let path = root.appendingPathComponent("scenarios/tiny.yaml").path
            let text = "firedrill: 1\nname: tiny\nphases:\n  - name: p\n    steps:\n      - name: s\n        sleep: 1s\n"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let loaded = try ScenarioLoader.load(path: path, environment: [:])
            #expect(loaded.sha256 == "8b2a9faa6350d3dd7a4e2936266e8ed9f76aa7d79b22f34d0d94687df88d4c96")
            #expect(loaded.text == text)
        }
    }

    @Test func loadWarnsAboutEnvironmentVariablesThatAreNotSet() throws {
        try withDrillDirectory { root in
            let path = root.appendingPathComponent("scenarios/env.yaml").path
            try (stepHead + "      - name: s\n        kill: {pid: \"${env.APP_PID}\"}\n").write(toFile: path, atomically: true, encoding: .utf8)
            let unset = try ScenarioLoader.load(path: path, environment: [:])
            #expect(unset.warnings.map(\.description) == [
                "\(path):7:21: warning: environment variable 'APP_PID' is not set; '${env.APP_PID}' cannot be resolved without it",
            ])
            let set = try ScenarioLoader.load(path: path, environment: ["APP_PID": "42"])
            #expect(set.warnings.isEmpty)
        }
    }

    @Test func loadReportsUnreadableFiles() throws {
        try withDrillDirectory { root in
            let missing = root.appendingPathComponent("scenarios/missing.yaml").path
            let error = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: missing, environment: [:]) }
            #expect(error?.findings.map(\.description) == ["\(missing):1:1: error: cannot read the scenario: no such file"])

            let binary = root.appendingPathComponent("scenarios/binary.yaml").path
            try Data("firedrill: 1\nname: \u{e9}t\u{e9}".utf8 + [0xFF, 0x0A]).write(to: URL(fileURLWithPath: binary))
            let utf8Error = #expect(throws: ScenarioInvalid.self) { try ScenarioLoader.load(path: binary, environment: [:]) }
            #expect(utf8Error?.findings.map(\.description) == ["\(binary):2:10: error: the file is not valid UTF-8 text"])
        }
    }

    // MARK: - The repository's own scenarios

    @Test(.enabled(if: !repositoryScenarios.isEmpty, "the repository has no scenarios/*.yaml yet"))
    func everyScenarioInTheRepositoryLoads() {
        for path in repositoryScenarios {
            do {
                _ = try ScenarioLoader.load(path: path, environment: [:])
            } catch {
                Issue.record("\(path) does not load:\n\(error)")
            }
        }
    }
}
