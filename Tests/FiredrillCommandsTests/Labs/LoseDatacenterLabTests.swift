import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

extension LabDrills {
    /// Lab 1, run for real: two sites in network namespaces, a Debian PostgreSQL primary in site A
    /// streaming to a replica in site B, failed over by `scenarios/lab/lose-datacenter.yaml`. The RTO
    /// and RPO Firedrill measured are checked against PostgreSQL's own evidence: the rows each site
    /// holds, site B's replay position and the commit time of the last transaction it replayed.
    /// Both tests build the same namespaces, so they run one after the other.
    @Suite(.serialized) struct LoseDatacenterLabTests {
        static let lab = LabScenario(name: "lose-datacenter")
        static let manual = ShippedScenarioTests.root + "/scenarios/lab/lose-datacenter-manual.yaml"

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func theReplicaIsPromotedAndTheLostWritesAreTheOnesSiteANeverShipped() async throws {
            try await LabScenario.inFolder("lab-dc", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let labDir = dir + "/lab"
                let db = dir + "/firedrill.db"
                let finished = try await FiredrillProcess.run(
                    ["run", Self.lab.scenario, "--db", db, "--quiet", "--var", "lab=\(Self.lab.script)", "--var", "dir=\(labDir)",
                     "--var", "keep_lab=yes"], directory: dir)
                print(finished.stdout)
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                let (rto, rpo, surviving, disaster) = try record.figures()
                let acknowledged = record.acknowledgedSeqs

                // Site B, now the primary behind the service address, holds every acknowledged write up
                // to the surviving one, and nothing acknowledged above it.
                let onB = try Self.seqs(site: "b", labDir)
                #expect(onB.max() == surviving, "site B's newest row is \(onB.max() ?? -1), the canary read \(surviving)")
                #expect(Set(acknowledged.filter { $0 <= surviving }).isSubset(of: Set(onB)))
                // The writes Firedrill counts as lost are on site A, which acknowledged them, and not on B.
                let lost = acknowledged.filter { $0 > surviving }
                #expect(rpo.lostWrites == lost.count)
                #expect(!lost.isEmpty, "replication was cut two seconds before the site: writes must have been lost")
                #expect(Set(lost).isDisjoint(with: Set(onB)))
                let inspected = try await LabScenario.run([Self.lab.script, "inspect-a", labDir], in: dir)
                try #require(inspected.status == 0, "\(inspected.output)")
                let onA = try Self.seqs(site: "a", labDir)
                #expect(Set(lost).isSubset(of: Set(onA)), "lost \(lost), site A holds \(onA.filter { $0 > surviving })")

                // Site B's replay position when it was promoted, recorded by the drill: it had replayed
                // all it received, and the last transaction it replayed is the newest surviving write.
                let position = try #require(record.passed("record site B's replay position")?.report?.stdout?.text)
                let fields = Dictionary(position.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: "=", maxSplits: 1)
                    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
                }, uniquingKeysWith: { $1 })
                #expect(fields["last_wal_receive_lsn"] == fields["last_wal_replay_lsn"], "\(position)")
                #expect(fields["canary_max_seq"] == String(surviving))
                let lastReplayed = try #require(fields["last_xact_replay_epoch"].flatMap(Double.init), "\(position)")
                let committed = try #require(try Self.commitEpoch(of: surviving, labDir))
                #expect(abs(lastReplayed - committed) < 0.05, "last replayed commit \(lastReplayed), row \(surviving) committed \(committed)")

                // RPO: Firedrill measures disaster − acknowledgement of the newest surviving write;
                // PostgreSQL's own gap is disaster − that write's commit, which precedes its acknowledgement.
                let gap = disaster - lastReplayed
                let measured = try #require(rpo.span).value.seconds
                print("lose-datacenter: RTO \(rto.value.secondsText), RPO \(String(format: "%.3f", measured))s; PostgreSQL's gap \(String(format: "%.3f", gap))s; \(lost.count) acknowledged writes lost, all on site A")
                // (The acknowledgement is psql's exit after the commit: milliseconds, more on a loaded machine.)
                #expect(measured <= gap + 0.01 && gap - measured < 0.5, "RPO \(measured)s vs PostgreSQL's gap \(gap)s")

