import FiredrillCore
import FiredrillRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Benchmark {
    /// What `firedrill report` and `firedrill retro` are timed on: each format, as a user runs it.
    static let reportFormats: [(label: String, arguments: [String])] = [
        ("HTML", ["report", "--format", "html"]),
        ("Markdown", ["report", "--format", "md"]),
        ("JSON", ["report", "--format", "json"]),
        ("retrospective", ["retro"]),
    ]

    /// Records of 10,000 and 100,000 probe samples (`ProbeHeavyRecord`), each format rendered
    /// by the `firedrill` binary in a process of its own: wall time (process start included)
    /// and peak resident memory (`ru_maxrss` from `wait4`). PDF is printed by Chromium from the
    /// HTML, once, when it is installed: its time is mostly the browser's.
    ///
    /// A child started by `posix_spawn` (a vfork) takes on its parent's peak resident set when
    /// it executes, so this process must stay smaller than what it measures: the records are
    /// written by a child too (`--record`), and the bench's own peak is printed beside.
    static func sayReports(runs: Int, dir: String) throws {
        let firedrill = try sibling("firedrill")
        let bench = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for count in [10_000, 100_000] {
            let folder = "\(dir)/\(count)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/fd.db"
            let built = try measuredChild(bench, ["--record", String(count), path])
            let runID = ProbeHeavyRecord.runID(samples: count)
            let events = try SQLiteStore(path: path).run(runID)?.eventCount ?? 0
            say(String(format: "report of a run with %d probe samples (%d events; record built in %.1f s):", count, events, built.seconds))
            for (label, arguments) in reportFormats {
                var times: [Double] = [], peaks: [Double] = []
                for run in 0..<runs {
                    let out = "\(folder)/\(label)-\(run)"
                    let measured = try measuredChild(firedrill, arguments + [runID, "--db", path, "--out", out + (label == "retrospective" ? ".md" : "")])
                    times.append(measured.seconds)
                    peaks.append(Double(measured.maxRSSKB))
                }
                say(String(format: "  %@: median %.0f ms (min %.0f, max %.0f), peak resident memory median %.1f MB",
                           label, median(times) * 1e3, times.min()! * 1e3, times.max()! * 1e3, median(peaks) / 1024))
            }
            if PDFBrowser.installed {
                let measured = try measuredChild(firedrill, ["report", "--format", "pdf", runID, "--db", path, "--out", folder + "/pdf"])
                say(String(format: "  PDF (printed by Chromium from the HTML, once): %.0f ms, peak resident memory of firedrill or Chromium, the larger, %.1f MB",
                           measured.seconds * 1e3, Double(measured.maxRSSKB) / 1024))
            }
        }
        say(String(format: "  (this benchmark's own peak resident memory, a floor under the figures above: %.1f MB)", Double(statusKB("VmHWM:")) / 1024))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// An executable built beside this one.
    static func sibling(_ name: String) throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = (exe as NSString).deletingLastPathComponent + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("no \(name) beside \(exe)") }
        return path
    }

    /// Runs a program to its end, its output discarded, with its wall time and peak resident set
    /// (`ru_maxrss`: its own, or that of the largest process it waited for, if larger).
    static func measuredChild(_ program: String, _ arguments: [String]) throws -> (seconds: Double, maxRSSKB: Int) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("cannot start \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let took = seconds(ContinuousClock.now - start)
        guard status == 0 else { throw BenchError("\(program) \(arguments.joined(separator: " ")) failed (wait status \(status))") }
        return (took, usage.ru_maxrss)
    }
}

/// Whether `--format pdf` can print here (it needs headless Chromium).
enum PDFBrowser {
    static var installed: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return ["chromium", "chromium-browser", "google-chrome"].contains { name in
            path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        }
    }
}
