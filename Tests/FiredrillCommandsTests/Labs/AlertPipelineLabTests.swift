import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension LabDrills {
    /// Lab 5, run for real: Debian's Prometheus evaluating the sample service's alert rules and
    /// Debian's Alertmanager routing them to webhook receivers this test runs on 127.0.0.1, driven
    /// by `scenarios/lab/alert-pipeline.yaml`. The time to detect Firedrill measured through the
    /// alerting chain is checked against Prometheus's own ALERTS / ALERTS_FOR_STATE series and
    /// Alertmanager's startsAt; the pages are checked at the receivers.
    @Suite(.serialized) struct AlertPipelineLabTests {
        static let lab = LabScenario(name: "alert-pipeline")
        static let unsilenced = ShippedScenarioTests.root + "/scenarios/lab/alert-pipeline-unsilenced.yaml"
        /// The lab's Prometheus scrapes and evaluates its rules every second.
        static let interval = 1.0

        struct Lab {
            var dir: String
            var db: String
            var prometheus: PrometheusQuery
            var alertmanager: String
        }

        /// `firedrill run` of `scenario`, the lab left up (keep_lab) for the test to question, the
        /// webhook receivers at `hooks`.
        static func drill(_ dir: String, scenario: String, hooks: WebhookReceiver, vars: [String] = [], quiet: Bool = true) async throws
            -> (FiredrillProcess.Finished, Lab) {
            let service = try #require(BuiltProducts.path(of: "firedrill-sample-service"))
            let (promPort, amPort, appPort) = (try LoopbackPort.free(), try LoopbackPort.free(), try LoopbackPort.free())
            let db = dir + "/firedrill.db"
            let finished = try await FiredrillProcess.run([
                "run", scenario, "--db", db,
                "--var", "service=\(service)", "--var", "lab=\(lab.script)", "--var", "dir=\(dir)/lab",
                "--var", "prom_port=\(promPort)", "--var", "am_port=\(amPort)", "--var", "app_port=\(appPort)",
                "--var", "webhook_p1=\(hooks.base)/oncall-p1", "--var", "webhook_p2=\(hooks.base)/oncall-p2", "--var", "keep_lab=yes",
            ] + vars.flatMap { ["--var", $0] } + (quiet ? ["--quiet"] : []), directory: dir)
            if quiet { print(finished.stdout) }
            return (finished, Lab(dir: dir, db: db, prometheus: PrometheusQuery(base: "http://127.0.0.1:\(promPort)"),
                                  alertmanager: "http://127.0.0.1:\(amPort)"))
        }

        static func cleanUp(_ dir: String) -> [[String]] {
            [[lab.script, "down", dir + "/lab/lab"], [BuiltProducts.path(of: "firedrill-sample-service") ?? "/bin/false", "stop", "--pidfile", dir + "/lab/app/service.pid"]]
        }

        /// What Prometheus recorded of SampleServiceDown and of the scrapes, in Unix seconds.
        struct PrometheusEvidence {
            /// The first failed scrape after the disaster (`up == 0`).
            var down: Double
            /// The first evaluation that found `up == 0`: the alert pending (`ALERTS{alertstate="pending"}`'s first sample).
            var pending: Double
            /// `ALERTS_FOR_STATE`: when the alert became active, as Prometheus keeps it across restarts (whole seconds).
            var activeSince: Double
            /// The first `ALERTS{alertstate="firing"}` sample: the evaluation at which it fired.
            var firing: Double

            init(_ prometheus: PrometheusQuery, after disaster: Double) async throws {
                let name = #"alertname="SampleServiceDown""#
                let up = try #require(try await prometheus.samples(#"up{job="app"}[10m]"#).first)
                // A scrape that started just before the kill can fail with it: a scrape of this tiny service takes milliseconds.
                down = try #require(up.first { $0.value == 0 && $0.at > disaster - 0.1 }?.at, "no failed scrape after the disaster: \(up)")
                pending = try #require(try await prometheus.samples("ALERTS{\(name),alertstate=\"pending\"}[10m]").first?.first?.at)
                firing = try #require(try await prometheus.samples("ALERTS{\(name),alertstate=\"firing\"}[10m]").first?.first?.at)
                activeSince = try #require(try await prometheus.samples("ALERTS_FOR_STATE{\(name)}[10m]").first?.first?.value)
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func theSilencedAlertIsSeenAndTimeToDetectIsPrometheussOwn() async throws {
            try await LabScenario.inFolder("lab-alerts", cleanUp: { Self.cleanUp($0) }) { dir in
                let hooks = try WebhookReceiver()
                defer { hooks.stop() }
                let (finished, lab) = try await Self.drill(dir, scenario: Self.lab.scenario, hooks: hooks, quiet: false)
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: lab.db, scenario: Self.lab.scenario))")

                let record = try LabRecord(db: lab.db, scenario: Self.lab.scenario)
                #expect(record.run.status == .completed)
                // The guard expected to fail held throughout: the console never calls its polls failures.
                #expect(!finished.stdout.contains("guard 'no P1 alert we did not cause'"), "\(finished.stdout)")
                #expect(finished.stdout.contains("time to detect"), "\(finished.stdout)")
                let disaster = try #require(record.wallSeconds(of: "disaster"))
                let detect = try #require(record.measurement.timeToDetect)
                let detection = try #require(record.measurement.detection)
                #expect(record.measurement.detectObjective?.verdict == .met && record.measurement.rtoObjective?.verdict == .met)

                // The alert that found the outage, as Alertmanager listed it: silenced by this drill's
                // silence, and still naming the receiver it would have paged.
                let silence = try #require(record.state.silence.created?.id)
                #expect(record.state.silence.expired?.report.passed == true)
                let alert = detection.alert
                #expect(alert.name == "SampleServiceDown" && alert.labels["severity"] == "critical")
                #expect(alert.state == "suppressed", "\(alert.summary)")
                #expect(alert.silencedBy == [silence])
                #expect(alert.receivers == ["oncall-p1"])
                // Alertmanager itself has that silence, the drill's: on job="app", expired at the end.
                let held = try #require(try await Self.json(lab.alertmanager + "/api/v2/silence/\(silence)") as? [String: Any])
                #expect((held["status"] as? [String: Any])?["state"] as? String == "expired")
                #expect(held["createdBy"] as? String == "firedrill")
                let matchers = held["matchers"] as? [[String: Any]] ?? []
                #expect(matchers.count == 1 && matchers.first?["name"] as? String == "job" && matchers.first?["value"] as? String == "app")
                // And nobody was paged: the receivers saw no page for oncall-p1 while the drill ran.
                #expect(hooks.posts(to: "/oncall-p1").isEmpty, "\(hooks.posts(to: "/oncall-p1"))")

                // Prometheus's own record of the chain: the first failed scrape, the evaluation that
                // found it (pending), the one that fired it `for` later.
                let evidence = try await PrometheusEvidence(lab.prometheus, after: disaster)
                let startsAt = Double(try #require(alert.startsAtNs)) / 1e9
                // Prometheus sends an alert with startsAt = the evaluation that fired it, the one that
                // wrote its first firing sample; Alertmanager keeps it (to the millisecond it prints).
                #expect(abs(startsAt - evidence.firing) < 0.0015, "Alertmanager's startsAt \(startsAt), Prometheus's first firing sample \(evidence.firing)")
                // ALERTS_FOR_STATE holds the active-since time in whole seconds; the first pending sample has it to the millisecond.
                #expect(evidence.activeSince == evidence.pending.rounded(.down), "ALERTS_FOR_STATE \(evidence.activeSince), first pending \(evidence.pending)")
                // `for: 2s` on a 1 s evaluation grid: it fires on the evaluation 2 s after it went
                // pending, or one later if an evaluation was missed under load.
                let held2s = evidence.firing - evidence.pending
                #expect(held2s >= 2 - 0.001 && held2s <= 2 + Self.interval + 0.001, "pending at \(evidence.pending), firing at \(evidence.firing)")
                // The kill came first; the next scrape failed within a scrape interval; the next
                // evaluation found it within an evaluation interval (plus the scrape's own milliseconds,
                // which it may not yet have seen).
                #expect(evidence.down - disaster <= Self.interval + 0.1, "disaster \(disaster), first failed scrape \(evidence.down)")
                #expect(evidence.pending > evidence.down && evidence.pending - evidence.down <= Self.interval + 0.25,
                        "first failed scrape \(evidence.down), pending from \(evidence.pending)")

                // Time to detect: Firedrill's figure is Alertmanager's startsAt − the disaster, so
                // Prometheus's own figure (its first firing sample − the disaster) up to the two
                // readings of the disaster's wall time; within the bounds, which the probe that saw
                // it closes from above, a probe period (250 ms) and the poll's milliseconds later.
                let prometheusFigure = evidence.firing - disaster
                print("alert-pipeline: time to detect \(detect.value.secondsText) (\(detect.lower.secondsText)–\(detect.upper.secondsText)); Prometheus's \(String(format: "%.3f", prometheusFigure))s: failed scrape +\(String(format: "%.3f", evidence.down - disaster))s, pending +\(String(format: "%.3f", evidence.pending - disaster))s, firing +\(String(format: "%.3f", prometheusFigure))s; RTO \(record.measurement.rto?.value.secondsText ?? "?")")
                #expect(abs(detect.value.seconds - prometheusFigure) < 0.01, "Firedrill \(detect.value.seconds)s, Prometheus \(prometheusFigure)s")
                #expect(detect.lower <= detect.value && detect.value <= detect.upper)
                #expect(detect.upper.seconds - detect.value.seconds <= 0.25 + 0.15, "seen \(detect.upper.seconds - detect.value.seconds)s after it fired")
                #expect(prometheusFigure >= 2 && prometheusFigure <= 2 + 3 * Self.interval + 0.25)

                // The report says it in words, the alerts seen by priority; history has the figures.
                let report = try await Self.markdown(record.run.id, lab: lab)
                #expect(report.contains("SampleServiceDown") && report.contains("(severity critical, P1) fired")
                        && report.contains("suppressed by this drill's silence, would have paged") && report.contains("oncall-p1"), "\(report)")
                #expect(report.contains("| P1 | `SampleServiceDown` | critical |") && report.contains("| P2 | `SampleServiceFlapping` | warning |"), "\(report)")
                let history = try await Self.history(lab)
                #expect(history["detected_by"] as? String == "SampleServiceDown")
                #expect(history["detect_objective"] as? String == "met")
                #expect(abs((Self.number(history["detect_seconds"]) ?? 0) - detect.value.seconds) < 0.001)
                // No guard tripped: no P1 but the drill's own fired, and the heartbeat kept arriving.
                #expect(record.state.guardTrip == nil)
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func withoutTheDrillsSilenceThePageReallyGoesToOncallP1() async throws {
            try await LabScenario.inFolder("lab-alerts-paged", cleanUp: { Self.cleanUp($0) }) { dir in
                let hooks = try WebhookReceiver()
                defer { hooks.stop() }
                let (finished, lab) = try await Self.drill(dir, scenario: Self.unsilenced, hooks: hooks)
                #expect(finished.status == 0, "\(finished.output)\(LabRecord.failedSteps(db: lab.db, scenario: Self.unsilenced))")

                let record = try LabRecord(db: lab.db, scenario: Self.unsilenced)
                #expect(record.state.silence.created == nil)
                let detection = try #require(record.measurement.detection)
                #expect(detection.alert.name == "SampleServiceDown")
                #expect(detection.alert.state == "active" && detection.alert.silencedBy.isEmpty, "\(detection.alert.summary)")
                #expect(detection.alert.receivers == ["oncall-p1"])

                // The page, as Alertmanager POSTed it to the webhook receiver oncall-p1.
                let pages = hooks.posts(to: "/oncall-p1")
                let page = try #require(pages.first { $0.status == "firing" }, "oncall-p1 got: \(pages)")
                #expect(page.receiver == "oncall-p1")
                let paged = try #require(page.alerts.first { $0.labels["alertname"] == "SampleServiceDown" }, "\(page.alerts)")
                #expect(paged.labels["severity"] == "critical" && paged.labels["job"] == "app")
                // The webhook carries Prometheus's startsAt to the nanosecond; the API prints it to the millisecond.
                let pagedNs = try #require(WallTime.parseRFC3339(paged.startsAt)?.ns, "\(paged.startsAt)")
                let seenNs = try #require(detection.alert.startsAtNs)
                #expect(pagedNs - seenNs >= 0 && pagedNs - seenNs < 1_000_000, "the page says \(paged.startsAt), the drill saw \(detection.alert.startsAt)")
                // group_wait 0s: it went out at once, once Prometheus had sent the alert it fired.
                let startsAt = Double(seenNs) / 1e9
                #expect(page.receivedAt >= startsAt && page.receivedAt - startsAt < 1.5, "fired at \(startsAt), page received at \(page.receivedAt)")
                // The P2 the restart raised went to oncall-p2 (it may arrive a moment after the drill
                // saw it listed), and no P1 went there.
                let flapping = try await hooks.waitFor("/oncall-p2") { post in
                    post.receiver == "oncall-p2" && post.alerts.contains { $0.labels["alertname"] == "SampleServiceFlapping" && $0.status == "firing" }
                }
                #expect(flapping, "\(hooks.posts(to: "/oncall-p2"))")
                #expect(!hooks.posts(to: "/oncall-p2").contains { $0.alerts.contains { $0.labels["severity"] == "critical" } })
                // The resolution follows (send_resolved), a group interval (1 s) after it resolved.
                let resolved = try await hooks.waitFor("/oncall-p1") { post in
                    post.alerts.contains { $0.labels["alertname"] == "SampleServiceDown" && $0.status == "resolved" }
                }
                #expect(resolved, "\(hooks.posts(to: "/oncall-p1"))")
                print("alert-pipeline-unsilenced: time to detect \(record.measurement.timeToDetect?.value.secondsText ?? "?"); page received \(String(format: "%.3f", page.receivedAt - startsAt))s after startsAt")

                let report = try await Self.markdown(record.run.id, lab: lab)
                #expect(report.contains("(severity critical, P1) fired") && report.contains("paging") && report.contains("oncall-p1"), "\(report)")
                #expect(!report.contains("suppressed by this drill's silence"))
            }
        }

        @Test(.enabled(if: lab.missing == nil, lab.skipComment))
        func aRuleWaitingLongerThanTheDetectObjectiveMissesIt() async throws {
            try await LabScenario.inFolder("lab-alerts-slow", cleanUp: { Self.cleanUp($0) }) { dir in
                let hooks = try WebhookReceiver()
                defer { hooks.stop() }
                let (finished, lab) = try await Self.drill(dir, scenario: Self.lab.scenario, hooks: hooks, vars: ["for=15s"])
                // Completed, an objective missed: exit 1.
                #expect(finished.status == 1, "\(finished.output)\(LabRecord.failedSteps(db: lab.db, scenario: Self.lab.scenario))")
                let record = try LabRecord(db: lab.db, scenario: Self.lab.scenario)
                #expect(record.run.status == .completed)
                let detect = try #require(record.measurement.timeToDetect)
                #expect(record.measurement.detectObjective?.verdict == .missed)
                #expect(record.measurement.rtoObjective?.verdict == .met)
                #expect(detect.lower.seconds > 10, "\(detect.lower)")
                // It is the rule's `for` that made it late, by Prometheus's own record.
                let disaster = try #require(record.wallSeconds(of: "disaster"))
                let evidence = try await PrometheusEvidence(lab.prometheus, after: disaster)
                let held = evidence.firing - evidence.pending
                #expect(held >= 15 - 0.001 && held <= 15 + Self.interval + 0.001, "pending at \(evidence.pending), firing at \(evidence.firing)")
                #expect(abs(detect.value.seconds - (evidence.firing - disaster)) < 0.01)
                let history = try await Self.history(lab)
                #expect(history["detect_objective"] as? String == "missed")
                #expect(history["detected_by"] as? String == "SampleServiceDown")
                let seconds = try #require(Self.number(history["detect_seconds"]))
                #expect(seconds > 15)
                print("alert-pipeline for=15s: time to detect \(detect.value.secondsText) against 10s: missed")
                let report = try await Self.markdown(record.run.id, lab: lab)
                #expect(report.contains("Time to detect objective missed"), "\(report)")
            }
        }

        @Test func theUnsilencedVariantIsTheSameDrillWithoutTheSilence() throws {
            // Everything from `objectives:` on, with the silence block taken out, is the same text.
            func body(_ path: String) throws -> [Substring] {
                let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                var kept: [Substring] = []
                var inSilence = false
                for line in lines.drop(while: { !$0.hasPrefix("objectives:") }) {
                    if line.hasPrefix("silence:") { inSilence = true; continue }
                    if inSilence, line.hasPrefix(" ") { continue }
                    inSilence = false
                    kept.append(line)
                }
                return kept
            }
            let silenced = try body(Self.lab.scenario)
            let unsilenced = try body(Self.unsilenced)
            #expect(!silenced.isEmpty && silenced == unsilenced)
            #expect(try String(contentsOfFile: Self.lab.scenario, encoding: .utf8).contains("\nsilence:\n"))
        }

        /// A JSON number, whichever type Foundation read it as.
        static func number(_ value: Any?) -> Double? {
            if let double = value as? Double { return double }
            if let int = value as? Int { return Double(int) }
            return (value as? NSNumber)?.doubleValue
        }

        static func json(_ url: String) async throws -> Any {
            let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: url)))
            return try JSONSerialization.jsonObject(with: data)
        }

        /// `firedrill report RUN --format md`, read back.
        static func markdown(_ run: String, lab: Lab) async throws -> String {
            let rendered = try await FiredrillProcess.run(["report", run, "--db", lab.db, "--format", "md"], directory: lab.dir)
            #expect(rendered.status == 0, "\(rendered.output)")
            let path = rendered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return try String(contentsOfFile: path.hasPrefix("/") ? path : lab.dir + "/" + path, encoding: .utf8)
        }

        /// The newest run of `firedrill history --json`.
        static func history(_ lab: Lab) async throws -> [String: Any] {
            let listed = try await FiredrillProcess.run(["history", "--db", lab.db, "--json"], directory: lab.dir)
            #expect(listed.status == 0, "\(listed.output)")
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
            return try #require(runs.first)
        }
    }
}

