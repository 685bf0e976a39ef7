import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The whole process of a small drill, Firedrill beside Chaos Toolkit on the same work: a
/// steady-state probe and 10 actions, each running `true`, every Firedrill event durable.
/// Alternating, so both see the same machine; Chaos Toolkit comes from PyPI into a virtual
/// environment of the benchmark's own (`.build-bench/chaostoolkit`), or the figure is skipped.
extension Benchmark {
    static let chaosToolkitVersion = "1.19.0"

    static func saySideBySide(runs: Int, dir: String) {
        guard let chaos = chaosToolkit() else {
            say("side by side with Chaos Toolkit: skipped, chaostoolkit \(chaosToolkitVersion) could not be installed from PyPI (python3 -m venv and pip needed)")
            return
        }
        let firedrill = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent().appendingPathComponent("firedrill").path
        guard FileManager.default.isExecutableFile(atPath: firedrill) else {
            say("side by side with Chaos Toolkit: skipped, no firedrill beside firedrill-bench (build both: swift build -c release)")
            return
        }
        let steps = (0..<10).map { "      - {name: step \($0), run: [\"true\"]}" }.joined(separator: "\n")
        let scenario = "firedrill: 1\nname: ten-true\nsteady_state:\n  - {name: healthy, run: [\"true\"]}\nphases:\n  - name: only\n    steps:\n\(steps)\n"
        let action = { (name: String) in ["type": "action", "name": name, "provider": ["type": "process", "path": "true"]] as [String: Any] }
        let experiment: [String: Any] = [
            "version": "1.0.0", "title": "ten true", "description": "a process probe and 10 process actions running true",
            "steady-state-hypothesis": ["title": "healthy", "probes": [
                ["type": "probe", "name": "healthy", "tolerance": 0, "provider": ["type": "process", "path": "true"]]]],
            "method": (0..<10).map { action("step \($0)") },
        ]
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try scenario.write(toFile: dir + "/ten-true.yaml", atomically: true, encoding: .utf8)
            try JSONSerialization.data(withJSONObject: experiment).write(to: URL(fileURLWithPath: dir + "/experiment.json"))
        } catch {
            say("side by side with Chaos Toolkit: skipped, cannot write the drill: \(error)")
            return
        }
        var ours: [Double] = [], theirs: [Double] = []
        for run in 0..<max(runs, 5) {
            let db = "\(dir)/run-\(run).db"
            if let t = timed(firedrill, ["run", dir + "/ten-true.yaml", "--db", db, "--quiet"], in: dir) { ours.append(t) }
            if let t = timed(chaos, ["--no-version-check", "--log-file", "/dev/null", "run", "--journal-path", "\(dir)/journal-\(run).json",
                                     dir + "/experiment.json"], in: dir) { theirs.append(t) }
        }
        guard !ours.isEmpty, !theirs.isEmpty else {
            say("side by side with Chaos Toolkit: a run failed (firedrill \(ours.count), chaos \(theirs.count) of \(max(runs, 5)))")
            return
        }
        let ratio = median(ours) / median(theirs)
        say(String(format: "10-step run: [true] drill, whole process: firedrill median %.0f ms (min %.0f, max %.0f), chaos run (Chaos Toolkit %@) median %.0f ms (min %.0f, max %.0f): ratio %.2f (target <= 0.25)",
                   median(ours) * 1e3, ours.min()! * 1e3, ours.max()! * 1e3, chaosToolkitVersion, median(theirs) * 1e3,
                   theirs.min()! * 1e3, theirs.max()! * 1e3, ratio))
    }

    /// Seconds one process took, or nil when it failed: from just before `posix_spawn` to the
    /// return of `waitpid`. (Foundation's `Process.waitUntilExit` looks every 50 ms, which
    /// rounded every figure up to the next 50 ms: 102 ms, 204 ms, 253 ms.)
    static func timed(_ program: String, _ arguments: [String], in dir: String) -> Double? {
        let previous = FileManager.default.currentDirectoryPath
        guard FileManager.default.changeCurrentDirectoryPath(dir) else { return nil }
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let elapsed = ContinuousClock.now - start
        guard status == 0 else { return nil }
        return seconds(elapsed)
    }

    /// `chaos` from the benchmark's own virtual environment, made on first use.
    static func chaosToolkit() -> String? {
        let venv = FileManager.default.currentDirectoryPath + "/.build-bench/chaostoolkit"
        let chaos = venv + "/bin/chaos"
        if FileManager.default.isExecutableFile(atPath: chaos) { return chaos }
        guard timed("/usr/bin/env", ["python3", "-m", "venv", venv], in: FileManager.default.currentDirectoryPath) != nil,
              timed(venv + "/bin/pip", ["install", "-q", "chaostoolkit==\(chaosToolkitVersion)"], in: venv) != nil else { return nil }
        return FileManager.default.isExecutableFile(atPath: chaos) ? chaos : nil
    }
}
