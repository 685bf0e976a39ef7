import FiredrillCore
import Foundation

extension Redactor {
    /// The event with every string in it (commands, URLs, captured output, summaries) masked;
    /// nil when masking broke its structure (a secret equal to a field's fixed value), so that
    /// what could not be masked is never recorded.
    public func redact(_ event: DrillEvent) -> DrillEvent? {
        guard !isEmpty else { return event }
        guard let data = try? JSONEncoder().encode(event),
              let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let out = try? JSONSerialization.data(withJSONObject: redact(tree: tree), options: [.fragmentsAllowed]) else { return nil }
        return try? JSONDecoder().decode(DrillEvent.self, from: out)
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