                // RTO: the recovered mark is the start of the first probe that got through; PostgreSQL's
                // first commit on site B as primary is that probe's own write, so it lies within it.
                let firstOnB = try #require(try Self.firstPromotedWriteEpoch(labDir))
                let recovered = try #require(record.wallSeconds(of: "recovered"))
                let probe = try #require(record.firstPassingSample(of: "writes and reads through the service address work"))
                let probeEnd = Double(record.run.startedWallNs + probe.endedAt.nanoseconds) / 1e9
                #expect(firstOnB >= recovered - 0.005 && firstOnB <= probeEnd + 0.005,
                        "first write on B \(firstOnB), recovered \(recovered), that probe ended \(probeEnd)")
                #expect(rto.value.seconds <= firstOnB - disaster + 0.005)
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func theManualVariantWaitsForTheDeclarationAndCarriesOnWhenConfirmed() async throws {
            try await LabScenario.inFolder("lab-dc-manual", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let labDir = dir + "/lab"
                let db = dir + "/firedrill.db"
                // No terminal: the run stops at the manual step and says how to carry it on.
                let waiting = try await FiredrillProcess.run(
                    ["run", Self.manual, "--db", db, "--quiet", "--var", "lab=\(Self.lab.script)", "--var", "dir=\(labDir)"], directory: dir)
                #expect(waiting.status == 4, "\(waiting.output)")
                let runID = try #require(try SQLiteStore(path: db).runs(scenario: "lab-lose-datacenter-manual").first?.id)
                #expect(waiting.output.contains("firedrill confirm \(runID)"))
                // The incident commander looks at site B's position, then declares the disaster.
                try await Task.sleep(for: .seconds(1))
                let confirmed = try await FiredrillProcess.run(
                    ["confirm", runID, "--by", "incident-commander", "--note", "site A unreachable from both sites", "--db", db, "--quiet"],
                    directory: dir)
                #expect(confirmed.status == 0, "\(confirmed.output)")

                let record = try LabRecord(db: db, scenario: Self.manual)
                #expect(record.run.status == .completed)
                #expect(record.state.confirmations.map(\.0.by) == ["incident-commander"])
                let declared = try #require(record.wallSeconds(of: "declared"))
                let disaster = try #require(record.wallSeconds(of: "disaster"))
                let rto = try #require(record.measurement.rto)
                // The time the decision took is part of the RTO, and recorded as manual wait.
                #expect(rto.value.seconds > declared - disaster)
                #expect(record.measurement.manualWait.seconds >= 1)
                let rpo = try #require(record.measurement.rpo)
                #expect(rpo.lostWrites > 0 && rpo.span != nil)
                // The service address led to site B after the failover.
                #expect(record.passed("the service address leads to site B") != nil)
                // Teardown removed the lab (keep_lab defaults to no).
                #expect(!FileManager.default.fileExists(atPath: labDir + "/a"))
            }
        }

        static func seqs(site: String, _ labDir: String) throws -> [Int] {
            let result = try LabScenario.shell([lab.script, "psql", site, labDir, "-XtAc", "select seq from canary order by seq"])
            try #require(result.status == 0, "\(result.output)")
            return result.output.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }

        static func commitEpoch(of seq: Int, _ labDir: String) throws -> Double? {
            let result = try LabScenario.shell([lab.script, "psql", "b", labDir, "-XtAc",
                                                "select extract(epoch from pg_xact_commit_timestamp(xmin)) from canary where seq = \(seq)"])
            let text = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if let value = Double(text) { return value }
            // Without track_commit_timestamp, the row's own clock_timestamp() default, taken in the transaction.
            let fallback = try LabScenario.shell([lab.script, "psql", "b", labDir, "-XtAc", "select extract(epoch from ts) from canary where seq = \(seq)"])
            return Double(fallback.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }

        static func firstPromotedWriteEpoch(_ labDir: String) throws -> Double? {
            let result = try LabScenario.shell([lab.script, "psql", "b", labDir, "-XtAc",
                                                "select extract(epoch from min(ts)) from recovery_check where site = 'site-b'"])
            return Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
