import FiredrillCore

/// One drill of a scenario as the trend needs it, from its run record.
public struct TrendInput: Sendable {
    public var runID: String
    public var status: RunStatus
    public var startedWallNs: Int64
    public var rtoSeconds: Double?
    public var rpoSeconds: Double?
    /// The objectives the run was held to (its own stored scenario's).
    public var rtoObjective: DrillDuration?
    public var rpoObjective: DrillDuration?
    /// Each objective judged on the figure's bounds; nil for a value alone (then judged on it).
    public var rtoVerdict: DrillMeasurement.Verdict?
    public var rpoVerdict: DrillMeasurement.Verdict?
    /// The age at the disaster of the oldest restore point restored and verified; its objective is a floor.
    public var retentionSeconds: Double?
    public var retentionObjective: DrillDuration?
    public var retentionVerdict: DrillMeasurement.Verdict?
    public var forgetAfterVerdict: DrillMeasurement.Verdict?
    /// Time to detect, and the alert that set the mark (nil for a Firedrill probe's).
    public var detectSeconds: Double?
    public var detectObjective: DrillDuration?
    public var detectVerdict: DrillMeasurement.Verdict?
    public var detectedBy: String?

    public init(runID: String, status: RunStatus, startedWallNs: Int64, rtoSeconds: Double?, rpoSeconds: Double?,
                rtoObjective: DrillDuration?, rpoObjective: DrillDuration?,
                rtoVerdict: DrillMeasurement.Verdict? = nil, rpoVerdict: DrillMeasurement.Verdict? = nil) {
        self.rtoVerdict = rtoVerdict
        self.rpoVerdict = rpoVerdict
        self.runID = runID
        self.status = status
        self.startedWallNs = startedWallNs
        self.rtoSeconds = rtoSeconds
        self.rpoSeconds = rpoSeconds
        self.rtoObjective = rtoObjective
        self.rpoObjective = rpoObjective
    }
}

/// Every drill of some scenarios over time: RTO and RPO against the objectives, as charts
/// and tables, and whether each calendar quarter (UTC) had a drill that met them.
public struct TrendReport: Codable, Sendable, Hashable {
    public struct Drill: Codable, Sendable, Hashable {
        public var runID: String
        public var started: String
        public var quarter: String
        public var status: String
        public var rto: String
        public var rpo: String
        public var rtoSeconds: Double?
        public var rpoSeconds: Double?
        public var rtoMet: Bool?
        public var rpoMet: Bool?
        public var retention: String
        public var retentionSeconds: Double?
        public var retentionMet: Bool?
        public var detect: String
        public var detectSeconds: Double?
        public var detectMet: Bool?
        public var detectedBy: String?
        /// `met`, `missed`, `undetermined` (bounds straddling an objective, or a figure not measured), `failed` or `unfinished`.
        public var result: String
    }

    public struct Quarter: Codable, Sendable, Hashable {
        public var quarter: String
        public var drills: Int
        public var met: Int
        /// `pass` when a drill that quarter completed within every objective.
        public var result: String
    }

    public struct Scenario: Codable, Sendable, Hashable {
        public var name: String
        public var title: String
        public var rtoObjective: String?
        public var rpoObjective: String?
        public var drills: [Drill]
        public var quarters: [Quarter]
        public var openActions: Int
        public var overdueActions: Int
        public var rtoChartSVG: String
        public var rpoChartSVG: String
        public var detectObjective: String?
        /// Drawn only for a scenario whose drills measured time to detect or hold it to an objective.
        public var detectChartSVG: String?
        public var retentionObjective: String?
        /// Drawn only for a scenario whose drills measured retention or hold it to an objective.
        public var retentionChartSVG: String?
    }

    public var scenarios: [Scenario]
    public var actionsAsOf: String
    public var renderedAt: String?

