import FiredrillRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A step program whose children leave its process group every way they can, each ending
/// in `sleep 1000` after writing its pid to a file: one calls `setsid`, one `setpgid`, one
/// daemonizes (fork, setsid, fork: its middle process is gone at once). The program itself
/// writes its pid last and sleeps too, so a step running it only ends by being killed.
/// With `daemonOnly`, it starts the daemonized one and exits 0, as a `start` command does.
public struct EscapingProgram: Sendable {
    public let dir: String
    public let names: [String]

    public var path: String { dir + "/escaping-step.sh" }

    /// One of the processes, by the pid it wrote and the start time it had then.
    public struct Process: Sendable, CustomStringConvertible {
        public var name: String
        public var pid: pid_t
        public var startTicks: UInt64
        public var isRunning: Bool { ProcessTable.isRunning(pid, startTicks: startTicks) }
        public var description: String { "\(name) (pid \(pid))" }
    }

    /// `escapes`: which children to start (`setsid`, `setpgid`, `double`); the daemonizing one
    /// is the only one the process table fallback cannot follow without being subreaper.
    public init(in dir: String, escapes: [String] = ["setsid", "setpgid", "double"], daemonOnly: Bool = false) throws {
        self.dir = dir
        var lines = ["#!/bin/sh", "d='\(dir)'"]
        for escape in escapes {
            switch escape {
            case "setsid":
                lines.append(#"setsid sh -c 'echo $$ > "$0/setsid.pid.tmp" && mv "$0/setsid.pid.tmp" "$0/setsid.pid"; exec sleep 1000' "$d" &"#)
            case "setpgid":
                lines.append(#"perl -e 'setpgrp(0, 0); open(F, ">", "$ARGV[0]/setpgid.pid.tmp") or die; print F "$$\n"; close F; rename("$ARGV[0]/setpgid.pid.tmp", "$ARGV[0]/setpgid.pid"); exec "sleep", "1000"' "$d" &"#)
            case "double":
                lines.append(#"perl -e 'use POSIX; exit 0 if fork; POSIX::setsid(); exit 0 if fork; open(F, ">", "$ARGV[0]/double.pid.tmp") or die; print F "$$\n"; close F; rename("$ARGV[0]/double.pid.tmp", "$ARGV[0]/double.pid"); exec "sleep", "1000"' "$d""#)
            case "group-double":
                // A double fork that stays in the step's group: the middle process exits at once.
                lines.append(#"( sh -c 'echo $$ > "$0/group-double.pid.tmp" && mv "$0/group-double.pid.tmp" "$0/group-double.pid"; exec sleep 1000' "$d" & )"#)
            default:
                throw EscapingProgramError(description: "no escape '\(escape)'")
            }
        }
        if daemonOnly {
            lines.append("exit 0")
            names = escapes
        } else {
            // The step's main process waits until its children have written their pids, then sleeps.
            let waits = escapes.map { "[ -e \"$d/\($0).pid\" ]" }.joined(separator: " && ")
            lines.append("i=0; while ! { \(waits.isEmpty ? "true" : waits); } && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done")
            lines.append(#"echo $$ > "$d/main.pid.tmp" && mv "$d/main.pid.tmp" "$d/main.pid""#)
            lines.append("exec sleep 1000")
            names = escapes + ["main"]
        }
        try ExecutableScript.write(lines.joined(separator: "\n") + "\n", to: path)
    }

    /// Every process once it has written its pid (nil if one has not after `limit`).
    public func processes(within limit: Duration = .seconds(60)) async -> [Process]? {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            let found = names.compactMap(process(named:))
            if found.count == names.count { return found }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func process(named name: String) -> Process? {
        guard let text = try? String(contentsOfFile: "\(dir)/\(name).pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let entry = ProcessTable.entry(pid) else { return nil }
        return Process(name: name, pid: pid, startTicks: entry.startTicks)
    }

    /// Waits (up to `limit`) until none of them runs; returns those still running then.
    public static func survivors(_ processes: [Process], within limit: Duration = .seconds(30)) async -> [Process] {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end, processes.contains(where: \.isRunning) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return processes.filter(\.isRunning)
    }

    /// Kills whatever of them still runs (a test's own leftovers, or a failed test's).
    public static func cleanUp(_ processes: [Process]) {
        for process in processes { ProcessTable.killIfSame(process.pid, startTicks: process.startTicks) }
    }
}

struct EscapingProgramError: Error, CustomStringConvertible {
    var description: String
}
