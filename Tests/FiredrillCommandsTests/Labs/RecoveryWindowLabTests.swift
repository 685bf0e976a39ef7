import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

extension LabDrills {
    /// Lab 3, run for real: a Debian PostgreSQL backed up by pgBackRest (three full backups, the
    /// newest two kept), killed, wiped, restored from its oldest backup held and then from the newest
    /// with all archived WAL by `scenarios/lab/recovery-window.yaml`. The inventory, retention,
    /// forget_after, RPO and RTO Firedrill measured are checked against pgBackRest's own `info`,
    /// PostgreSQL's own commit timestamps and start time, and the lab's truth file.
    /// Both tests run a PostgreSQL cluster and three backups: one after the other.
    @Suite(.serialized) struct RecoveryWindowLabTests {
        static let lab = LabScenario(name: "recovery-window")
        static let verifyOldest = "exactly the rows of the oldest backup are back"
        static let verifyNewest = "every batch and the canary are back"
        static let restoreNewest = "restore the newest backup and replay all archived WAL"

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func theOldestBackupHeldAndTheNewestWithItsWALComeBackAndTheWindowIsPgBackRestsOwn() async throws {
            try await LabScenario.inFolder("lab-rw", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let labDir = dir + "/lab"
                let db = dir + "/firedrill.db"
                let finished = try await Self.drill(dir: dir, db: db)
                print(finished.stdout)
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                let (rto, rpo, surviving, disaster) = try record.figures()
                let info = try Self.info(labDir)
                let truth = try Self.truth(labDir)

                // The inventory recorded is what pgBackRest says it holds: the newest two of the three
                // backups taken, each with its label and stop time (Unix seconds).
                #expect(truth.count == 3)
                #expect(info.map(\.label) == truth.suffix(2).map(\.label), "pgBackRest holds \(info), the lab took \(truth)")
                #expect(record.state.inventories.count == 1)
                let taken = try #require(record.state.inventories.first).inventory
                #expect(taken.format == "pgbackrest")
                #expect(taken.points.map(\.id) == info.map(\.label))
                #expect(taken.points.map(\.wallNs) == info.map { $0.stop * 1_000_000_000 })
                #expect(taken.points.map(\.sizeBytes) == info.map(\.size))
                #expect(taken.points.allSatisfy { $0.resolutionNs == 1_000_000_000 })

                // The oldest backup pgBackRest holds was restored and verified by the SQL step, the newest
                // by the step marked recovered.
                let restores = record.state.restores
                #expect(restores.map(\.requested) == ["oldest", "newest"])
                #expect(restores.map { $0.point?.id } == [info.first?.label, info.last?.label])
                #expect(restores.map(\.verifiedBy) == [Self.verifyOldest, Self.verifyNewest])
                #expect(restores.allSatisfy { $0.verifiedAt != nil && $0.note == nil })

                // The exact restore brought back the rows the truth file gives for that backup, and none
                // written later; now (the newest restored with its WAL) every batch is back.
                let oldest = try #require(truth.first { $0.label == info.first?.label })
                let restoredOldest = try Self.json(record.passed(Self.verifyOldest)?.report?.stdout?.text)
                #expect(restoredOldest["rows"] as? Int == oldest.rows && restoredOldest["max_batch"] as? Int == oldest.batch,
                        "\(restoredOldest), truth \(oldest)")
                #expect(restoredOldest["canary_rows"] as? Int == 0)
                let batches = try Self.psql(labDir, "select batch || ':' || count(*) from batch_rows group by batch order by batch")
                #expect(batches == ["1:100", "2:100", "3:100"] && truth.last?.rows == 300, "\(batches)")

                // Retention: the age at the disaster of the oldest backup restored, from pgBackRest's own
                // stop time. That time is cut to the second: the backup stopped within the second after it.
                let retention = try #require(record.measurement.retention)
                let span = try #require(retention.span)
                let oldestStop = Double(try #require(info.first).stop)
                let age = disaster - oldestStop
                #expect(retention.restored?.id == info.first?.label)
                #expect(abs(span.value.seconds - age) < 0.05, "retention \(span.value.seconds)s, disaster − timestamp.stop \(age)s")
                #expect(span.lower.seconds <= age - 1 + 0.05 && age <= span.upper.seconds + 0.05,
                        "disaster − timestamp.stop \(age)s, bounds \(span.lower.seconds)–\(span.upper.seconds)s")
                #expect(record.measurement.retentionObjective?.verdict == .met)

                // forget_after: no backup listed was held past it, by pgBackRest's own stop times.
                let listed = Double(try #require(record.state.inventories.first?.inventory.listedWallNs)) / 1e9
                let target = try #require(record.scenario.objectives.forgetAfter).seconds
                let ages = info.map { listed - Double($0.stop) }
                #expect(ages.allSatisfy { $0 < target }, "ages when listed \(ages), forget_after \(target)s")
                #expect(retention.pastForgetAfter == [])
                #expect(record.measurement.forgetAfterObjective?.verdict == .met)
                let history = try await Self.history(db: db, dir: dir)
                #expect(history["restore_points_past_forget_after"] as? Int == 0)
                #expect(abs((history["retention_seconds"] as? Double ?? 0) - span.value.seconds) < 0.001, "\(history)")

                // RPO against PostgreSQL's own commit timestamps: the canary rows back are 1 to the one
                // the canary read, without a gap, and the newest committed before the disaster, while the
                // write Firedrill acknowledged for it ran.
                let rows = try Self.psql(labDir, "select seq || ' ' || extract(epoch from pg_xact_commit_timestamp(xmin)) from canary order by seq")
                let seqs = rows.compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }
                try #require(surviving >= 1, "no canary row came back")
                #expect(seqs == Array(1...surviving), "rows \(seqs), the canary read \(surviving)")
                let committed = try #require(rows.last?.split(separator: " ").last.flatMap { Double($0) }, "\(rows)")
                #expect(committed < disaster, "the newest row committed at \(committed), the disaster at \(disaster)")
                let acknowledged = (record.state.canary?.writes ?? []).filter(\.acknowledged)
                let write = try #require(acknowledged.first { $0.seq == surviving }, "write \(surviving) was not acknowledged")
                let (writeStart, writeEnd) = (record.wall(write.startedAt), record.wall(write.endedAt))
                #expect(committed >= writeStart - 0.005 && committed <= writeEnd + 0.005,
                        "row \(surviving) committed at \(committed), its write ran \(writeStart)–\(writeEnd)")
                #expect(rpo.lostWrites == acknowledged.filter { $0.seq > surviving }.count)
                // Firedrill measures disaster − acknowledgement; PostgreSQL's gap is disaster − commit,
                // which came first, within that write.
                let gap = disaster - committed
                let measured = try #require(rpo.span).value.seconds
                if rpo.lostWrites > 0 {
                    #expect(measured <= gap + 0.005 && gap - measured <= writeEnd - writeStart + 0.005,
                            "RPO \(measured)s vs PostgreSQL's gap \(gap)s (the write took \(writeEnd - writeStart)s)")
                } else {
                    #expect(gap <= record.scenario.canary!.every.seconds + 1, "no write lost, yet the newest row committed \(gap)s before the disaster")
                }
                #expect(record.measurement.rpoObjective?.verdict == .met)

