import FiredrillCore
import FiredrillRuntime
import Testing

/// `output:` checks, `backups` steps, `expect: fail`, `restores:` and the retention objectives,
/// as the loader reads them: every problem at once, each at its line and column.
@Suite struct ScenarioLoaderBackupsTests {
    static func parse(_ text: String) -> (scenario: Scenario?, findings: [String]) {
        let result = ScenarioLoader.parse(text: text, file: "b.yaml", baseDirectory: "/base", fileExists: { _ in true })
        return (result.scenario, result.findings.map(\.description))
    }

    @Test func theWholeWindowReads() throws {
        let (scenario, findings) = Self.parse("""
            firedrill: 1
            name: window
            objectives: {retention: 7d, forget_after: 30d}
            steady_state:
              - {name: healthy, http: {url: "http://127.0.0.1:1/health"}, output: {contains: ready}}
            guards:
              - {name: no errors, every: 5s, shell: "cat /tmp/errors.json", output: {json: "$.errors", expect: "== 0"}}
            phases:
              - name: lose it
                steps:
                  - name: list
                    backups: {run: [pgbackrest, --stanza=main, info, --output=json], format: pgbackrest}
                  - {name: kill, shell: "kill -9 1", mark: disaster}
                  - name: attacker
                    run: [restic, forget, --prune]
                    expect: fail
                    output: {matches: "403 Forbidden"}
              - name: restore
                steps:
                  - name: restore oldest
                    run: [pgbackrest, restore, "--set=${backups.oldest.id}"]
                    restores: oldest
                    verified_by: rows
                  - name: rows
                    shell: psql -Atc "select json_build_object('rows', count(*)) from t"
                    output: [{json: "$.rows", expect: "== 200"}, {json: "$.rows", expect: "> 0"}]
                  - name: restore newest
                    shell: 'restore ${backups.newest.id} at ${backups.newest.time} of ${backups.count}'
                    restores: newest
                  - name: up
                    wait_for: {tcp: "127.0.0.1:5432", every: 1s}
                    mark: recovered
            """)
        #expect(findings == [])
        let s = try #require(scenario)
        #expect(s.objectives.retention == .hours(7 * 24))
        #expect(s.objectives.forgetAfter == .hours(30 * 24))
        #expect(s.steadyState[0].action.outputChecks.map { "\($0.test)" } == ["contains(ready)"])
        #expect(s.guards[0].probe.outputChecks.map { "\($0.test)" } == ["json(path: \"$.errors\", expect: Optional(== 0))"])
        let backups = try #require(s.phases[0].steps[0].action.as(BackupsStep.self))
        #expect(backups.format == .pgbackrest)
        #expect(backups.source.kind == "run")
        #expect(s.phases[0].steps[2].expect == .fail)
        #expect(s.phases[1].steps[0].restores?.raw == "oldest")
        #expect(s.phases[1].steps[0].verifiedBy == "rows")
        #expect(s.phases[1].steps[1].action.outputChecks.count == 2)
    }

    @Test func everyBadPartIsPositioned() {
        let (scenario, findings) = Self.parse(#"""
            firedrill: 1
            name: bad
            objectives: {retention: 7d, forget_after: 0s}
            steady_state:
              - {name: a, shell: "true", output: {json: "$.items[?@.x ~ 1]", expect: "== 3"}}
              - {name: b, shell: "true", output: {contains: x, matches: y}}
              - {name: c, shell: "true", output: {matches: "(a)\\1"}}
              - {name: d, shell: "true", output: {json: "$.a", expect: "about 3"}}
              - {name: e, tcp: {address: "127.0.0.1:1"}, output: {contains: x}}
              - {name: f, shell: "true", output: {expect: "> 1", contains: x}}
            phases:
              - name: p
                steps:
                  - name: restore too early
                    shell: 'restore ${backups.oldest.id}'
                    restores: oldest
                  - name: list
                    backups: {shell: "cat list.json", format: resticc}
                  - name: list2
                    backups: {run: [x], format: {items: "$[*", id: "$.id"}}
                  - name: list3
                    backups: {format: restic}
                  - name: use
                    shell: 'echo ${backups.oldest.size}'
                    restores: newest
                    verified_by: nothing such
                  - name: attacker
                    wait_for: {shell: "true"}
                    expect: fail
            """#)
        #expect(scenario == nil)
        #expect(findings == [
            "b.yaml:3:13: error: objectives.forget_after needs a backups step to list the restore points held",
            "b.yaml:3:13: error: objectives.retention needs a step with mark: disaster; a restore point's age is reckoned at the disaster",
            "b.yaml:3:43: error: forget_after must be greater than 0",
            "b.yaml:5:59: error: not a JSONPath this reads: expected ==, !=, <, <=, > or >= (see JSONPath in the scenario format)",
            "b.yaml:6:52: error: output has both 'contains' and 'matches'; give each check its own entry in a list",
            "b.yaml:7:48: error: output.matches is not a POSIX extended regular expression: '\\1' is a back-reference, which is not supported (no matcher bounded by the output's length has them)",
            "b.yaml:8:60: error: expected a comparison like '> 0', 'count == 2' or '== running', got 'about 3'",
            "b.yaml:9:46: error: output checks the output of run, shell, http, ssh, kubectl; 'tcp' has none to check",
            "b.yaml:10:39: error: output.expect goes with json, not contains",
            "b.yaml:14:9: error: step 'restore too early' restores oldest, and nothing verifies it: name the step that does (verified_by) or mark a later step recovered",
            "b.yaml:15:16: error: '${backups.oldest.id}' is not known here: it names the inventory a backups step read, and no backups step runs before this one",
            "b.yaml:16:19: error: step 'restore too early' restores oldest, but no backups step runs before it to say what that is",
            "b.yaml:18:51: error: unknown backups format 'resticc': give one of pgbackrest, restic, velero or a mapping {items, id, time}; did you mean 'restic'?",
            "b.yaml:20:37: error: missing required key 'time' in backups.format",
            "b.yaml:20:49: error: not a JSONPath this reads: expected ']' or ',' (see JSONPath in the scenario format)",
            "b.yaml:22:18: error: backups needs where to read the inventory: one of run, shell, http, ssh, kubectl",
            "b.yaml:23:9: error: verified_by names 'nothing such', which is not a phase step after step 'use'",
            "b.yaml:24:16: error: '${backups.oldest.size}' names nothing of an inventory: give one of backups.count, backups.oldest.id, backups.oldest.time, backups.newest.id, backups.newest.time; did you mean '${backups.oldest.time}'?",
            "b.yaml:25:19: error: step 'use' restores newest, but no backups step runs before it to say what that is",
            "b.yaml:29:9: error: a wait_for's expect goes inside it: wait_for: {..., expect: fail}",
        ])
    }
}
