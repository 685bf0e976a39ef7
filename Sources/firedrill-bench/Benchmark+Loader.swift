import FiredrillCore
import FiredrillRuntime
import Foundation

extension Benchmark {
    /// Hostile scenario files just under the 1 MiB limit, each reported in full: the loader's
    /// worst cases, which the fuzz tests check for correctness and leave to this figure for speed.
    static let hostileScenarios: [(label: String, text: String)] = [
        ("merge of a 40,000-key mapping into a step (40,000 unknown keys)",
         "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s, <<: {"
            + (0..<40_000).map { "k\($0): x" }.joined(separator: ", ") + "}}]}]\n"),
        ("60,000 variables",
         "firedrill: 1\nname: t\nphases: [{name: p, steps: [{name: s, sleep: 1s}]}]\nvars:\n"
            + (0..<60_000).map { "  v\($0): x\n" }.joined()),
        ("12,000 steps",
         "firedrill: 1\nname: t\nphases:\n  - name: p\n    steps:\n"
            + (0..<12_000).map { "      - {name: s\($0), sleep: 1s}\n" }.joined()),
        ("33,000 undefined references",
         "firedrill: 1\nname: t\nvars:\n" + (0..<3_000).map { "  v\($0): \"${v\($0 + 1)}\"\n" }.joined()
            + "phases: [{name: p, steps: [{name: s, run: [" + (0..<30_000).map { "\"${u\($0)}\"" }.joined(separator: ", ") + "]}]}]\n"),
    ]

    /// Seconds to load and validate each hostile file, median of `runs`, with its finding count.
    static func hostileLoads(runs: Int) -> [(label: String, bytes: Int, findings: Int, seconds: [Double])] {
        hostileScenarios.map { label, text in
            var seconds: [Double] = []
            var findings = 0
            for _ in 0..<runs {
                let start = ContinuousClock.now
                findings = ScenarioLoader.parse(text: text, file: "hostile.yaml", baseDirectory: "/") { _ in true }.findings.count
                let took = ContinuousClock.now - start
                seconds.append(Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
            }
            return (label, text.utf8.count, findings, seconds)
        }
    }

    static func sayHostileLoads(runs: Int) {
        for load in hostileLoads(runs: runs) {
            say("loading a hostile scenario, \(load.label) (\(load.bytes) bytes, \(load.findings) findings): "
                + String(format: "median %.0f ms (min %.0f, max %.0f)", median(load.seconds) * 1e3, load.seconds.min()! * 1e3, load.seconds.max()! * 1e3))
        }
    }
}
