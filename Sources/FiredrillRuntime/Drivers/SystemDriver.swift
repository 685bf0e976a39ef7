import FiredrillCore

/// The production driver: hands each action to the driver its kind names
/// (`ResolvedSpec.performer`).
public struct SystemDriver: Driver {
    /// Each driver by the name the kinds give as their performer. A new driver is one line here.
    public static let standard: [String: any Driver] = [
        "process": ProcessDriver(),
        "http": HTTPDriver(),
        "tcp": TCPDriver(),
        "kill": KillDriver(),
        "sleep": SleepDriver(),
        "prometheus": PrometheusDriver(),
        "alert": AlertDriver(),
    ]

    public var drivers: [String: any Driver]

    public init(drivers: [String: any Driver] = SystemDriver.standard) { self.drivers = drivers }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        guard let driver = drivers[action.performer] else {
            return DriverReport(verdict: .error, summary: "no driver performs '\(action.performer)': \(action.summary)")
        }
        return await driver.perform(action, deadline: deadline, limits: limits)
    }
}
