import Foundation
import Testing

/// `plan` shows a reference to the inventory a `backups` step will read as what it stands for,
/// and every objective the scenario holds the drill to.
@Suite struct PlanBackupsTests {
    @Test func planShowsBackupReferencesAsPlaceholdersAndTheRetentionObjectives() async throws {
        let dir = try temporaryFolder("firedrill-plan-backups")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/backups.yaml"
        try """
            firedrill: 1
            name: backups
            objectives: {rto: 1m, retention: 7d, forget_after: 30d}
            phases:
              - name: restore
                steps:
                  - name: list the backups
                    backups: {run: [pgbackrest, --stanza=main, info, --output=json], format: pgbackrest}
                  - name: the disaster
                    sleep: 1s
                    mark: disaster
                  - name: restore the oldest
                    run: [pgbackrest, --stanza=main, restore, "--set=${backups.oldest.id}"]
                    restores: oldest
                  - name: it is back
                    run: ["true", "${backups.count} backups, newest at ${backups.newest.time}"]
                    mark: recovered
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let validated = try await FiredrillProcess.run(["validate", scenario], directory: dir)
        #expect(validated.status == 0, "\(validated.output)")
        let plan = try await FiredrillProcess.run(["plan", scenario], directory: dir)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(!plan.stdout.contains("unresolved"), "\(plan.stdout)")
        #expect(plan.stdout.contains("run pgbackrest --stanza=main restore '--set=<backups.oldest.id>'"), "\(plan.stdout)")
        #expect(plan.stdout.contains("<backups.count> backups, newest at <backups.newest.time>"), "\(plan.stdout)")
        #expect(plan.stdout.contains("objectives: RTO ≤ 1m, retention ≥ 7d, nothing kept past 30d"), "\(plan.stdout)")
    }
}
