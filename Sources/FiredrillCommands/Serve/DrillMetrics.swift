import FiredrillCore
import FiredrillRuntime
import Foundation

/// The overview in Prometheus's text exposition format (version 0.0.4, which OpenMetrics parsers
/// read too): gauges named by Prometheus's conventions (base units, `_seconds`,
/// `_timestamp_seconds`), each labelled by `scenario`. A figure not measured has no sample: a
/// run never reports a figure it did not measure, and an alert on `absent()` can say so.
enum DrillMetrics {
    struct Family {
        var name: String
        var help: String
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    static func text(_ overview: DrillOverview) -> String {
        var families: [String: Family] = [:]
        var order: [String] = []
        func add(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            if families[name] == nil {
                families[name] = Family(name: name, help: help)
                order.append(name)
            }
            families[name]!.samples.append((labels, value))
        }
        func seconds(_ ns: Int64) -> Double { Double(ns) / 1e9 }

        for s in overview.scenarios {
            let scenario = [("scenario", s.name)]
            if let ended = s.lastEnded, let end = ended.endedWallNs {
                add("firedrill_drill_last_end_timestamp_seconds", "When the scenario's newest ended run ended (Unix time).", scenario, seconds(end))
                add("firedrill_drill_last_status", "The status of the scenario's newest ended run (1 for the status it ended with).",
                    scenario + [("status", ended.status.rawValue)], 1)
                if let rto = ended.headline.rto {
                    add("firedrill_drill_rto_seconds", "The newest ended run's measured RTO.", scenario, rto.value.seconds)
                    add("firedrill_drill_rto_lower_bound_seconds", "The lower bound of the newest ended run's RTO.", scenario, rto.lower.seconds)
                    add("firedrill_drill_rto_upper_bound_seconds", "The upper bound of the newest ended run's RTO.", scenario, rto.upper.seconds)
                }
                if let rpo = ended.headline.rpo {
                    add("firedrill_drill_rpo_seconds", "The newest ended run's measured RPO.", scenario, rpo.value.seconds)
                    add("firedrill_drill_rpo_lower_bound_seconds", "The lower bound of the newest ended run's RPO.", scenario, rpo.lower.seconds)
                    add("firedrill_drill_rpo_upper_bound_seconds", "The upper bound of the newest ended run's RPO.", scenario, rpo.upper.seconds)
                }
                if let detect = ended.headline.timeToDetect {
                    add("firedrill_drill_detect_seconds", "The newest ended run's time to detect.", scenario, detect.value.seconds)
                }
                if let verdict = ended.objectivesVerdict {
                    add("firedrill_drill_objectives_met", "1 when the newest ended run met every objective on its bounds, else 0.", scenario,
                        verdict == .met ? 1 : 0)
                }
            }
            if let last = s.lastDrill {
                add("firedrill_drill_last_held_timestamp_seconds", "When the newest drill that ran all its phases started (Unix time).",
                    scenario, seconds(last.startedWallNs))
            }
            if let rto = s.rtoObjective {
                add("firedrill_drill_objective_seconds", "The scenario's objective.", scenario + [("objective", "rto")], rto.seconds)
            }
            if let rpo = s.rpoObjective {
                add("firedrill_drill_objective_seconds", "The scenario's objective.", scenario + [("objective", "rpo")], rpo.seconds)
            }
            if let due = s.due {
                add("firedrill_drill_overdue", "1 when the scheduled drill is overdue or was never held, else 0.", scenario, due.overdue ? 1 : 0)
                // A scenario never drilled is due now (overdue says so): it has no period to end.
                if let next = due.deadline {
                    add("firedrill_drill_next_due_timestamp_seconds", "When the next drill is due (Unix time): the end of the open period.",
                        scenario, seconds(next))
                }
            }
            add("firedrill_action_items", "Action items by state: open (including overdue), and overdue.", scenario + [("state", "open")],
                Double(s.openItems))
            add("firedrill_action_items", "Action items by state: open (including overdue), and overdue.", scenario + [("state", "overdue")],
                Double(s.overdueItems))
            for status in RunStatus.allCases {
                let count = s.runs.filter { $0.status == status }.count
                if count > 0 {
                    add("firedrill_drill_runs", "Runs in the record by status.", scenario + [("status", status.rawValue)], Double(count))
                }
            }
        }
        var out = ""
        for name in order {
            let family = families[name]!
            out += "# HELP \(name) \(escapeHelp(family.help))\n# TYPE \(name) gauge\n"
            for sample in family.samples {
                let labels = sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",")
                out += "\(name){\(labels)} \(number(sample.value))\n"
            }
        }
        return out
    }

    /// A label value as the format wants it: backslash, double quote and line feed escaped.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction; others in full (Go's ParseFloat reads both).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
