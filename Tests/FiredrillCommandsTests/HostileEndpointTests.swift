import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// Hostile endpoints through the real `firedrill`: waiting on one costs no CPU, and an endless
/// or huge body no more memory than the excerpt the record keeps. Measured by a step's shell
/// from `/proc/$PPID`: in the test process, beside other suites, they would be measured too.
@Suite(.serialized) struct HostileEndpointTests {
    /// Runs the scenario through the real binary (it must complete) and returns its attempts as recorded.
    static func attempts(running scenario: String, in dir: String) async throws -> [RunState.Attempt] {
        let db = dir + "/record.db"
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", db, "--quiet"], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        return try SafetyTests.onlyRun(db).2.state.attempts
    }

    /// The orchestrator's CPU time (`/proc/$PPID/stat`) before and after each hang.
    @Test func waitingOnAHangingServerCostsNoCPU() async throws {
        let dir = try temporaryFolder("firedrill-hang")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Accepts and never answers (the HTTP request) and, past a full backlog, never even
        // completes the TCP connect.
        let silent = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            connection.hold(upTo: .seconds(30))
        }
        defer { silent.stop() }
        let backlog = try LoopbackTCPServer.unaccepted()
        defer { backlog.stop() }
        // Fields 14 and 15 of stat: user and system time, in clock ticks.
        try #"printf '%s\n' "$(cat /proc/$PPID/comm) $(cut -d' ' -f14,15 /proc/$PPID/stat)""#
            .write(toFile: dir + "/stat.sh", atomically: true, encoding: .utf8)
        let stat = "run: [sh, \(dir)/stat.sh]"
        let scenario = try SafetyTests.write("""
            firedrill: 1
            name: hang-drill
            phases:
              - name: hang
                steps:
                  - {name: before http, \(stat)}
                  - name: hanging GET
                    http: {url: "\(silent.base)/health", timeout: 5s}
                    on_failure: continue
                  - {name: after http, \(stat)}
                  - name: hanging connect
                    tcp: {address: "127.0.0.1:\(backlog.port)", timeout: 5s}
                    on_failure: continue
                  - {name: after tcp, \(stat)}
            """, in: dir, name: "hang")
        let attempts = try await Self.attempts(running: scenario, in: dir)
        func attempt(_ name: String) throws -> RunState.Attempt { try #require(attempts.first { $0.stepName == name }) }
        let hang = try #require(try attempt("hanging GET").report)
        #expect(hang.summary.hasPrefix("timed out after 5"), "\(hang.summary)")
        let connect = try #require(try attempt("hanging connect").report)
        #expect(connect.summary.contains("timed out after 5"), "\(connect.summary)")

        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let readings = try ["before http", "after http", "after tcp"].map { name in
            let text = try #require(try attempt(name).report?.stdout?.text)
            let words = text.split(whereSeparator: \.isWhitespace)
            try #require(words.count == 3 && words[0] == "firedrill", "not the orchestrator's stat: \(text)")
            return (Double(words[1])! + Double(words[2])!) / ticks
        }
        for (name, cpu) in [("hanging GET", readings[1] - readings[0]), ("hanging connect", readings[2] - readings[1])] {
            let waited = try attempt(name)
            let wall = Double((waited.endedAt?.nanoseconds ?? 0) - waited.startedAt.nanoseconds) / 1e9
            print("\(name): \(cpu) s of CPU over \(wall) s waiting")
            // A generous bound: idle waiting costs milliseconds; the spin took a whole core.
            #expect(wall >= 4.5 && cpu < 0.2 * wall, "\(name) used \(cpu) s of CPU in \(wall) s")
        }
    }

    /// VmHWM is the orchestrator's peak resident size, so a peak between two readings counts.
    @Test func anEndlessOrHugeBodyKeepsTheOrchestratorsMemoryBounded() async throws {
        let dir = try temporaryFolder("firedrill-bodies")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let block = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
        let endless = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            guard connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") else { return }
            let chunk = Array("10000\r\n".utf8) + block + Array("\r\n".utf8)
            while !connection.isStopped, connection.write(chunk) {}
        }
        defer { endless.stop() }
        let size = 400 << 20
        let huge = try LoopbackTCPServer { connection in
            _ = connection.readRequest()
            guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n") else { return }
            for _ in 0..<(size / block.count - 1) where !connection.isStopped { if !connection.write(block) { return } }
            connection.write(block.dropLast(12) + Array("the-very-end".utf8))
        }
        defer { huge.stop() }
        try #"printf '%s %s\n' "$(cat /proc/$PPID/comm)" "$(awk '/^VmHWM/ {print $2}' /proc/$PPID/status)""#
            .write(toFile: dir + "/peak.sh", atomically: true, encoding: .utf8)
        let peak = "run: [sh, \(dir)/peak.sh]"
        let scenario = try SafetyTests.write("""
            firedrill: 1
            name: body-drill
            phases:
              - name: bodies
                steps:
                  - {name: before, \(peak)}
                  - name: endless body
                    http: {url: "\(endless.base)/", max_body: 512MiB, timeout: 120s}
                    on_failure: continue
                  - {name: after endless, \(peak)}
                  - name: huge body
                    http: {url: "\(huge.base)/", max_body: 1GiB, body_contains: the-very-end, timeout: 120s}
                  - {name: after huge, \(peak)}
            """, in: dir, name: "bodies")
        let attempts = try await Self.attempts(running: scenario, in: dir)
        func attempt(_ name: String) throws -> RunState.Attempt { try #require(attempts.first { $0.stepName == name }) }
        let endlessReport = try #require(try attempt("endless body").report)
        #expect(endlessReport.summary.hasPrefix("HTTP 200 OK, but the response body passed its 512 MiB limit after "), "\(endlessReport.summary)")
        #expect((endlessReport.stdout?.totalBytes ?? 0) > 512 << 20)
        let hugeReport = try #require(try attempt("huge body").report)
        #expect(hugeReport.verdict == .passed && hugeReport.stdout?.totalBytes == size, "\(hugeReport.summary)")

        let peaks = try ["before", "after endless", "after huge"].map { name in
            let text = try #require(try attempt(name).report?.stdout?.text)
            let words = text.split(whereSeparator: \.isWhitespace)
            try #require(words.count == 2 && words[0] == "firedrill", "not the orchestrator's status: \(text)")
            return Int(words[1])! * 1024
        }
        print("orchestrator's peak resident memory: \(peaks[0] >> 20) MiB before, \(peaks[1] >> 20) MiB after 512 MiB endless, \(peaks[2] >> 20) MiB after 400 MiB")
        #expect(peaks[2] - peaks[0] < 100 << 20, "the peak grew from \(peaks[0] >> 20) MiB to \(peaks[2] >> 20) MiB")
    }
}