                // RTO: the server answering now started during the restore of the newest backup, after
                // the disaster and before the recovered mark, by PostgreSQL's own clock.
                let recovered = try #require(record.wallSeconds(of: "recovered"))
                #expect(abs(rto.value.seconds - (recovered - disaster)) < 0.01)
                #expect(rto.lower <= rto.value && rto.value <= rto.upper)
                let started = try #require(Double(try Self.psql(labDir, "select extract(epoch from pg_postmaster_start_time())").first ?? ""))
                let restore = try #require(record.passed(Self.restoreNewest))
                let (restoreStart, restoreEnd) = (record.wall(restore.startedAt), record.wall(try #require(restore.endedAt)))
                #expect(started > disaster && started >= restoreStart - 0.005 && started <= restoreEnd + 0.005 && started < recovered,
                        "postmaster started \(started), disaster \(disaster), restore \(restoreStart)–\(restoreEnd), recovered \(recovered)")
                #expect(record.measurement.rtoObjective?.verdict == .met)

                func s(_ value: Double) -> String { String(format: "%.3fs", value) }
                print("recovery-window: RTO \(s(rto.value.seconds)), RPO \(s(measured)) (PostgreSQL's gap \(s(gap)), \(rpo.lostWrites) of \(acknowledged.count) writes lost),"
                      + " retention \(s(span.value.seconds)) (\(info.first?.label ?? "")), oldest held \(s(ages.max() ?? 0)) old when listed")
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func keepingTheExpiredBackupMissesForgetAfterAndNamesIt() async throws {
            try await LabScenario.inFolder("lab-rw-keep", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let labDir = dir + "/lab"
                let db = dir + "/firedrill.db"
                let finished = try await Self.drill(dir: dir, db: db, extra: ["--var", "retention_full=3"])
                print(finished.stdout)
                // The drill itself succeeds; the objective missed makes the exit status 1.
                #expect(finished.status == 1, "\(finished.output)\(LabRecord.failedSteps(db: db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                #expect(record.run.status == .completed)
                let info = try Self.info(labDir)
                let truth = try Self.truth(labDir)
                #expect(info.map(\.label) == truth.map(\.label), "pgBackRest keeps all three: \(info)")
                let expired = try #require(info.first)

                // The one held past forget_after is the oldest pgBackRest lists, by its own stop time too.
                let retention = try #require(record.measurement.retention)
                #expect(retention.pastForgetAfter?.map(\.id) == [expired.label])
                #expect(record.measurement.forgetAfterObjective?.verdict == .missed)
                let listed = Double(try #require(record.state.inventories.first?.inventory.listedWallNs)) / 1e9
                let target = try #require(record.scenario.objectives.forgetAfter).seconds
                #expect(listed - Double(expired.stop) - 1 > target, "listed \(listed - Double(expired.stop))s after it stopped")
                #expect(info.dropFirst().allSatisfy { listed - Double($0.stop) < target })
                let history = try await Self.history(db: db, dir: dir)
                #expect(history["restore_points_past_forget_after"] as? Int == 1, "\(history)")
                #expect(history["forget_after_objective"] as? String == "missed")
                #expect(history["retention_objective"] as? String == "met" && history["rto_objective"] as? String == "met"
                        && history["rpo_objective"] as? String == "met", "\(history)")
                #expect(finished.stdout.contains("past forget_after \(record.scenario.objectives.forgetAfter!): \(expired.label); objective: MISSED"))
                let report = try await FiredrillProcess.run(["report", record.run.id, "--db", db, "--format", "md", "--out", "-"], directory: dir)
                #expect(report.status == 0 && report.stdout.contains("held past forget_after: \(expired.label)"), "\(report.output)")

                // The oldest it restored and verified is that backup: batch 1 alone, as the truth file says.
                #expect(record.state.restores.first?.point?.id == expired.label)
                let restored = try Self.json(record.passed(Self.verifyOldest)?.report?.stdout?.text)
                #expect(restored["rows"] as? Int == truth.first?.rows && restored["max_batch"] as? Int == 1, "\(restored)")
            }
        }

        // MARK: - The drill and the systems' own evidence

        static func drill(dir: String, db: String, extra: [String] = []) async throws -> FiredrillProcess.Finished {
            try await FiredrillProcess.run(
                ["run", lab.scenario, "--db", db, "--quiet", "--var", "lab=\(lab.script)", "--var", "dir=\(dir)/lab",
                 "--var", "port=\(try LoopbackPort.free())", "--var", "keep_lab=yes"] + extra, directory: dir)
        }

        /// `pgbackrest info --output=json`: the backups, oldest first.
        static func info(_ labDir: String) throws -> [(label: String, stop: Int64, size: Int64?)] {
            let result = try LabScenario.shell([lab.script, "info", labDir])
            try #require(result.status == 0, "\(result.output)")
            let stanzas = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
            return stanzas.flatMap { ($0["backup"] as? [[String: Any]]) ?? [] }.compactMap { backup in
                guard let label = backup["label"] as? String, let stop = (backup["timestamp"] as? [String: Any])?["stop"] as? Int else { return nil }
                return (label, Int64(stop), ((backup["info"] as? [String: Any])?["size"] as? Int).map(Int64.init))
            }
        }

        /// The lab's truth file: each backup taken, with the batch before it and the rows it holds.
        static func truth(_ labDir: String) throws -> [(label: String, batch: Int, rows: Int)] {
            let text = try String(contentsOfFile: labDir + "/truth.tsv", encoding: .utf8)
            return text.split(separator: "\n").dropFirst().compactMap { line in
                let fields = line.split(separator: "\t").map(String.init)
                guard fields.count == 3, let batch = Int(fields[1]), let rows = Int(fields[2]) else { return nil }
                return (fields[0], batch, rows)
            }
        }

        static func psql(_ labDir: String, _ sql: String) throws -> [String] {
            let result = try LabScenario.shell([lab.script, "psql", labDir, sql])
            try #require(result.status == 0, "\(result.output)")
            return result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        }

        static func json(_ text: String?) throws -> [String: Any] {
            let text = try #require(text)
            return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }

        /// The run's entry in `firedrill history --json`.
        static func history(db: String, dir: String) async throws -> [String: Any] {
            let history = try await FiredrillProcess.run(["history", "--db", db, "--json"], directory: dir)
            try #require(history.status == 0, "\(history.output)")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
            return try #require(entries.first)
        }
    }
}

extension LabRecord {
    /// A run instant as Unix seconds.
    func wall(_ instant: DrillInstant) -> Double { Double(run.startedWallNs + instant.nanoseconds) / 1e9 }
}
