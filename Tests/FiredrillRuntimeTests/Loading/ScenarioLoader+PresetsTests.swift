import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// `ssh` and `kubectl` steps expand to `run` with the right arguments; ssh's remote words are
/// quoted for the remote shell, so a value cannot break out of its word there.
@Suite struct ScenarioLoaderPresetsTests {
    static func parse(_ steps: String, vars: String = "{}") -> (scenario: Scenario?, findings: [String]) {
        let text = """
            firedrill: 1
            name: presets
            vars: \(vars)
            phases:
              - name: p
                steps:
            \(steps)
            """
        let result = ScenarioLoader.parse(text: text, file: "p.yaml", baseDirectory: "/base", fileExists: { _ in true })
        return (result.scenario, result.findings.filter { $0.severity == .error }.map(\.description))
    }

    static func argv(_ scenario: Scenario, vars: [String: String] = [:], step: Int = 0) throws -> [String] {
        let scope = VariableScope(vars: vars, environment: [:], runID: "r", scenarioName: scenario.name)
        guard let argv = try scope.resolve(scenario.phases[0].steps[step].action).action?.as(ResolvedRun.self)?.argv else {
            Issue.record("not a run")
            return []
        }
        return argv
    }

    @Test func sshExpandsWithEveryOption() throws {
        let (scenario, findings) = Self.parse("""
                  - name: stop the store
                    ssh:
                      host: 10.0.0.5
                      user: ops
                      port: 2222
                      identity_file: /etc/firedrill/id_ed25519
                      options: [StrictHostKeyChecking=yes]
                      connect_timeout: 1500ms
                      command: [systemctl, stop, "${unit}"]
            """, vars: #"{unit: "thanos-store"}"#)
        #expect(findings == [])
        let argv = try Self.argv(try #require(scenario), vars: ["unit": "thanos-store"])
        #expect(argv == ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "StrictHostKeyChecking=yes",
                         "-i", "/etc/firedrill/id_ed25519", "-p", "2222", "-l", "ops", "10.0.0.5", "--",
                         "'systemctl'", "'stop'", "'thanos-store'"])
    }

    @Test func kubectlExpandsWithContextNamespaceAndKubeconfig() throws {
        let (scenario, findings) = Self.parse("""
                  - name: cordon
                    kubectl: {kubeconfig: /etc/kube/drill, context: prod-eu, namespace: monitoring, args: [cordon, "${node}"]}
                  - name: pods gone
                    wait_for: {kubectl: {args: [get, pods, -l, app=thanos-store, -o, name]}, expect: fail, every: 5s}
                    timeout: 5m
            """, vars: #"{node: "node-1"}"#)
        #expect(findings == [])
        let model = try #require(scenario)
        #expect(try Self.argv(model, vars: ["node": "node-1"]) == [
            "kubectl", "--kubeconfig", "/etc/kube/drill", "--context", "prod-eu", "--namespace", "monitoring", "cordon", "node-1",
        ])
        #expect(try Self.argv(model, step: 1) == ["kubectl", "get", "pods", "-l", "app=thanos-store", "-o", "name"])
    }

    @Test func mistakesArePositioned() {
        let (scenario, findings) = Self.parse("""
                  - name: a
                    ssh: {user: ops, command: [true]}
                  - name: b
                    ssh: {host: -oProxyCommand=evil, port: 70000, command: "systemctl stop app"}
                  - name: c
                    kubectl: {namespace: monitoring, args: []}
                  - name: d
                    kubectl: {args: [get, pods], contxt: prod}
            """)
        #expect(scenario == nil)
        #expect(findings == [
            "p.yaml:8:14: error: missing required key 'host' in ssh",
            "p.yaml:10:21: error: ssh.host '-oProxyCommand=evil' starts with '-', which ssh would read as an option",
            "p.yaml:10:48: error: ssh.port must be 1 to 65535, got 70000",
            "p.yaml:10:64: error: expected ssh.command as a list of words, like [systemctl, stop, thanos-store]",
            "p.yaml:12:48: error: kubectl.args is empty",
            "p.yaml:14:38: error: unknown key 'contxt' in kubectl; did you mean 'context'?",
        ])
    }

    /// ssh joins the words after `--` with spaces and hands them to the remote user's shell;
    /// `/bin/sh -c` plays that shell here, with hostile values in the words.
    @Test func hostileValuesStayInTheirWordOnTheRemoteShell() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firedrill-ssh-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (scenario, findings) = Self.parse("""
                  - name: echo it remotely
                    ssh: {host: lab, command: [printf, "%s|", "${value}", "$(touch \(dir)/PWNED)"]}
            """, vars: #"{value: ""}"#)
        #expect(findings == [])
        let model = try #require(scenario)
        let values = [#"it's "quoted""#, "a; touch \(dir)/PWNED", "$(touch \(dir)/PWNED)", "`touch \(dir)/PWNED`", "two\nlines", "' ; touch \(dir)/PWNED ; '"]
        for value in values {
            let argv = try Self.argv(model, vars: ["value": value])
            let remote = argv[(argv.firstIndex(of: "--")! + 1)...].joined(separator: " ")
            let report = await ProcessDriver().perform(.run(argv: ["/bin/sh", "-c", remote]), deadline: .none, limits: DriverLimits())
            // printf repeats its format for each word: every value comes back whole, in its own word.
            #expect(report.stdout?.text == "\(value)|$(touch \(dir)/PWNED)|", "\(value)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/PWNED"))
    }
}
