import Foundation
import Testing

/// `plan` shows what an `ssh` or `kubectl` step will run, and `validate` accepts it.
@Suite struct PresetPlanTests {
    @Test func planShowsTheExpandedCommands() async throws {
        let dir = try temporaryFolder("firedrill-plan")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/presets.yaml"
        try """
            firedrill: 1
            name: presets
            vars: {node: node-1}
            phases:
              - name: disaster
                steps:
                  - name: stop the store
                    ssh: {host: 10.0.0.5, user: ops, command: [systemctl, stop, thanos-store]}
                  - name: cordon
                    kubectl: {context: prod-eu, namespace: monitoring, args: [cordon, "${node}"]}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let validated = try await FiredrillProcess.run(["validate", scenario], directory: dir)
        #expect(validated.status == 0, "\(validated.output)")
        let plan = try await FiredrillProcess.run(["plan", scenario], directory: dir)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.stdout.contains("run ssh -o BatchMode=yes -o ConnectTimeout=10 -l ops 10.0.0.5 --"), "\(plan.stdout)")
        #expect(plan.stdout.contains("run kubectl --context prod-eu --namespace monitoring cordon node-1"), "\(plan.stdout)")
    }
}