    /// `scenarios`: name, title, latest objectives, drills oldest first, action items.
    public init(_ scenarios: [(name: String, title: String, rto: DrillDuration?, rpo: DrillDuration?, drills: [TrendInput], actions: [ActionItem])],
                asOf: String, renderedAt: String? = nil, retention: [String: DrillDuration] = [:], detect: [String: DrillDuration] = [:]) {
        self.scenarios = scenarios.map { entry in
            let ordered = entry.drills.sorted { ($0.startedWallNs, $0.runID) < ($1.startedWallNs, $1.runID) }
            let drills = ordered.map(Self.drill)
            let rto = zip(ordered, drills).map { TrendChart.Point(wallNs: $0.startedWallNs, seconds: $0.rtoSeconds, met: $1.rtoMet) }
            let rpo = zip(ordered, drills).map { TrendChart.Point(wallNs: $0.startedWallNs, seconds: $0.rpoSeconds, met: $1.rpoMet) }
            let kept = zip(ordered, drills).map { TrendChart.Point(wallNs: $0.startedWallNs, seconds: $0.retentionSeconds, met: $1.retentionMet) }
            let retentionTarget = retention[entry.name]
            let showRetention = retentionTarget != nil || ordered.contains { $0.retentionSeconds != nil }
            let detectPoints = zip(ordered, drills).map { TrendChart.Point(wallNs: $0.startedWallNs, seconds: $0.detectSeconds, met: $1.detectMet) }
            let detectTarget = detect[entry.name]
            let showDetect = detectTarget != nil || ordered.contains { $0.detectedBy != nil }
            return Scenario(
                name: entry.name, title: entry.title, rtoObjective: entry.rto?.description, rpoObjective: entry.rpo?.description,
                drills: drills, quarters: Self.quarters(drills),
                openActions: entry.actions.filter(\.isOpen).count, overdueActions: entry.actions.filter { $0.isOverdue(asOf: asOf) }.count,
                rtoChartSVG: TrendChart(title: "RTO", objective: entry.rto?.seconds, points: rto).svg,
                rpoChartSVG: TrendChart(title: "RPO", objective: entry.rpo?.seconds, points: rpo).svg,
                detectObjective: detectTarget?.description,
                detectChartSVG: showDetect ? TrendChart(title: "Time to detect", objective: detectTarget?.seconds, points: detectPoints).svg : nil,
                retentionObjective: retentionTarget.map { "at least \($0)" },
                retentionChartSVG: showRetention ? TrendChart(title: "Retention", objective: retentionTarget?.seconds, points: kept).svg : nil)
        }
        actionsAsOf = asOf
        self.renderedAt = renderedAt
    }

    static func quarter(_ wallNs: Int64) -> String {
        let iso = WallTime.iso8601(wallNs)
        let month = Int(iso.dropFirst(5).prefix(2)) ?? 1
        return "\(iso.prefix(4))-Q\((month - 1) / 3 + 1)"
    }

    static func drill(_ input: TrendInput) -> Drill {
        func met(_ value: Double?, _ objective: DrillDuration?, _ verdict: DrillMeasurement.Verdict?) -> Bool? {
            guard let objective else { return nil }
            switch verdict {
            case .met?: return true
            case .missed?: return false
            case .undetermined?, .unmeasured?: return nil
            case nil: return value.map { $0 <= objective.seconds } ?? false
            }
        }
        let rtoMet = met(input.rtoSeconds, input.rtoObjective, input.rtoVerdict)
        let rpoMet = met(input.rpoSeconds, input.rpoObjective, input.rpoVerdict)
        // A floor: judged on its verdict alone (a value without one proves nothing).
        let retentionMet: Bool? = input.retentionObjective == nil ? nil : input.retentionVerdict.flatMap { $0 == .met ? true : ($0 == .missed ? false : nil) }
        let forgetMet: Bool? = input.forgetAfterVerdict.flatMap { $0 == .met ? true : ($0 == .missed ? false : nil) }
        let detectMet = met(input.detectSeconds, input.detectObjective, input.detectVerdict)
        let verdicts = [input.rtoVerdict, input.rpoVerdict, input.detectObjective == nil ? nil : input.detectVerdict,
                        input.retentionObjective == nil ? nil : input.retentionVerdict, input.forgetAfterVerdict]
        let undetermined = verdicts.contains { $0 == .undetermined || $0 == .unmeasured }
        let allMet = rtoMet != false && rpoMet != false && detectMet != false && retentionMet != false && forgetMet != false
        let result: String = switch input.status {
        case .completed where allMet && undetermined: "undetermined"
        case .completed where allMet: "met"
        case .completed, .deviated: "missed"
        case .failed, .aborted: "failed"
        case .running, .waiting, .halted, .interrupted: "unfinished"
        }
        func seconds(_ value: Double?) -> String {
            value.map { DrillDuration(nanoseconds: Int64(($0 * 1e9).rounded())).secondsText } ?? "—"
        }
        return Drill(runID: input.runID, started: WallTime.human(input.startedWallNs), quarter: quarter(input.startedWallNs),
                     status: input.status.rawValue, rto: seconds(input.rtoSeconds), rpo: seconds(input.rpoSeconds),
                     rtoSeconds: input.rtoSeconds, rpoSeconds: input.rpoSeconds, rtoMet: rtoMet, rpoMet: rpoMet,
                     retention: seconds(input.retentionSeconds), retentionSeconds: input.retentionSeconds, retentionMet: retentionMet,
                     detect: seconds(input.detectSeconds) + (input.detectedBy.map { " (\($0))" } ?? ""), detectSeconds: input.detectSeconds,
                     detectMet: detectMet, detectedBy: input.detectedBy, result: result)
    }

