@testable import firedrill_bench
import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import GRDB
import Testing

/// Reports of runs with many probe samples (the benchmark's record, `ProbeHeavyRecord`): the
/// right counts and percentiles, a replay that keeps no samples, and a report whose size does
/// not grow with them. How long they take is measured by `firedrill-bench --reports`, not here.
@Suite struct ReportScaleTests {
    static func record(samples: Int, in dir: String) async throws -> ProbeHeavyRecord {
        let result = await onOwnThread { Result { try ProbeHeavyRecord.write(samples: samples, path: dir + "/fd.db") } }
        return try result.get()
    }

    static func json(_ record: ProbeHeavyRecord, _ dir: String, format: String = "json") async throws -> String {
        let rendered = try await FiredrillProcess.run(["report", record.runID, "--db", record.path, "--format", format, "--out", "-"], directory: dir)
        #expect(rendered.status == 0, "\(rendered.output)")
        return rendered.stdout
    }

    /// Nearest rank, as the report defines its percentiles, over every latency.
    static func percentile(_ latencies: [Int64], _ p: Double) -> String {
        let sorted = latencies.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return DrillDuration(nanoseconds: sorted[max(0, min(sorted.count - 1, rank))]).secondsText
    }

    @Test func manySamplesGiveTheRightCountsAndPercentiles() async throws {
        let dir = try temporaryFolder("report-scale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let record = try await Self.record(samples: 12_000, in: dir)
        #expect(record.samples == 12_000)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try await Self.json(record, dir).utf8)) as? [String: Any])
        let probes = try #require(object["probes"] as? [[String: Any]])
        #expect(probes.map { $0["step"] as? String } == ["connections refused", "database accepts connections again"])
        for (row, ref) in zip(probes, [ProbeHeavyRecord.detection, ProbeHeavyRecord.recovery]) {
            let latencies = try #require(record.latencies[ref])
            #expect(row["samples"] as? Int == latencies.count)
            #expect(row["failures"] as? Int == record.failures[ref] ?? 0)
            #expect(row["p50"] as? String == Self.percentile(latencies, 0.5))
            #expect(row["p90"] as? String == Self.percentile(latencies, 0.9))
            #expect(row["p99"] as? String == Self.percentile(latencies, 0.99))
            #expect(row["max"] as? String == Self.percentile(latencies, 1))
        }
        #expect(probes.compactMap { $0["samples"] as? Int }.reduce(0, +) == 12_000)
        // The recovery probe failed until its last three samples.
        #expect(probes[1]["failures"] as? Int == (record.latencies[ProbeHeavyRecord.recovery]?.count ?? 0) - 3)
        let integrity = try #require(object["integrity"] as? [String: Any])
        #expect(integrity["verified"] as? Bool == true, "\(integrity)")
        #expect(integrity["events"] as? Int == record.events)
        let attempts = try #require(object["attempts"] as? [[String: Any]])
        #expect(attempts.compactMap { $0["probeCount"] as? Int }.sorted() == [3, 11_997])
        let objectives = try #require(object["objectives"] as? [[String: Any]])
        #expect(objectives.map { $0["result"] as? String } == ["met", "met"], "\(objectives)")
    }

    @Test func theReportDoesNotGrowWithTheSamples() async throws {
        let dir = try temporaryFolder("report-scale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var sizes: [String: [Int]] = [:]
        var charts: [String] = []
        for count in [500, 5_000] {
            let folder = dir + "/\(count)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let record = try await Self.record(samples: count, in: folder)
            for format in ["html", "md", "json"] {
                sizes[format, default: []].append(try await Self.json(record, folder, format: format).utf8.count)
            }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(try await Self.json(record, folder).utf8)) as? [String: Any])
            charts.append(try #require(object["timelineSVG"] as? String))
        }
        // Ten times the samples: the same report but for its figures (counts, times, the chart's ticks).
        for (format, pair) in sizes {
            #expect(abs(pair[1] - pair[0]) < 1_000, "\(format): \(pair)")
        }
        // The chart draws phases, steps and marks, never a sample: one bar per step either way.
        #expect(abs(charts[1].utf8.count - charts[0].utf8.count) < 600)
        #expect(charts[1].components(separatedBy: "<rect class=").count == charts[0].components(separatedBy: "<rect class=").count)
    }

    @Test func aSampleThatDoesNotDecodeIsAStoreFailure() async throws {
        let dir = try temporaryFolder("report-scale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let record = try await Self.record(samples: 500, in: dir)
        try await DatabaseQueue(path: record.path).write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS events_no_update")
            try db.execute(sql: "UPDATE events SET payload = ? WHERE run_id = ? AND seq = 100", arguments: [#"{"payload":{},"type":"probe_sampled"}"#, record.runID])
        }
        for command in [["report", record.runID, "--format", "json", "--out", "-"], ["retro", record.runID, "--out", "-"], ["status", record.runID]] {
            let failed = try await FiredrillProcess.run(command + ["--db", record.path], directory: dir)
            #expect(failed.status == 70, "\(command): \(failed.output)")
            #expect(failed.stderr.contains("database \(record.path): DecodingError.keyNotFound"), "\(command): \(failed.stderr)")
        }
    }

    @Test func theStreamedReplayMatchesTheFullOne() async throws {
        let dir = try temporaryFolder("report-scale")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let record = try await Self.record(samples: 2_000, in: dir)
        let store = try SQLiteStore(path: record.path)
        let run = try #require(try store.run(record.runID))
        let streamed = try RunEvidence.load(run, from: store)
        let events = try store.events(of: run.id)
        let full = DrillMachine.replay(streamed.scenario, events: events.map { ($0.event, $0.at) })
        #expect(!streamed.machine.keepsSamples)
        #expect(streamed.machine.state.samples.isEmpty)
        var expected = full.state
        expected.samples = []
        #expect(streamed.machine.state == expected)
        #expect(streamed.measurement == DrillMeasurement(scenario: streamed.scenario, state: full.state))
        #expect(streamed.differences.isEmpty, "\(streamed.differences)")
        // The same evidence from the events in hand as from the store's stream.
        let inHand = try RunEvidence(run: run, events: events)
        #expect(inHand.machine.state == streamed.machine.state)
        #expect(inHand.run == streamed.run)
    }
}
