import FiredrillCore
import Foundation

extension DrillExecutor {
    /// The request telling notifier `index` about `trigger`: Slack's `{"text": ...}` or a
    /// generic JSON body with the run's figures so far.
    func notification(_ index: Int, _ trigger: NotifyTrigger) -> Result<ResolvedHTTP, PreparationFailure> {
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
        // The end notification carries the chain's head signed with the team's key: an anchor
        // kept outside the database (the events after it are the notifications and the end).
        let signedHead = trigger == .end ? signHeadForNotification() : nil
        var body: [String: Any]
        switch notifier.format {
        case .slack:
            body = ["text": message + (signedHead.map { " Signed head \($0.headHash) (\($0.eventCount) events, key \($0.keyID))." } ?? "")]
        case .webhook:
            body = [
                "event": trigger.rawValue, "run_id": run.id, "scenario": scenario.name, "title": title, "message": message,
                "at": WallTime.iso8601(clock.now().wallNs),
                "status": trigger == .end ? state.outcome.rawValue : (state.abort == nil ? "running" : "aborting"),
            ]
            if let value = measurement.rto?.value.seconds { body["rto_seconds"] = value }
            if let value = measurement.rpo?.span?.value.seconds { body["rpo_seconds"] = value }
            if trigger == .end, let met = measurement.objectivesMet { body["objectives_met"] = met }
            if trigger == .end, let verdict = measurement.objectivesVerdict { body["objectives"] = verdict.rawValue }
            if let signedHead {
                body["signed_head"] = ["head": signedHead.headHash, "events": signedHead.eventCount, "key_id": signedHead.keyID,
                                       "public_key": signedHead.publicKey, "signature": signedHead.signature,
                                       "statement": String(decoding: signedHead.message, as: UTF8.self)]
            }
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

extension DrillExecutor {
    /// The head as recorded so far, signed (not stored: the run's final head is, at its end).
    func signHeadForNotification() -> HeadSignature? {
        guard let signer, let events = try? store.events(of: run.id), !events.isEmpty,
              let head = try? SQLiteStore.chainHead(runID: run.id, events: events) else { return nil }
        return signer.sign(runID: run.id, eventCount: events.count, headHash: head, previousDigest: "notification",
                           wallNs: clock.now().wallNs)
    }

    /// Signs the run's final head into the record, linked to the signature before it.
    func signFinalHead() throws {
        guard let signer else { return }
        let wallNs = clock.now().wallNs
        do {
            try store.appendSignature(runID: run.id) { count, head, previous in
                signer.sign(runID: run.id, eventCount: count, headHash: head, previousDigest: previous, wallNs: wallNs)
            }
        } catch {
            throw ExecutorError.recordFailed("the run's head could not be signed into the record: \(StoreError.describe(error, path: "the record"))",
                                             runID: run.id, owed: [])
        }
    }
}

extension DrillExecutor {
    /// `POST /api/v2/silences`: the scenario's matchers, from now for `duration` (or the drill's
    /// `max_duration`, or 4 hours), with a comment naming the run so people know whose it is.
    func silenceRequest() -> Result<ResolvedHTTP, PreparationFailure> {
        guard let silence = scenario.silence else { return .failure(.init(description: "no silence in this scenario")) }
        do {
            let wall = clock.now().wallNs
            let length = silence.duration ?? scenario.maxDuration ?? .hours(4)
            var matchers: [[String: Any]] = []
            for matcher in silence.matchers {
                matchers.append(["name": matcher.name, "value": try scope.resolve(matcher.value), "isRegex": matcher.isRegex,
                                 "isEqual": matcher.isEqual])
            }
            let comment = try silence.comment.map { try scope.resolve($0) }
                ?? "Firedrill drill '\(scenario.title ?? scenario.name)', run \(run.id): alerts from the injected fault are expected"
            let body: [String: Any] = [
                "matchers": matchers, "startsAt": WallTime.iso8601(wall), "endsAt": WallTime.iso8601(wall + length.nanoseconds),
                "createdBy": "firedrill", "comment": comment + " (run \(run.id))",
            ]
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]),
                              as: UTF8.self)
            return .success(ResolvedHTTP(method: "POST", url: try scope.resolve(silence.alertmanager).withoutTrailingSlash + "/api/v2/silences",
                                         headers: [.init(name: "Content-Type", value: "application/json")], body: json, status: [200]))
        } catch {
            return .failure(.init(description: (error as? UnresolvedReference)?.description ?? "\(error)"))
        }
    }

    func expireRequest(_ id: String) -> Result<ResolvedHTTP, PreparationFailure> {
        guard let silence = scenario.silence else { return .failure(.init(description: "no silence in this scenario")) }
        do {
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
            return .success(ResolvedHTTP(method: "DELETE", url: try scope.resolve(silence.alertmanager).withoutTrailingSlash + "/api/v2/silence/\(encoded)",
                                         status: [200]))
        } catch {
            return .failure(.init(description: error.description))
        }
    }

    /// `{"silenceID": "..."}` from Alertmanager's answer.
    static func silenceID(_ text: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["silenceID"] as? String
    }
}
