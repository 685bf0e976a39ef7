import FiredrillCore
import Foundation

extension DrillExecutor {
    /// The request telling notifier `index` about `trigger`: Slack's `{"text": ...}` or a
    /// generic JSON body with the run's figures so far.
    func notification(_ index: Int, _ trigger: NotifyTrigger) -> Result<ResolvedHTTP, NotificationError> {
        guard let notifier = scenario.notify[safe: index] else { return .failure(.init(description: "no notifier \(index)")) }
        let state = machine.state
        let measurement = DrillMeasurement(scenario: scenario, state: state)
        let title = scenario.title ?? scenario.name
        let rto = measurement.rto.map { $0.value.secondsText }
        let message: String = switch trigger {
        case .start: "Drill '\(title)' started (run \(run.id))."
        case .disaster: "Drill '\(title)': the disaster was injected; the RTO clock is running (run \(run.id))."
        case .recovered: "Drill '\(title)': recovered\(rto.map { " after \($0)" } ?? "") (run \(run.id))."
        case .abort: "Drill '\(title)' aborted by \(state.abort?.by ?? "?"): \(state.abort?.reason ?? ""); rolling back (run \(run.id))."
        case .end:
            "Drill '\(title)' ended: \(state.outcome.rawValue)"
                + (rto.map { ", RTO \($0)" } ?? "") + (measurement.rpo?.span.map { ", RPO \($0.value.secondsText)" } ?? "")
                + (measurement.objectivesMet.map { $0 ? ", objectives met" : ", objectives MISSED" } ?? "") + " (run \(run.id))."
        }
        var body: [String: Any]
        switch notifier.format {
        case .slack:
            body = ["text": message]
        case .webhook:
            body = [
                "event": trigger.rawValue, "run_id": run.id, "scenario": scenario.name, "title": title, "message": message,
                "at": WallTime.iso8601(clock.now().wallNs),
                "status": trigger == .end ? state.outcome.rawValue : (state.abort == nil ? "running" : "aborting"),
            ]
            if let value = measurement.rto?.value.seconds { body["rto_seconds"] = value }
            if let value = measurement.rpo?.span?.value.seconds { body["rpo_seconds"] = value }
            if trigger == .end, let met = measurement.objectivesMet { body["objectives_met"] = met }
        }
        let json = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        do {
            var headers = [ResolvedHTTP.Pair(name: "Content-Type", value: "application/json")]
            for header in notifier.headers { headers.append(.init(name: header.name, value: try scope.resolve(header.value))) }
            return .success(ResolvedHTTP(method: "POST", url: try scope.resolve(notifier.url), headers: headers, body: json))
        } catch {
            return .failure(.init(description: error.description))
        }
    }
}

struct NotificationError: Error, CustomStringConvertible {
    var description: String
}
