import FiredrillCore

/// The drill's timeline as an SVG Gantt chart: one bar per phase, one per step (from its
/// first attempt's start to its last attempt's end), the marks as vertical lines. Plain SVG
/// with its own styles, so it draws the same inline in HTML, printed, or alone.
struct TimelineChart {
    let scenario: Scenario
    let state: RunState
    let measurement: DrillMeasurement

    static let width = 960.0
    static let labelWidth = 270.0
    static let chartWidth = 650.0
    static let rowHeight = 18.0
    static let rowGap = 5.0
    /// Room above the bars for the mark labels, one line each, up to four lines.
    var top: Double { 22 + 12 * Double(min(max(state.marks.count, 1), 4)) }

    struct Row {
        var label: String
        var start: DrillInstant
        var end: DrillInstant
        var kind: String
        var isPhase: Bool
    }

    var rows: [Row] {
        var rows: [Row] = []
        var steps: [(StepRef, [RunState.Attempt])] = []
        for attempt in state.attempts {
            if let index = steps.firstIndex(where: { $0.0 == attempt.ref }) { steps[index].1.append(attempt) } else { steps.append((attempt.ref, [attempt])) }
        }
        var phasesShown = Set<Int>()
        for (ref, attempts) in steps {
            if case .phase(let p, _) = ref, !phasesShown.contains(p), let timing = measurement.phases.first(where: { $0.name == scenario.phases[safe: p]?.name }) {
                phasesShown.insert(p)
                rows.append(Row(label: "phase " + timing.name, start: timing.start, end: timing.end, kind: "phase", isPhase: true))
            }
            let last = attempts[attempts.count - 1]
            let kind = last.confirmation != nil ? "manual" : (last.verdict?.rawValue ?? "running")
            let retries = attempts.count > 1 ? " (\(attempts.count) attempts)" : ""
            rows.append(Row(label: last.stepName + retries, start: attempts[0].startedAt, end: last.endedAt ?? last.startedAt, kind: kind, isPhase: false))
        }
        return rows
    }

    var svg: String {
        let rows = self.rows
        let end = ([DrillInstant.start] + rows.map(\.end) + state.marks.map(\.upper)).max()!
        let span = max(end.seconds, 0.001)
        let scale = Self.chartWidth / span
        func x(_ instant: DrillInstant) -> Double { Self.labelWidth + max(0, instant.seconds) * scale }
        let height = top + Double(rows.count) * (Self.rowHeight + Self.rowGap) + 30

        var out: [String] = []
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"\(f(Self.width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(Self.width)) \(f(height))\" role=\"img\" aria-label=\"Timeline of the drill\" font-family=\"sans-serif\" font-size=\"11\">")
        out.append("<style>.phase{fill:#4a6fa5}.passed{fill:#3c9a5f}.failed,.timedOut,.error{fill:#c0392b}.cancelled{fill:#9a9a9a}"
            + ".manual{fill:#8e6bbf}.running{fill:#e0a800}.grid{stroke:#dddddd}.mark{stroke-width:2}.disaster{stroke:#c0392b}"
            + ".detected{stroke:#e67e22}.recovered{stroke:#27ae60}.other{stroke:#7f8c8d}</style>")
        out.append("<rect x=\"0\" y=\"0\" width=\"\(f(Self.width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>")

        // The time axis: about eight ticks at a round step.
        let step = Self.tickStep(span)
        var tick = 0.0
        while tick <= span + step / 1000 {
            let tx = Self.labelWidth + tick * scale
            out.append("<line class=\"grid\" x1=\"\(f(tx))\" y1=\"\(f(top - 6))\" x2=\"\(f(tx))\" y2=\"\(f(height - 24))\"/>")
            out.append("<text x=\"\(f(tx))\" y=\"\(f(height - 10))\" text-anchor=\"middle\" fill=\"#444444\">\(Self.seconds(tick))</text>")
            tick += step
        }

        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * (Self.rowHeight + Self.rowGap)
            let width = max(2, x(row.end) - x(row.start))
            let weight = row.isPhase ? " font-weight=\"bold\"" : ""
            out.append("<text x=\"\(f(Self.labelWidth - 8))\" y=\"\(f(y + 13))\" text-anchor=\"end\"\(weight) fill=\"#222222\">\(Self.xml(Self.clip(row.label)))</text>")
            out.append("<rect class=\"\(row.kind)\" x=\"\(f(x(row.start)))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(Self.rowHeight))\" rx=\"2\">"
                + "<title>\(Self.xml(row.label)): \(row.start) to \(row.end), \(row.kind)</title></rect>")
        }

        for (index, mark) in state.marks.enumerated() {
            let mx = x(mark.at)
            let kind = ["disaster", "detected", "recovered"].contains(mark.name) ? mark.name : "other"
            out.append("<line class=\"mark \(kind)\" x1=\"\(f(mx))\" y1=\"\(f(top - 10))\" x2=\"\(f(mx))\" y2=\"\(f(height - 24))\" stroke-dasharray=\"4 3\"/>")
            // Labels take turns on four lines; near the right edge they end at their line.
            let nearEnd = mx > Self.labelWidth + Self.chartWidth * 0.7
            let anchor = nearEnd ? " text-anchor=\"end\"" : ""
            out.append("<text x=\"\(f(nearEnd ? mx - 3 : mx + 3))\" y=\"\(f(12 + Double(index % 4) * 12))\"\(anchor) fill=\"#222222\">"
                + "\(Self.xml(mark.name)) \(mark.at)</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    static func tickStep(_ span: Double) -> Double {
        let steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400]
        return steps.first { span / $0 <= 8 } ?? 86_400
    }

    /// `12s`, `1.5s`, `2m`, `1h30m`: tick labels.
    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        if millis % 1000 != 0 {
            let whole = millis / 1000
            var frac = String(millis % 1000)
            frac = String(repeating: "0", count: 3 - frac.count) + frac
            while frac.hasSuffix("0") { frac.removeLast() }
            return "\(whole).\(frac)s"
        }
        let total = millis / 1000
        if total < 60 || total % 60 != 0 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" }
        return total % 3600 == 0 ? "\(total / 3600)h" : "\(total / 3600)h\(total % 3600 / 60)m"
    }

    static func clip(_ text: String) -> String { text.count > 42 ? String(text.prefix(41)) + "…" : text }

    static func xml(_ text: String) -> String {
        var out = ""
        for c in ControlCharacters.visible(text) {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// One decimal, no Foundation, the same on every machine.
func f(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    let t = abs(tenths)
    return t % 10 == 0 ? "\(sign)\(t / 10)" : "\(sign)\(t / 10).\(t % 10)"
}
