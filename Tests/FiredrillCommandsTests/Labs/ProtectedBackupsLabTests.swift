import FiredrillCore
import FiredrillRuntime
import Foundation
import Testing

extension LabDrills {
    /// Lab 4, run for real: Debian's restic backing up to `rclone serve restic` on 127.0.0.1, attacked
    /// with the client's credentials by `scenarios/lab/protected-backups.yaml`, then the data lost and
    /// the newest snapshot restored. Append-only, the attacks are refused and the RPO Firedrill
    /// measured is checked against restic's own snapshot time; open, the drill fails on the attack.
    @Suite(.serialized) struct ProtectedBackupsLabTests {
        static let lab = LabScenario(name: "protected-backups")
        static let forget = "the attacker forgets and prunes every snapshot"
        static let delete = "the attacker deletes the repository's files through the server"

        /// `firedrill run` of the lab in `dir`, left up (keep_lab) for the test to question.
        static func drill(_ dir: String, mode: String) async throws -> (FiredrillProcess.Finished, db: String, labDir: String) {
            let db = dir + "/firedrill.db"
            let labDir = dir + "/lab"
            let finished = try await FiredrillProcess.run([
                "run", lab.scenario, "--db", db, "--quiet",
                "--var", "lab=\(lab.script)", "--var", "dir=\(labDir)", "--var", "port=\(try LoopbackPort.free())",
                "--var", "mode=\(mode)", "--var", "keep_lab=yes",
            ], directory: dir)
            print(finished.stdout)
            return (finished, db, labDir)
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func appendOnlyRefusesTheAttackerAndTheNewestSnapshotComesBack() async throws {
            try await LabScenario.inFolder("lab-backups", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let (finished, db, labDir) = try await Self.drill(dir, mode: "append-only")
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                let (rto, rpo, surviving, disaster) = try record.figures()

                // Each attack was refused the way it should be: restic answered 403, the server refused every request.
                for step in [Self.forget, Self.delete] {
                    let attempt = try #require(record.passed(step), "\(step) did not pass")
                    #expect(attempt.summary == "failed as expected: exit 1", "\(step): \(attempt.summary ?? "")")
                    #expect(attempt.report?.checks?.allSatisfy(\.passed) == true)
                }

                // restic, asked now, still lists every snapshot the first inventory recorded.
                let first = try #require(record.state.inventories.first?.inventory)
                #expect(first.points.count == 4, "three from the lab's setup and the drill's backup: \(first.points.map(\.id))")
                let snapshots = try Self.snapshots(labDir)
                #expect(Set(first.points.map(\.id)).isSubset(of: Set(snapshots.map(\.id))), "listed before: \(first.points.map(\.id)), now: \(snapshots.map(\.id))")
                #expect(record.state.inventories.last?.inventory.points.map(\.id) == first.points.map(\.id))

                // The newest snapshot was restored and verified.
                let restore = try #require(record.state.restores.first)
                let newest = try #require(snapshots.max { $0.time < $1.time })
                #expect(restore.point?.id == newest.id && restore.verifiedAt != nil)
                let verified = try #require(record.passed("the restored data matches the snapshot's checksums")?.report?.stdout?.text)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(verified.utf8)) as? [String: Any], "\(verified)")
                let counts = json.compactMapValues { Self.number($0).map(Int.init) }
                #expect(counts == ["files": 52, "mismatched": 0, "missing": 0, "extra": 0], "\(verified)")
                let again = try await LabScenario.run([Self.lab.script, "verify", labDir], in: dir)
                #expect(again.status == 0 && again.output.contains("\"mismatched\": 0"), "\(again.output)")

                // RTO: from the loss to the verified restore, within its bounds and its objective.
                let recovered = try #require(record.wallSeconds(of: "recovered"))
                #expect(abs(rto.value.seconds - (recovered - disaster)) < 0.01)
                #expect(rto.lower <= rto.value && rto.value <= rto.upper)
                #expect(record.measurement.rtoObjective?.verdict == .met && record.measurement.rpoObjective?.verdict == .met)

                // The canary's writes the restored data holds: every one up to the surviving write, in order.
                let log = try String(contentsOfFile: labDir + "/data/canary.log", encoding: .utf8)
                #expect(log.split(separator: "\n").compactMap { Int($0) } == Array(1...surviving))
                let writes = (record.state.canary?.writes ?? []).filter(\.acknowledged)
                let survivingWrite = try #require(writes.first { $0.seq == surviving })
                let firstLost = try #require(writes.first { $0.seq > surviving }, "writes went on after the backup: some were lost")
                #expect(rpo.lostWrites == writes.filter { $0.seq > surviving }.count)

                // RPO against restic's own snapshot time. The backup held the service's lock: restic took
                // its snapshot after the surviving write was acknowledged and before the first lost one was.
                let start = Double(record.run.startedWallNs) / 1e9
                let survivingAck = start + survivingWrite.endedAt.seconds
                let firstLostAck = start + firstLost.endedAt.seconds
                #expect(newest.time > survivingAck - 0.25 && newest.time < firstLostAck,
                        "snapshot at \(newest.time), the surviving write acknowledged at \(survivingAck), the first lost one at \(firstLostAck)")
                // So Firedrill's figure (disaster − that acknowledgement) and restic's gap (disaster −
                // the snapshot) differ by less than the time between those two acknowledgements.
                let gap = disaster - newest.time
                let span = try #require(rpo.span)
                print("protected-backups: RTO \(rto.value.secondsText), RPO \(String(format: "%.3f", span.value.seconds))s; restic's gap \(String(format: "%.3f", gap))s; newest snapshot holds seq \(surviving) of \(rpo.highestAcknowledgedSeq ?? 0)")
                #expect(gap <= span.upper.seconds + 0.25 && span.value.seconds - gap < firstLostAck - survivingAck,
                        "RPO \(span.value.seconds)s (\(span.lower.seconds)–\(span.upper.seconds)), restic's gap \(gap)s")
                #expect(gap >= span.lower.seconds - 0.5, "RPO at least \(span.lower.seconds)s, restic's gap \(gap)s")
                // The step that reckoned the gap from ${backups.newest.time} and the retention Firedrill
                // measured for the restored snapshot say the same.
                let stepGap = try #require(Self.gapSeconds(record.passed("the data lost, by restic's own snapshot time")))
                #expect(abs(stepGap - gap) < 0.01, "the step recorded \(stepGap)s, restic's JSON gives \(gap)s")
                let retention = try #require(record.measurement.retention?.span)
                #expect(gap >= retention.lower.seconds - 0.01 && gap <= retention.upper.seconds + 0.01,
                        "retention \(retention.lower.seconds)–\(retention.upper.seconds)s, restic's gap \(gap)s")
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func anOpenServerLetsTheAttackerThroughAndTheDrillFailsOnThatStep() async throws {
            try await LabScenario.inFolder("lab-backups-open", cleanUp: { [[Self.lab.script, "down", $0 + "/lab"]] }) { dir in
                let (finished, db, labDir) = try await Self.drill(dir, mode: "open")
                #expect(finished.status != 0, "\(finished.output)")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                #expect(record.run.status == .failed)
                #expect(record.state.failureReason == "step '\(Self.forget)' failed: expected to fail, but it passed: exit 0",
                        "\(record.state.failureReason ?? "no reason")")
                let attack = try #require(record.state.attempts.last { $0.stepName == Self.forget })
                #expect(attack.verdict == .failed)
                #expect(attack.report?.stdout?.text.contains("ATTACK SUCCEEDED") == true, "\(attack.report?.stdout?.text ?? "")")
                #expect(!record.state.attempts.contains { $0.stepName == Self.delete }, "the drill stops at the first attack that got through")
                #expect(record.state.mark("disaster") == nil)

                // Every snapshot the drill listed before the attack is gone; the rollback took a fresh one
                // of the primary data, which the drill never lost.
                let first = try #require(record.state.inventories.first?.inventory)
                let snapshots = try Self.snapshots(labDir)
                #expect(snapshots.count < first.points.count)
                #expect(Set(snapshots.map(\.id)).isDisjoint(with: Set(first.points.map(\.id))), "\(snapshots.map(\.id))")
                #expect(record.passed("take a fresh backup of the primary data") != nil)
                #expect(snapshots.count == 1)
                #expect(record.passed("remove the lab") != nil)
            }
        }

