import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension LabDrills {
    /// Lab 2, run for real: a Debian Prometheus scraping the sample service, backed up by TSDB
    /// snapshots, killed, wiped and restored by `scenarios/lab/kill-metrics-vms.yaml`. The RTO and
    /// RPO Firedrill measured are checked against Prometheus's own sample timestamps.
    @Suite(.serialized) struct KillMetricsVMsLabTests {
        static let lab = LabScenario(name: "kill-metrics-vms")

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func theDrillRestoresTheNewestSnapshotAndMeasuresWhatWasLost() async throws {
            let service = try #require(BuiltProducts.path(of: "firedrill-sample-service"))
            let script = Self.lab.script
            try await LabScenario.inFolder("lab-metrics", cleanUp: { dir in
                [[script, "down", dir + "/lab/prom"], [service, "stop", "--pidfile", dir + "/lab/app/service.pid"]]
            }) { dir in
                let promPort = try LoopbackPort.free()
                let appPort = try LoopbackPort.free()
                let db = dir + "/firedrill.db"
                let labDir = dir + "/lab"
                let finished = try await FiredrillProcess.run([
                    "run", Self.lab.scenario, "--db", db, "--quiet",
                    "--var", "service=\(service)",
                    "--var", "lab=\(Self.lab.script)", "--var", "dir=\(labDir)",
                    "--var", "prom_port=\(promPort)", "--var", "app_port=\(appPort)", "--var", "keep_lab=yes",
                ], directory: dir)
                print(finished.stdout)
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: db, scenario: Self.lab.scenario)
                let (rto, rpo, surviving, disaster) = try record.figures()
                let recovered = try #require(record.wallSeconds(of: "recovered"))
                let prometheus = PrometheusQuery(base: "http://127.0.0.1:\(promPort)")

                // The newest sample from before the disaster is the one the canary read back.
                let newest = try #require(try await prometheus.vector("firedrill_sample_latest_seq @ \(disaster)").first)
                let newestAt = try #require(try await prometheus.vector("timestamp(firedrill_sample_latest_seq @ \(disaster))").first)
                #expect(Int(newest) == surviving, "Prometheus holds \(newest), the canary read \(surviving)")
                #expect(newestAt < disaster)
                // Every write acknowledged above it was lost: Prometheus never held a larger value before the disaster.
                let highestHeld = try #require(try await prometheus.vector("max_over_time(firedrill_sample_latest_seq[1h] @ \(disaster))").first)
                #expect(Int(highestHeld) == surviving)
                #expect(rpo.lostWrites == record.acknowledgedSeqs.filter { $0 > surviving }.count)

                // RPO: Firedrill measures disaster − acknowledgement of the newest surviving write;
                // Prometheus's gap is disaster − the scrape that holds it. The scrape came after that
                // acknowledgement and before the next write's, a canary period later.
                let gap = disaster - newestAt
                let every = record.scenario.canary!.every.seconds
                let measured = rpo.span.map { $0.value.seconds } ?? .nan
                print("kill-metrics-vms: RTO \(rto.value.secondsText), RPO \(String(format: "%.3f", measured))s; Prometheus's gap \(String(format: "%.3f", gap))s; newest sample seq \(surviving) of \(rpo.highestAcknowledgedSeq ?? 0)")
                if rpo.lostWrites > 0 {
                    // The scrape read the surviving write after it was stored and before the next one was:
                    // it lies between their acknowledgements (the next one's, at the latest).
                    let writes = (record.state.canary?.writes ?? []).filter(\.acknowledged)
                    let survivingWrite = writes.first { $0.seq == surviving }
                    let nextWrite = writes.first { $0.seq > surviving }
                    let ackS = try #require(survivingWrite).endedAt
                    let ackNext = try #require(nextWrite).endedAt
                    let window = (ackNext - ackS).seconds
                    #expect(measured - gap >= -0.1 && measured - gap <= window + 0.05,
                            "RPO \(measured)s vs Prometheus's gap \(gap)s: more apart than the \(window)s between the surviving write and the next")
                } else {
                    #expect(gap <= every + 1.5, "no write lost, yet Prometheus's newest sample is \(gap)s before the disaster")
                }
                // The step that measured the gap by query recorded the same figure.
                let stepGap = try #require(record.firstValue(ofStep: "the samples lost, by Prometheus's own timestamps"))
                #expect(abs(stepGap - gap) < 0.01, "the step recorded \(stepGap)s, the query now gives \(gap)s")

                // RTO: the restarted Prometheus started after the disaster, and scraped again before the
                // recovered mark, by its own records.
                // (Its first scrape of itself may come a moment after the run ended.)
                var started = 0.0
                for _ in 0..<40 where started <= disaster {
                    started = try await prometheus.vector("max_over_time(process_start_time_seconds{job=\"prometheus\"}[1h])").first ?? 0
                    if started <= disaster { try await Task.sleep(for: .milliseconds(250)) }
                }
                // process_start_time_seconds counts from the kernel's boot time, which /proc gives in whole
                // seconds: its resolution is 1 s.
                #expect(started > disaster - 1 && started < recovered, "restarted at \(started), disaster \(disaster), recovered \(recovered)")
                // The probe that first saw a new scrape ran from the recovered mark to its own end, and
                // Prometheus evaluated its query in between: the scrape it saw is no newer than that end
                // (and may be newer than the mark, which is why the mark's upper bound is the probe's end).
                let probe = try #require(record.firstPassingSample(of: "Prometheus scrapes again"))
                let probeEnd = Double(record.run.startedWallNs + probe.endedAt.nanoseconds) / 1e9
                let scrapedAgain = try #require(try await prometheus.vector("timestamp(up{job=\"app\"} @ \(probeEnd))").first)
                #expect(scrapedAgain > disaster && scrapedAgain <= probeEnd,
                        "scraped again at \(scrapedAgain), disaster \(disaster), the probe that saw it ran \(recovered) to \(probeEnd)")
                #expect(scrapedAgain - disaster <= rto.upper.seconds + 0.005, "RTO at most \(rto.upper), scraped again \(scrapedAgain - disaster)s after the disaster")
                #expect(abs(rto.value.seconds - (recovered - disaster)) < 0.01)
            }
        }
    }
}

/// An instant query against a real Prometheus, answering the values of a vector or scalar.
struct PrometheusQuery {
    var base: String

    func vector(_ query: String) async throws -> [Double] {
        var components = URLComponents(string: base + "/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: query)]
        let (data, _) = try await URLSession.shared.data(from: components.url!)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let result = (json["data"] as? [String: Any])?["result"]
        if let series = result as? [[String: Any]] {
            return series.compactMap { (($0["value"] as? [Any])?.last as? String).flatMap(Double.init) }
        }
        if let scalar = result as? [Any], let text = scalar.last as? String, let value = Double(text) { return [value] }
        return []
    }
}
