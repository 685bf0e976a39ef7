import FiredrillCore

/// Performs `.sleep`: waits the full duration, unless the deadline or an abort comes first.
public struct SleepDriver: Driver {
    public init() {}

    public func perform(_ action: ResolvedAction, deadline: ContinuousClock.Instant?, limits: DriverLimits) async -> DriverReport {
        guard case .sleep(let duration) = action else {
            return DriverReport(verdict: .error, summary: "the sleep driver cannot perform: \(action.summary)")
        }
        return await sleep(duration, deadline: deadline)
    }

    public func sleep(_ duration: DrillDuration, deadline: ContinuousClock.Instant?) async -> DriverReport {
        let clock = ContinuousClock()
        let end = clock.now + .nanoseconds(duration.nanoseconds)
        let cutOff = deadline.map { $0 < end } ?? false
        do {
            try await clock.sleep(until: cutOff ? deadline! : end)
        } catch {
            return DriverReport(verdict: .cancelled, summary: "cancelled during sleep \(duration)")
        }
        if cutOff {
            return DriverReport(verdict: .timedOut, summary: "timed out before sleep \(duration) ended")
        }
        return DriverReport(verdict: .passed, summary: "slept \(duration)")
    }
}
