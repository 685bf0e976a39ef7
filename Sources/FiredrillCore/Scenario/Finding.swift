/// One problem found in a scenario, positioned where the author can fix it.
/// Printed as `FILE:LINE:COLUMN: error: message`, the form compilers use.
public struct Finding: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation

    public init(_ severity: Severity = .error, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    public static func error(_ message: String, at location: SourceLocation) -> Finding {
        Finding(.error, message, at: location)
    }

    public static func warning(_ message: String, at location: SourceLocation) -> Finding {
        Finding(.warning, message, at: location)
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

extension Array where Element == Finding {
    /// Findings in file order: by file, line, column, then message, so output is stable.
    public func sortedByLocation() -> [Finding] {
        sorted {
            ($0.location.file, $0.location.line, $0.location.column, $0.message)
                < ($1.location.file, $1.location.line, $1.location.column, $1.message)
        }
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }
}

/// Thrown when a scenario cannot be used; carries every finding at once.
public struct ScenarioInvalid: Error, Sendable, CustomStringConvertible {
    public var findings: [Finding]
    public init(findings: [Finding]) { self.findings = findings }
    public var description: String { findings.map(\.description).joined(separator: "\n") }
}
