import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

/// Every scenario shipped in `scenarios/` validates with no error and `plan` shows all of it.
@Suite struct ShippedScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var shipped: [String] {
        let scenarios = root + "/scenarios"
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: scenarios)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().map { scenarios + "/" + $0 }
    }

    @Test func theKubernetesAndLabScenariosAreShipped() {
        let names = Self.shipped.map { ($0 as NSString).lastPathComponent }
        for expected in ["kill-thanos-vms.yaml", "lose-datacenter.yaml", "velero-restore.yaml", "demo.yaml",
                         "lose-datacenter-manual.yaml", "kill-metrics-vms.yaml", "velero-oldest-restore.yaml", "pgbackrest-retention.yaml",
                         "s3-ransomware.yaml", "lose-the-alerting.yaml", "protected-backups.yaml", "recovery-window.yaml"] {
            #expect(names.contains(expected), "\(names)")
        }
    }

    @Test(arguments: shipped)
    func validatesAndPlans(_ path: String) async throws {
        let loaded = try ScenarioLoader.load(path: path, environment: [:])
        #expect(!loaded.warnings.contains { $0.severity == .error })
        let validated = try await FiredrillProcess.run(["validate", path], directory: Self.root)
        #expect(validated.status == 0, "\(validated.output)")
        let plan = try await FiredrillProcess.run(["plan", path], directory: Self.root)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(!plan.stdout.contains("unresolved"), "\(plan.stdout)")
        for phase in loaded.scenario.phases { #expect(plan.stdout.contains("Phase: \(phase.name)")) }
        for step in loaded.scenario.phases.flatMap(\.steps) { #expect(plan.stdout.contains(step.name)) }
        // A runbook an operator can follow: it exists and has sections.
        let runbook = try #require(loaded.scenario.runbook)
        let text = try String(contentsOfFile: ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(runbook), encoding: .utf8)
        #expect(text.contains("\n## "))
    }
}
