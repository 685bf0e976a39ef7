import FiredrillCore
import Foundation

extension Redactor {
    /// The event with every string in it (commands, URLs, captured output, summaries) masked.
    public func redact(_ event: DrillEvent) -> DrillEvent {
        guard !isEmpty, let data = try? JSONEncoder().encode(event),
              let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return event }
        let masked = redact(tree: tree)
        guard let out = try? JSONSerialization.data(withJSONObject: masked, options: [.fragmentsAllowed]),
              let decoded = try? JSONDecoder().decode(DrillEvent.self, from: out) else {
            // Never record what could not be masked.
            return .runInterrupted(reason: "an event could not be masked for secrets and was not recorded")
        }
        return decoded
    }

    func redact(tree: Any) -> Any {
        switch tree {
        case let text as String: return redact(text)
        case let list as [Any]: return list.map { redact(tree: $0) }
        case let map as [String: Any]:
            var out: [String: Any] = [:]
            for (key, value) in map { out[redact(key)] = redact(tree: value) }
            return out
        default: return tree
        }
    }
}
