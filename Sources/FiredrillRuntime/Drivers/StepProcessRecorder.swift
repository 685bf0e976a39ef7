import Foundation

/// Where the process driver reports the processes of the step it runs, set by the executor
/// around a step's driver call (a task local, so probes and notifications are not recorded).
public struct StepProcessRecorder: Sendable {
    public var runID: String
    public var activity: String
    /// Adds these to the record (called when the command starts, and as the fallback finds more).
    public var record: @Sendable ([StepProcess]) -> Void
    /// Drops the activity's rows: the call has ended, what it left running is no longer a step's.
    /// Called by the driver in the process-table fallback, where what the command left running
    /// (a daemon it started) was recorded by pid. With a cgroup only the command itself and its
    /// cgroup are recorded, both gone once it exited, so the rows go with `attempt_finished`, in
    /// its transaction, rather than in a write of their own.
    public var clear: @Sendable () -> Void

    public init(runID: String, activity: String, record: @escaping @Sendable ([StepProcess]) -> Void,
                clear: @escaping @Sendable () -> Void) {
        self.runID = runID
        self.activity = activity
        self.record = record
        self.clear = clear
    }

    @TaskLocal public static var current: StepProcessRecorder?

    /// Rows for these processes of the current step.
    func rows(_ processes: [(pid: pid_t, startTicks: UInt64)], cgroup: StepCgroup?) -> [StepProcess] {
        let host = ProcessInfo.processInfo.hostName
        let bootID = SystemClock().bootID
        return processes.map {
            StepProcess(activity: activity, pid: $0.pid, startTicks: $0.startTicks, host: host, bootID: bootID, cgroup: cgroup?.path)
        }
    }
}
