import FiredrillCore

/// The production driver: hands each action to the driver that performs it for real.
public struct SystemDriver: Driver {
    public var process: ProcessDriver
    public var http: HTTPDriver
    public var tcp: TCPDriver
    public var kill: KillDriver
    public var sleep: SleepDriver
    public var prometheus: PrometheusDriver

    public init(
        process: ProcessDriver = ProcessDriver(), http: HTTPDriver = HTTPDriver(), tcp: TCPDriver = TCPDriver(),
        kill: KillDriver = KillDriver(), sleep: SleepDriver = SleepDriver(), prometheus: PrometheusDriver = PrometheusDriver()
    ) {
        self.process = process
        self.http = http
        self.tcp = tcp
        self.kill = kill
        self.sleep = sleep
        self.prometheus = prometheus
    }

    public func perform(_ action: ResolvedAction, deadline: Deadline, limits: DriverLimits) async -> DriverReport {
        switch action {
        case .run, .shell: await process.perform(action, deadline: deadline, limits: limits)
        case .http: await http.perform(action, deadline: deadline, limits: limits)
        case .tcp: await tcp.perform(action, deadline: deadline, limits: limits)
        case .kill: await kill.perform(action, deadline: deadline, limits: limits)
        case .sleep: await sleep.perform(action, deadline: deadline, limits: limits)
        case .prometheus: await prometheus.perform(action, deadline: deadline, limits: limits)
        }
    }
}
