import FiredrillCore

/// Performs one resolved action. Drivers never throw: whatever happens becomes a
/// `DriverReport`, so the executor can record it.
///
/// Contract:
/// - Return `.timedOut` once `deadline` passes (a process and everything it started are
///   killed first); no deadline means wait as long as it takes.
/// - On task cancellation stop promptly (killing any process and what it started) and return `.cancelled`.
/// - Keep at most `limits.outputBytes` of each output stream; count the rest.
public protocol Driver: Sendable {
    func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport
}

public struct DriverLimits: Sendable, Hashable {
    public var outputBytes: Int
    public init(outputBytes: Int = CapturedOutput.defaultLimit) { self.outputBytes = outputBytes }
}
