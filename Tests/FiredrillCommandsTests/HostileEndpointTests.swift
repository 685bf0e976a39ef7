import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// Endpoints that hang, through the real `firedrill`: waiting on them must cost no CPU.
@Suite(.serialized) struct HostileEndpointTests {
    /// The orchestrator's own CPU time is read by a step's shell from `/proc/$PPID/stat`
    /// before and after the hanging request: in the test process, beside other suites, the
    /// CPU of the whole process would measure them too.
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
        let db = dir + "/record.db"
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", db, "--quiet"], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        let (_, _, machine) = try SafetyTests.onlyRun(db)
        let attempts = machine.state.attempts
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
}
