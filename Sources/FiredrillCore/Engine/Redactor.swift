/// Replaces secret values with `***` in text bound for the record, output or reports.
public struct Redactor: Hashable, Sendable {
    public static let mask = "***"
    /// Longest first, so a secret holding another is masked whole.
    public let values: [String]

    public init(secrets: [String]) {
        values = Array(Set(secrets.filter { !$0.isEmpty })).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    public var isEmpty: Bool { values.isEmpty }

    public func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var out = text
        for value in values where out.contains(value) {
            out = out.replacing(value, with: Self.mask)
        }
        // Output cut at its bound may end inside a secret: mask the part that was kept.
        for value in values {
            var prefix = value.dropLast()
            while !prefix.isEmpty, prefix.count >= 4 {
                if out.hasSuffix(prefix) {
                    out = out.dropLast(prefix.count) + Self.mask
                    break
                }
                prefix = prefix.dropLast()
            }
        }
        return out
    }
}
