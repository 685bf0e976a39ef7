import FiredrillSampleService
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("HTTP endpoints and durability")
struct WriteEndpointTests {
    @Test("acknowledged writes are on disk and survive SIGKILL; a restarted process serves them")
    func acknowledgedWritesSurviveKill() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, port) = try await sandbox.serve()

        let health = try ServiceSandbox.http("GET", "/health", port: port)
        #expect(health.status == 200)
        #expect(health.body == "ok")
        #expect(try ServiceSandbox.http("GET", "/latest", port: port).body == "0")

        for seq in 1...20 {
            let reply = try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port)
            #expect(reply.status == 200)
            #expect(reply.body == "ok \(seq)")
            // Acknowledged means already appended: the file holds the seq before we send the next one.
            #expect(try sandbox.storedSeqs().last == seq)
        }
        #expect(try ServiceSandbox.http("GET", "/latest", port: port).body == "20")
        // The same figure for Prometheus to scrape.
        let metrics = try ServiceSandbox.http("GET", "/metrics", port: port)
        #expect(metrics.status == 200)
        #expect(metrics.body.split(separator: "\n").contains("firedrill_sample_latest_seq 20"))

        service.signal(SIGKILL)
        try await service.waitForExit()
        #expect(try sandbox.storedSeqs() == Array(1...20))
        let acked = try sandbox.events().filter { $0.event == "write" }.compactMap(\.seq)
        #expect(acked == Array(1...20))

        let (restarted, newPort) = try await sandbox.serve()
        #expect(try ServiceSandbox.http("GET", "/latest", port: newPort).body == "20")
        restarted.signal(SIGTERM)
        try await restarted.waitForExit()
    }

    @Test("a missing, non-integer or negative seq is a 400 and writes nothing")
    func badSeqIsRejected() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, port) = try await sandbox.serve()

        #expect(try ServiceSandbox.http("POST", "/write?seq=7", port: port).status == 200)
        for target in ["/write", "/write?seq=", "/write?seq=abc", "/write?seq=1.5", "/write?seq=-3", "/write?other=9"] {
            #expect(try ServiceSandbox.http("POST", target, port: port).status == 400, "\(target)")
        }
        #expect(try ServiceSandbox.http("GET", "/latest", port: port).body == "7")
        #expect(try sandbox.storedSeqs() == [7])

        service.signal(SIGTERM)
        try await service.waitForExit()
    }

    @Test("/latest is the highest seq, not the last one written")
    func latestIsHighest() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, port) = try await sandbox.serve()

        for seq in [3, 9, 4] {
            #expect(try ServiceSandbox.http("POST", "/write?seq=\(seq)", port: port).status == 200)
        }
        #expect(try ServiceSandbox.http("GET", "/latest", port: port).body == "9")

        service.signal(SIGTERM)
        try await service.waitForExit()
    }

    @Test("SIGTERM stops gracefully: `stopping` is logged last and the pidfile is removed")
    func sigtermStopsGracefully() async throws {
        let sandbox = try ServiceSandbox()
        defer { sandbox.tearDown() }
        let (service, _) = try await sandbox.serve()
        let pidText = try String(contentsOfFile: sandbox.pidfile, encoding: .utf8)
        #expect(pidText.trimmingCharacters(in: .whitespacesAndNewlines) == String(service.pid))

        service.signal(SIGTERM)
        let status = try await service.waitForExit()
        #expect(status == 0)
        let own = try sandbox.events().filter { $0.pid == service.pid }
        #expect(own.first?.event == "started")
        #expect(own.last?.event == "stopping")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pidfile))
    }
}
