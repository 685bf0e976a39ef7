import AsyncHTTPClient
import FiredrillRuntime
import Foundation
import NIOCore

/// How soon `firedrill serve`'s live stream shows each event (issue 13: within 1 s): a drill of
/// short steps run by one `firedrill` process, watched through `/runs/ID/events` served by
/// another, each snapshot's arrival set against its newest event's recorded wall time.
extension Benchmark {
    static func sayServe(runs: Int, dir: String) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let firedrill = (exe as NSString).deletingLastPathComponent + "/firedrill"
        let steps = (1...10).map { "      - {name: step \($0), sleep: 200ms}" }.joined(separator: "\n")
        try """
            firedrill: 1
            name: live
            phases:
              - name: all
                steps:
                  - {name: break it, run: ["true"], mark: disaster}
            \(steps)
                  - {name: mend it, run: ["true"], mark: recovered}
            """.write(toFile: dir + "/live.yaml", atomically: true, encoding: .utf8)
        let db = dir + "/live.db"
        let store = try SQLiteStore(path: db)
        let secret = TokenSecret.generate()
        _ = try store.createToken(name: "bench", role: .viewer, hash: TokenSecret.hash(secret), wallNs: SystemClock().now().wallNs)
        let port = try LoopbackPort.free()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: firedrill)
        serve.arguments = ["serve", dir, "--listen", "127.0.0.1:\(port)", "--db", db]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { serve.terminate(); serve.waitUntilExit() }
        let client = HTTPClient.shared
        for _ in 0..<100 {
            if let answer = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)),
               answer.status == .ok { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        var latencies: [Double] = []
        for _ in 0..<runs {
            let drill = Process()
            drill.executableURL = URL(fileURLWithPath: firedrill)
            drill.arguments = ["run", dir + "/live.yaml", "--quiet", "--db", db]
            drill.standardOutput = FileHandle.nullDevice
            drill.standardError = FileHandle.nullDevice
            let known = Set(try store.runs(scenario: "live").map(\.id))
            try drill.run()
            var runID: String?
            while runID == nil {
                runID = try store.runs(scenario: "live").map(\.id).first { !known.contains($0) }
                if runID == nil { try await Task.sleep(for: .milliseconds(5)) }
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/runs/\(runID!)/events")
            request.headers.add(name: "Authorization", value: "Bearer \(secret)")
            let response = try await client.execute(request, timeout: .seconds(60))
            var arrivals: [(events: Int, wallNs: Int64)] = []
            var buffer = ""
            for try await chunk in response.body {
                let now = SystemClock().now().wallNs
                buffer += String(buffer: chunk)
                var done = false
                while let end = buffer.range(of: "\n\n") {
                    let message = String(buffer[..<end.lowerBound])
                    buffer = String(buffer[end.upperBound...])
                    guard let data = message.split(separator: "\n").first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                          let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                          let events = object["events"] as? Int else { continue }
                    arrivals.append((events, now))
                    if object["status"] as? String == "completed" { done = true }
                }
                if done { break }
            }
            drill.waitUntilExit()
            let recorded = try store.events(of: runID!)
            // Each event from the time it was recorded to the first snapshot that holds it; those the
            // first snapshot holds were there when the page opened, and waited for nothing.
            let opened = arrivals.first?.events ?? 0
            for (index, event) in recorded.enumerated() where index >= opened {
                guard let shown = arrivals.first(where: { $0.events > index }) else { continue }
                latencies.append(Double(shown.wallNs - event.wallNs) / 1e9)
            }
        }
        say(String(format: "live page: each event shown %.0f ms after it was recorded (median; p90 %.0f, max %.0f ms) over %d events of %d drills; target within 1 s",
                   median(latencies) * 1000, percentile(latencies, 0.9) * 1000, (latencies.max() ?? 0) * 1000, latencies.count, runs))
    }
}
