import FiredrillCore
@testable import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// Response bodies stream through the driver: it keeps the excerpt and the `body_contains`
/// verdict, counts the rest, and stops reading at `max_body`. Serialized: the memory tests
/// read this process's resident size.
@Suite("HTTPDriver response bodies", .serialized)
struct HTTPDriverBodyTests {
    let driver = HTTPDriver()
    /// Generous: suites running beside this one in the process allocate too (73 MiB was seen in
    /// a full run; buffering the 400 MiB body took 810 MiB). `HostileEndpointTests` bounds the
    /// orchestrator's own peak to 100 MB, in a process of its own.
    static let growthBound = 200 << 20

    @Test func anEndlessBodyStopsAtTheDefaultLimit() async throws {
        try await HTTPBodyServer.with { base in
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/endless", timeout: .seconds(60))),
                                              deadline: .none, limits: DriverLimits())
            #expect(report.verdict == .failed)
            #expect(report.summary.hasPrefix("HTTP 200 OK, but the response body passed its 1 MiB limit after "), "\(report.summary)")
            #expect(report.summary.hasSuffix("s; stopped reading"), "\(report.summary)")
            #expect(report.httpStatus == 200)
            let stdout = try #require(report.stdout)
            #expect(stdout.keptBytes == CapturedOutput.defaultLimit)
            #expect(stdout.totalBytes > 1 << 20 && stdout.totalBytes < (1 << 20) + (1 << 20), "\(stdout.totalBytes)")
        }
    }

    /// 512 MiB of an endless chunked body are read and counted; the orchestrator keeps 64 KiB.
    @Test func memoryStaysBoundedWhileAnEndlessBodyStreams() async throws {
        try await HTTPBodyServer.with { base in
            let http = ResolvedHTTP(method: "GET", url: base + "/endless", bodyContains: "never sent", timeout: .seconds(120), maxBody: 512 << 20)
            let (report, growth) = await Self.peakGrowth { await driver.perform(.http(http), deadline: .none, limits: DriverLimits()) }
            print("endless body: resident memory grew \(growth >> 20) MiB while \((report.stdout?.totalBytes ?? 0) >> 20) MiB came in")
            #expect(report.summary.contains("passed its 512 MiB limit"), "\(report.summary)")
            #expect((report.stdout?.totalBytes ?? 0) > 512 << 20)
            #expect(growth < Self.growthBound, "resident memory grew by \(growth >> 20) MiB")
        }
    }

    /// 400 MiB with a Content-Length, the needle in its last bytes: read whole, matched, 64 KiB kept.
    @Test func aLargeBodyIsReadWholeWithinBoundedMemory() async throws {
        try await HTTPBodyServer.with { base in
            let http = ResolvedHTTP(method: "GET", url: base + "/large", bodyContains: HTTPBodyServer.tail, timeout: .seconds(120),
                                    maxBody: 1 << 30)
            let (report, growth) = await Self.peakGrowth { await driver.perform(.http(http), deadline: .none, limits: DriverLimits()) }
            print("large body: resident memory grew \(growth >> 20) MiB over \(report.stdout?.totalBytes ?? 0) bytes")
            #expect(report.verdict == .passed, "\(report.summary)")
            #expect(report.summary == "HTTP 200 OK")
            #expect(report.stdout?.totalBytes == HTTPBodyServer.largeSize)
            #expect(report.stdout?.keptBytes == CapturedOutput.defaultLimit)
            #expect(growth < Self.growthBound, "resident memory grew by \(growth >> 20) MiB")
        }
    }

    @Test func aBodyAnnouncedOverTheLimitIsNotRead() async throws {
        try await HTTPBodyServer.with { base in
            let report = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/large", maxBody: 10 << 20)),
                                              deadline: .none, limits: DriverLimits())
            #expect(report.verdict == .failed)
            #expect(report.summary == "HTTP 200 OK, but the response body is 400 MiB (Content-Length), over its 10 MiB limit; not read",
                    "\(report.summary)")
            #expect((report.stdout?.totalBytes ?? 0) < 10 << 20)
        }
    }

    @Test func bodyContainsMatchesAcrossWritesOfTheServer() async throws {
        try await HTTPBodyServer.with { base in
            let found = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/split", bodyContains: "systems ready")),
                                             deadline: .none, limits: DriverLimits(outputBytes: 4))
            #expect(found.verdict == .passed, "\(found.summary)")
            #expect(found.stdout?.text == "all ")
            let absent = await driver.perform(.http(ResolvedHTTP(method: "GET", url: base + "/split", bodyContains: "systems down")),
                                              deadline: .none, limits: DriverLimits())
            #expect(absent.verdict == .failed)
        }
    }

    /// Every split of the body into two or three chunks finds the needle, wherever it falls.
    @Test func theWindowFindsANeedleSplitAnywhere() {
        let body = Array("....all systems ready....".utf8)
        for first in 0...body.count {
            for second in first...body.count {
                var window = HTTPBodyWindow(maxBody: 1 << 20, keep: 8, needle: "systems ready")
                for range in [0..<first, first..<second, second..<body.count] where !range.isEmpty {
                    _ = window.append(Data(body[range]))
                }
                #expect(window.found, "split at \(first), \(second)")
                #expect(window.totalBytes == body.count && window.excerpt.kept.count == 8)
            }
        }
        var missing = HTTPBodyWindow(maxBody: 1 << 20, keep: 8, needle: "systems ready")
        for byte in "systems read".utf8 { _ = missing.append(Data([byte])) }
        #expect(!missing.found)
    }

    @Test func theWindowStopsPastItsLimit() {
        var window = HTTPBodyWindow(maxBody: 10, keep: 4, needle: nil)
        let results = [10, 1, 100].map { window.append(Data(repeating: 1, count: $0)) }
        #expect(results == [true, false, false])
        #expect(window.totalBytes == 11 && window.passedLimit)
    }

    /// Runs `body` while sampling resident memory; its result and the peak growth over the start.
    static func peakGrowth<T: Sendable>(_ body: () async -> T) async -> (T, Int) {
        let start = ProcessUsage.residentBytes()
        let peak = Gauge(start)
        let sampler = Task {
            while !Task.isCancelled {
                peak.raise(to: ProcessUsage.residentBytes())
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let result = await body()
        sampler.cancel()
        _ = await sampler.value
        peak.raise(to: ProcessUsage.residentBytes())
        return (result, peak.value - start)
    }
}

/// A Hummingbird server with bodies too big to buffer: endless, very large, split in two.
enum HTTPBodyServer {
    static let largeSize = 400 << 20
    static let tail = "the-very-end"

    static func with(_ body: @Sendable (String) async throws -> Void) async throws {
        let streaming = Gauge(0)
        let router = Router()
        let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
        router.get("endless") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                streaming.add(1)
                defer { streaming.add(-1) }
                while true { try await writer.write(chunk) }
            })
        }
        router.get("large") { _, _ in
            Response(status: .ok, body: ResponseBody(contentLength: largeSize) { writer in
                streaming.add(1)
                defer { streaming.add(-1) }
                var left = largeSize - tail.utf8.count
                while left > 0 {
                    try await writer.write(left >= chunk.readableBytes ? chunk : chunk.getSlice(at: 0, length: left)!)
                    left -= min(left, chunk.readableBytes)
                }
                try await writer.write(ByteBuffer(string: tail))
                try await writer.finish(nil)
            })
        }
        router.get("split") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "all sys"))
                try await Task.sleep(for: .milliseconds(100))
                try await writer.write(ByteBuffer(string: "tems ready"))
                try await writer.finish(nil)
            })
        }
        // A handler still writing when the server stops crashes inside NIO: wait for the
        // driver's closed connection to end them.
        try await DriverTestSupport.serving(router, beforeStop: {
            let end = ContinuousClock.now + .seconds(10)
            while streaming.value > 0, ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
        }, body)
    }
}

/// An integer shared between tasks: handlers in flight, a peak.
final class Gauge: Sendable {
    private let state: Mutex<Int>
    init(_ value: Int) { state = Mutex(value) }
    var value: Int { state.withLock { $0 } }
    func add(_ delta: Int) { state.withLock { $0 += delta } }
    func raise(to candidate: Int) { state.withLock { $0 = max($0, candidate) } }
}