extension PrometheusQuery {
    /// A range selector's raw samples, per series: `[(at, value)]` in order.
    func samples(_ query: String) async throws -> [[(at: Double, value: Double)]] {
        var components = URLComponents(string: base + "/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: query)]
        let (data, _) = try await URLSession.shared.data(from: components.url!)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let series = ((json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return series.map { one in
            ((one["values"] as? [[Any]]) ?? []).compactMap { pair in
                guard pair.count == 2, let at = LabDrills.AlertPipelineLabTests.number(pair[0]), let value = (pair[1] as? String).flatMap(Double.init) else { return nil }
                return (at, value)
            }
        }
    }
}

/// Webhook receivers on 127.0.0.1, as the on-call tooling would be: every POST Alertmanager
/// makes, with its path, its JSON (receiver, status, alerts) and when it arrived.
final class WebhookReceiver: @unchecked Sendable {
    struct Post: CustomStringConvertible {
        struct Alert {
            var status: String
            var labels: [String: String]
            var startsAt: String
        }
        var path: String
        var receiver: String
        var status: String
        var alerts: [Alert]
        /// Unix seconds.
        var receivedAt: Double
        var description: String { "\(path) \(receiver) \(status) \(alerts.map { "\($0.labels["alertname"] ?? "?") \($0.status)" })" }
    }

    private let lock = NSLock()
    private var received: [Post] = []
    private var server: LoopbackTCPServer!

    init() throws {
        server = try LoopbackTCPServer { [weak self] connection in
            let request = connection.readRequest()
            let receivedAt = Date().timeIntervalSince1970
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            guard let self, let post = Self.read(request, at: receivedAt) else { return }
            lock.withLock { received.append(post) }
        }
    }

    var base: String { server.base }
    func stop() { server.stop() }

    func posts(to path: String) -> [Post] { lock.withLock { received.filter { $0.path == path } } }

    /// Whether a POST to `path` satisfying `matches` arrives within 5 s.
    func waitFor(_ path: String, _ matches: (Post) -> Bool) async throws -> Bool {
        for _ in 0..<50 {
            if posts(to: path).contains(where: matches) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func read(_ request: [UInt8], at receivedAt: Double) -> Post? {
        guard let end = LoopbackTCPConnectionHead.end(of: request) else { return nil }
        let head = String(decoding: request[..<end], as: UTF8.self)
        let words = head.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0] == "POST",
              let json = try? JSONSerialization.jsonObject(with: Data(request[end...])) as? [String: Any] else { return nil }
        let alerts = (json["alerts"] as? [[String: Any]] ?? []).map {
            Post.Alert(status: $0["status"] as? String ?? "", labels: $0["labels"] as? [String: String] ?? [:], startsAt: $0["startsAt"] as? String ?? "")
        }
        return Post(path: String(words[1]), receiver: json["receiver"] as? String ?? "", status: json["status"] as? String ?? "",
                    alerts: alerts, receivedAt: receivedAt)
    }
}

/// Where an HTTP request's head ends (after the blank line).
enum LoopbackTCPConnectionHead {
    static func end(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