    /// Every quarter from the first drill's to the last's; a quarter with no drill fails.
    static func quarters(_ drills: [Drill]) -> [Quarter] {
        guard let first = drills.first?.quarter, let last = drills.last?.quarter else { return [] }
        var out: [Quarter] = []
        var year = Int(first.prefix(4))!
        var q = Int(first.suffix(1))!
        while true {
            let label = "\(year)-Q\(q)"
            let these = drills.filter { $0.quarter == label }
            let met = these.filter { $0.result == "met" }.count
            out.append(Quarter(quarter: label, drills: these.count, met: met, result: met > 0 ? "pass" : "fail"))
            if label == last || out.count > 400 { break }
            q += 1
            if q == 5 { q = 1; year += 1 }
        }
        return out
    }
}

/// One figure's values over time as an SVG line chart, with the objective as a dashed line;
/// points that met it green, missed red, without an objective grey.
struct TrendChart {
    struct Point {
        var wallNs: Int64
        var seconds: Double?
        var met: Bool?
    }

    let title: String
    let objective: Double?
    let points: [Point]

    var svg: String {
        let width = 720.0, height = 260.0, left = 70.0, right = 20.0, top = 28.0, bottom = 48.0
        let plotW = width - left - right, plotH = height - top - bottom
        let values = points.compactMap(\.seconds) + [objective].compactMap { $0 }
        let maxY = max(values.max() ?? 1, 0.001) * 1.15
        let first = points.first?.wallNs ?? 0
        let span = max(Double((points.last?.wallNs ?? 0) - first), 1)
        func x(_ ns: Int64) -> Double { points.count == 1 ? left + plotW / 2 : left + Double(ns - first) / span * plotW }
        func y(_ s: Double) -> Double { top + plotH - s / maxY * plotH }

        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "role=\"img\" aria-label=\"\(title) per drill\" font-family=\"sans-serif\" font-size=\"11\">"]
        out.append("<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>")
        out.append("<text x=\"\(f(left))\" y=\"16\" font-weight=\"bold\" fill=\"#222222\">\(title) per drill (seconds)</text>")
        let step = TimelineChart.tickStep(maxY)
        var tick = 0.0
        while tick <= maxY {
            out.append("<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(tick)))\" stroke=\"#e3e3e3\"/>")
            out.append("<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" fill=\"#444444\">\(TimelineChart.seconds(tick))</text>")
            tick += step
        }
        if let objective {
            out.append("<line class=\"objective\" x1=\"\(f(left))\" y1=\"\(f(y(objective)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(objective)))\" "
                + "stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>")
            out.append("<text x=\"\(f(width - right))\" y=\"\(f(y(objective) - 4))\" text-anchor=\"end\" fill=\"#c0392b\">objective \(TimelineChart.seconds(objective))</text>")
        }
        let measured = points.filter { $0.seconds != nil }
        if measured.count > 1 {
            let path = measured.map { "\(f(x($0.wallNs))),\(f(y($0.seconds!)))" }.joined(separator: " ")
            out.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"#4a6fa5\" stroke-width=\"2\"/>")
        }
        for (index, point) in points.enumerated() {
            let px = x(point.wallNs)
            if let seconds = point.seconds {
                let colour = point.met == true ? "#3c9a5f" : (point.met == false ? "#c0392b" : "#7f8c8d")
                out.append("<circle class=\"point\" cx=\"\(f(px))\" cy=\"\(f(y(seconds)))\" r=\"5\" fill=\"\(colour)\">"
                    + "<title>\(WallTime.iso8601(point.wallNs).prefix(10)): \(TimelineChart.seconds(seconds))</title></circle>")
            } else {
                out.append("<text x=\"\(f(px))\" y=\"\(f(top + plotH - 4))\" text-anchor=\"middle\" fill=\"#c0392b\">×<title>not measured</title></text>")
            }
            if points.count <= 12 || index == 0 || index == points.count - 1 {
                // The end labels stay inside the chart.
                let anchor = points.count == 1 ? "middle" : (index == 0 ? "start" : (index == points.count - 1 ? "end" : "middle"))
                out.append("<text x=\"\(f(px))\" y=\"\(f(height - bottom + 16 + Double(index % 2) * 12))\" text-anchor=\"\(anchor)\" fill=\"#444444\">"
                    + "\(WallTime.iso8601(point.wallNs).prefix(10))</text>")
            }
        }
        out.append("<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\" stroke=\"#888888\"/>")
        out.append("</svg>")
        return out.joined(separator: "\n")
    }
}
