import FiredrillCore

/// Performs `.sleep`: waits the full duration on the run's clock, unless the deadline or an
/// abort comes first.
public struct SleepDriver: Driver {
    public init() {}

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let duration = action.as(ResolvedSleep.self)?.duration else {
            return DriverReport(verdict: .error, summary: "the sleep driver cannot perform: \(action.summary)")
        }
        do {
            if try await deadline.sleep(for: .nanoseconds(duration.nanoseconds)) {
                return DriverReport(verdict: .timedOut, summary: "timed out before sleep \(duration) ended")
            }
        } catch {
            return DriverReport(verdict: .cancelled, summary: "cancelled during sleep \(duration)")
        }
        return DriverReport(verdict: .passed, summary: "slept \(duration)")
    }
}