        struct Snapshot {
            var id: String
            /// Unix seconds, from restic's RFC 3339 time with its nanoseconds.
            var time: Double
        }

        /// `restic snapshots --json`, through the lab script.
        static func snapshots(_ labDir: String) throws -> [Snapshot] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("snapshots-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try LabScenario.shell(["/bin/sh", "-c", "\"$0\" snapshots \"$1\" >\"$2\"", lab.script, labDir, file.path])
            try #require(result.status == 0, "\(result.output)")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
            return try items.map { item in
                let id = try #require(item["id"] as? String)
                let time = try #require(item["time"] as? String)
                return Snapshot(id: id, time: try #require(unixSeconds(rfc3339: time), "restic wrote the time \(time)"))
            }
        }

        /// `2026-12-02T14:13:20.637893154Z` or with an offset: Go's RFC3339Nano.
        static func unixSeconds(rfc3339 text: String) -> Double? {
            guard text.count > 19 else { return nil }
            let whole = String(text.prefix(19))
            var rest = Substring(text.dropFirst(19))
            var fraction = 0.0
            if rest.hasPrefix(".") {
                let digits = rest.dropFirst().prefix { $0.isNumber }
                fraction = Double("0." + digits) ?? 0
                rest = rest.dropFirst(1 + digits.count)
            }
            let formatter = ISO8601DateFormatter()
            guard let date = formatter.date(from: whole + rest) else { return nil }
            return date.timeIntervalSince1970 + fraction
        }

        /// The gap the drill's last step printed: `{"snapshot": …, "disaster": …, "gap_seconds": 11.635}`.
        static func gapSeconds(_ attempt: RunState.Attempt?) -> Double? {
            guard let text = attempt?.report?.stdout?.text,
                  let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
            return number(json["gap_seconds"])
        }

        /// A JSON number as JSONSerialization gives it (a Swift number or an NSNumber).
        static func number(_ value: Any?) -> Double? {
            if let double = value as? Double { return double }
            if let int = value as? Int { return Double(int) }
            return (value as? NSNumber)?.doubleValue
        }
    }
}
