import ArgumentParser
import FiredrillCore
import FiredrillPostgres
import FiredrillRuntime
import Foundation

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "The scheduled scenarios' planned drills as crontab lines, systemd timers, Kubernetes CronJobs, or an iCalendar feed.",
        discussion: """
            --cron, --systemd and --kubernetes run `firedrill run` at each planned instant (a person must still \
            confirm the manual steps); --ics lists the next planned drills for the team's calendar. \
            --kubernetes writes, for `kubectl apply -f -`, a ConfigMap holding each scenario file and a CronJob \
            running it in the scenario's time zone, never twice at once and never retried; the pod reads the \
            database's address from a Secret (key `url`), so it is never in the output.
            """)

    enum Output: String, EnumerableFlag { case cron, systemd, kubernetes, ics }

    @Flag(exclusivity: .exclusive) var output: Output
    @OptionGroup var files: ScenarioFiles
    @Option(help: "The iCalendar feed starts after this instant (ISO 8601; default now).") var from: String?
    @Option(help: "Planned drills per scenario in the iCalendar feed.") var count: Int = 4
    @Option(help: "The firedrill to run (default: this one).") var firedrill: String?
    @Option(help: ArgumentHelp("The CronJobs' container image (default: firedrill:\(Firedrill.version)).", valueName: "image"))
    var image: String?
    @Option(help: ArgumentHelp("The Secret whose key `url` the CronJobs' drills read FIREDRILL_DB from.", valueName: "name"))
    var dbSecret = "firedrill-db"
    @OptionGroup var store: StoreOptions

    func run() throws {
        guard count >= 1 else { throw CommandFailure.usage("--count must be at least 1") }
        let (scenarios, failed) = files.load()
        let scheduled = scenarios.filter { $0.scenario.schedule != nil }
        // This very binary, wherever the shell found it.
        let executable = firedrill ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Self.absolute(CommandLine.arguments[0])
        let directory = FileManager.default.currentDirectoryPath
        // A shared record's URL is written without its password: PGPASSWORD or PGPASSFILE gives it where the drill runs.
        let db: String
        if store.isPostgres {
            do { db = try PostgresLocation(url: store.path).withoutPassword } catch { throw CommandFailure.usage(error.description) }
        } else {
            db = Self.absolute(store.path)
        }
        func command(_ path: String) -> String {
            [executable, "run", Self.absolute(path), "--db", db, "--quiet"].map(Self.shellWord).joined(separator: " ")
        }
        switch output {
        case .cron:
            print("# Firedrill drill schedule: crontab(5) lines, one per scheduled scenario.")
            print("# CRON_TZ sets each line's time zone where cron supports it (cronie, systemd-cron); elsewhere the system's.")
            for (path, scenario) in scheduled {
                let schedule = scenario.schedule!
                print("")
                print("# \(scenario.name): \(schedule.description)")
                print("CRON_TZ=\(schedule.timeZone)")
                print("\(Self.cronFields(schedule.cron)) cd \(Self.shellWord(directory)) && \(command(path))")
            }
        case .systemd:
            for (path, scenario) in scheduled {
                let schedule = scenario.schedule!
                let unit = "firedrill-\(scenario.name)"
                print("# --- \(unit).service")
                print("[Unit]\nDescription=Firedrill drill: \(scenario.title ?? scenario.name)\n")
                print("[Service]\nType=oneshot\nWorkingDirectory=\(directory)\nExecStart=\(command(path))\n")
                print("# --- \(unit).timer")
                print("[Unit]\nDescription=Planned drills of \(scenario.name), \(schedule.description)\n")
                print("[Timer]")
                for calendar in Self.onCalendar(schedule) { print("OnCalendar=\(calendar)") }
                print("Persistent=true\n\n[Install]\nWantedBy=timers.target\n")
            }
        case .kubernetes:
            print(try Self.kubernetes(scheduled, image: image ?? "firedrill:\(Firedrill.version)", dbSecret: dbSecret), terminator: "")
        case .ics:
            let start = try DueCommand.instant(from)
            print(Self.ics(scheduled.map(\.scenario), after: start, count: count, command: { name in
                scheduled.first { $0.scenario.name == name }.map { command($0.path) } ?? ""
            }), terminator: "")
        }
        if failed > 0 { throw ExitCode(2) }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func shellWord(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "/._-=+:@".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A field written back from its values: `*` when it holds its whole range.
    static func cronFields(_ cron: CronExpression) -> String {
        func field(_ values: [Int], _ whole: ClosedRange<Int>, restricted: Bool = true) -> String {
            !restricted || values == Array(whole) ? "*" : values.map(String.init).joined(separator: ",")
        }
        return [field(cron.minutes, 0...59), field(cron.hours, 0...23), field(cron.daysOfMonth, 1...31, restricted: cron.dayOfMonthRestricted),
                field(cron.months, 1...12), field(cron.daysOfWeek, 0...6, restricted: cron.dayOfWeekRestricted)].joined(separator: " ")
    }

    /// systemd.time(7) calendar events; cron's either-day rule becomes two events.
    static func onCalendar(_ schedule: DrillSchedule) -> [String] {
        let cron = schedule.cron
        func list(_ values: [Int], _ whole: ClosedRange<Int>, width: Int) -> String {
            values == Array(whole) ? "*" : values.map { String(repeating: "0", count: max(0, width - String($0).count)) + String($0) }.joined(separator: ",")
        }
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let time = "\(list(cron.hours, 0...23, width: 2)):\(list(cron.minutes, 0...59, width: 2)):00 \(schedule.timeZone)"
        let months = list(cron.months, 1...12, width: 2)
        let byDay = "*-\(months)-\(list(cron.daysOfMonth, 1...31, width: 2)) \(time)"
        let byWeekday = "\(cron.daysOfWeek.map { names[$0] }.joined(separator: ",")) *-\(months)-* \(time)"
        switch (cron.dayOfMonthRestricted, cron.dayOfWeekRestricted) {
        case (true, true): return [byDay, byWeekday]
        case (false, true): return [byWeekday]
        default: return [byDay]
        }
    }

    /// RFC 5545: CRLF lines folded at 75 octets, text escaped, times in UTC; the same input
    /// gives the same feed (DTSTAMP is the feed's start, not the clock).
    static func ics(_ scenarios: [Scenario], after start: Int64, count: Int, command: (String) -> String) -> String {
        func stamp(_ ns: Int64) -> String { WallTime.iso8601(ns).filter { $0 != "-" && $0 != ":" } }
        func text(_ value: String) -> String {
            var out = ""
            for c in value {
                switch c {
                case "\\": out += "\\\\"
                case ";": out += "\\;"
                case ",": out += "\\,"
                case "\n": out += "\\n"
                case "\r": break
                default: out.append(c)
                }
            }
            return out
        }
        func fold(_ line: String) -> [String] {
            var lines: [String] = []
            var current = ""
            var octets = 0
            for c in line {
                let size = String(c).utf8.count
                if octets + size > (lines.isEmpty ? 75 : 74) {
                    lines.append(lines.isEmpty ? current : " " + current)
                    current = ""
                    octets = 0
                }
                current.append(c)
                octets += size
            }
            lines.append(lines.isEmpty ? current : " " + current)
            return lines
        }
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Firedrill//Drill schedule//EN", "CALSCALE:GREGORIAN",
                     "X-WR-CALNAME:Disaster-recovery drills"]
        for scenario in scenarios {
            guard let schedule = scenario.schedule else { continue }
            let calendar = ScheduleCalendar(schedule)
            let minutes = Int((scenario.maxDuration ?? .hours(2)).seconds / 60)
            for instant in calendar.occurrences(after: start, count: count) {
                var description = "Scenario \(scenario.name), \(schedule.description)."
                if let owner = scenario.owner { description += "\nOwner: \(owner)." }
                if let runbook = scenario.runbook { description += "\nRunbook: \(runbook)." }
                description += "\nRun: \(command(scenario.name))"
                lines += ["BEGIN:VEVENT", "UID:\(scenario.name)-\(stamp(instant))@firedrill", "DTSTAMP:\(stamp(start))",
                          "DTSTART:\(stamp(instant))", "DURATION:PT\(max(1, minutes))M",
                          "SUMMARY:\(text("DR drill: \(scenario.title ?? scenario.name)"))", "DESCRIPTION:\(text(description))",
                          "END:VEVENT"]
            }
        }
        lines.append("END:VCALENDAR")
        return lines.flatMap(fold).joined(separator: "\r\n") + "\r\n"
    }
}
