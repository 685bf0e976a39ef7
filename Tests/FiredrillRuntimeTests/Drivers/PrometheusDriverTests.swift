import FiredrillCore
import FiredrillRuntime
import Foundation
import Hummingbird
import Testing

/// The `prometheus` probe against a real Prometheus (Debian's package) on 127.0.0.1, and its
/// authentication headers against a local stand-in.
@Suite(.serialized) struct PrometheusDriverTests {
    static let binary = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let driver = PrometheusDriver()

    func probe(_ base: String, _ query: String, _ expect: String, bearer: String? = nil, user: String? = nil) -> ResolvedAction {
        .prometheus(ResolvedPrometheus(url: base, query: query, expect: PromExpectation(parsing: expect)!, basicUser: user,
                                       basicPassword: user.map { _ in "pa:ss" }, bearerToken: bearer, timeout: .seconds(5)))
    }

    /// A Prometheus scraping itself every second, in a folder of its own; stopped after `body`.
    static func withPrometheus(_ body: (String) async throws -> Void) async throws {
        // Ready once its own first scrape is queryable.
        try await DriverTestSupport.withLoopbackServer(try #require(binary), named: "prom", readyWithin: .seconds(60), arguments: { dir, port in
            try """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: prometheus
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
            return ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)"]
        }, isReady: { base in
            await PrometheusDriver().perform(.prometheus(ResolvedPrometheus(url: base, query: "up", expect: .init())),
                                             deadline: .none, limits: DriverLimits()).passed
        }, body)
    }

    @Test(.enabled(if: binary != nil, "prometheus is not installed: apt-get install prometheus"))
    func queriesARealPrometheus() async throws {
        try await Self.withPrometheus { base in
            let up = await driver.perform(probe(base, #"up{job="prometheus"}"#, "> 0"), deadline: .none, limits: DriverLimits())
            #expect(up.verdict == .passed, "\(up.summary)")
            #expect(up.summary == "1 result (1); expected > 0")

            let equal = await driver.perform(probe(base, "scalar(up)", "== 1"), deadline: .none, limits: DriverLimits())
            #expect(equal.verdict == .passed, "\(equal.summary)")

            let down = await driver.perform(probe(base, "up == 0", "count > 0"), deadline: .none, limits: DriverLimits())
            #expect(down.verdict == .failed)
            #expect(down.summary == "no data; expected count > 0")

            let missing = await driver.perform(probe(base, "firedrill_no_such_metric", "> 0"), deadline: .none, limits: DriverLimits())
            #expect(missing.verdict == .failed)
            #expect(missing.summary == "no data; expected > 0")
            let absent = await driver.perform(probe(base, "firedrill_no_such_metric", "count == 0"), deadline: .none, limits: DriverLimits())
            #expect(absent.verdict == .passed)

            let wrong = await driver.perform(probe(base, "up < 0.5", "count == 1"), deadline: .none, limits: DriverLimits())
            #expect(wrong.verdict == .failed)

            let bad = await driver.perform(probe(base, "up{", "> 0"), deadline: .none, limits: DriverLimits())
            #expect(bad.verdict == .failed)
            #expect(bad.summary.hasPrefix("query failed: bad_data: "), "\(bad.summary)")
        }
    }

    @Test func sendsBearerOrBasicAuthAndReadsScalars() async throws {
        let router = Router()
        router.get("api/v1/query") { request, _ -> Response in
            let auth = request.headers.first { $0.name.canonicalName == "authorization" }?.value ?? ""
            let ok = auth == "Bearer t0ken" || auth == "Basic " + Data("ops:pa:ss".utf8).base64EncodedString()
            let body = ok ? #"{"status":"success","data":{"resultType":"scalar","result":[1700000000.1,"3"]}}"#
                          : #"{"status":"error","errorType":"unauthorized","error":"no auth"}"#
            return Response(status: ok ? .ok : .badRequest, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        try await DriverTestSupport.serving(router) { base in
            let bearer = await driver.perform(probe(base, "x", ">= 3", bearer: "t0ken"), deadline: .none, limits: DriverLimits())
            #expect(bearer.verdict == .passed, "\(bearer.summary)")
            let basic = await driver.perform(probe(base, "x", "== 3", user: "ops"), deadline: .none, limits: DriverLimits())
            #expect(basic.verdict == .passed, "\(basic.summary)")
            let none = await driver.perform(probe(base, "x", "== 3"), deadline: .none, limits: DriverLimits())
            #expect(none.verdict == .failed)
            #expect(none.summary == "query failed: unauthorized: no auth")
        }
    }

    /// The excerpt recorded is cut by bytes, like captured output, not by characters.
    @Test func theExcerptIsBoundedInBytes() async throws {
        let router = Router()
        let body = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"l":"\#(String(repeating: "é", count: 50))"},"value":[1,"1"]}]}}"#
        router.get("api/v1/query") { _, _ -> Response in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: body))) }
        try await DriverTestSupport.serving(router) { base in
            let report = await driver.perform(probe(base, "x", "== 1"), deadline: .none, limits: DriverLimits(outputBytes: 101))
            #expect(report.verdict == .passed, "\(report.summary)")
            let excerpt = try #require(report.stdout)
            // 101 bytes end inside an "é": the half is dropped.
            let kept = body.utf8.prefix(100)
            #expect(excerpt.keptBytes == 100)
            #expect(excerpt.totalBytes == body.utf8.count)
            #expect(excerpt.text == String(decoding: kept, as: UTF8.self))
        }
    }

    /// The JSON is parsed whole, so a response past `max_body` is refused, not parsed in part.
    @Test func aResponsePastMaxBodyIsRefused() async throws {
        let router = Router()
        router.get("api/v1/query") { _, _ -> Response in
            let series = Array(repeating: #"{"metric":{},"value":[1700000000.1,"1"]}"#, count: 200).joined(separator: ",")
            let body = #"{"status":"success","data":{"resultType":"vector","result":["# + series + "]}}"
            return Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: body))
                try await writer.finish(nil)
            })
        }
        try await DriverTestSupport.serving(router) { base in
            let whole = await driver.perform(probe(base, "up", "count == 200"), deadline: .none, limits: DriverLimits())
            #expect(whole.verdict == .passed, "\(whole.summary)")
            guard var small = probe(base, "up", "count == 200").as(ResolvedPrometheus.self) else { return }
            small.maxBody = 1024
            let cut = await driver.perform(.prometheus(small), deadline: .none, limits: DriverLimits())
            #expect(cut.verdict == .error)
            #expect(cut.summary.hasPrefix("HTTP 200 OK, but the response body passed its 1 KiB limit after "), "\(cut.summary)")
            #expect(cut.summary.hasSuffix("; stopped reading; narrow the query or raise max_body"), "\(cut.summary)")
        }
    }

    @Test func expectationsParse() {
        #expect(PromExpectation(parsing: "> 0") == PromExpectation(subject: .value, comparison: .greater, number: 0))
        #expect(PromExpectation(parsing: "count>=2") == PromExpectation(subject: .count, comparison: .greaterOrEqual, number: 2))
        #expect(PromExpectation(parsing: "== 0.5")?.description == "== 0.5")
        #expect(PromExpectation(parsing: "about 3") == nil)
        #expect(PromExpectation(parsing: "> lots") == nil)
    }
}
