/// What a driver reports after performing one action: the verdict and its evidence.
/// Timing is added by the executor, which owns the clock.
public struct DriverReport: Hashable, Sendable, Codable {
    public enum Verdict: String, Hashable, Sendable, Codable {
        /// Did what was asked: exit 0, an accepted HTTP status, a connect, a signal delivered.
        case passed
        /// Ran and said no: a non-zero exit, a wrong status, a refused connection.
        case failed
        /// The deadline passed first; any process and its children were killed.
        case timedOut
        /// Stopped because the drill was aborted.
        case cancelled
        /// Could not be attempted at all (no such executable, unreadable pidfile).
        case error
    }

    public var verdict: Verdict
    /// One line a person reads: "exit 0", "HTTP 503 Service Unavailable", "connection refused".
    public var summary: String
    public var exitStatus: Int32?
    /// The signal that ended the process, if one did.
    public var terminationSignal: Int32?
    public var httpStatus: Int?
    public var stdout: CapturedOutput?
    public var stderr: CapturedOutput?
    /// Each output check, judged on the whole output read (which the record may keep less of).
    public var checks: [OutputCheckOutcome]?
    /// What a `backups` step read from the output.
    public var inventory: BackupInventory?
    /// What an `alert` probe saw in Alertmanager: the matching alerts, and when.
    public var alerts: AlertObservation?

    public init(
        verdict: Verdict, summary: String, exitStatus: Int32? = nil, terminationSignal: Int32? = nil,
        httpStatus: Int? = nil, stdout: CapturedOutput? = nil, stderr: CapturedOutput? = nil,
        checks: [OutputCheckOutcome]? = nil, inventory: BackupInventory? = nil, alerts: AlertObservation? = nil
    ) {
        self.alerts = alerts
        self.checks = checks
        self.inventory = inventory
        self.verdict = verdict
        self.summary = summary
        self.exitStatus = exitStatus
        self.terminationSignal = terminationSignal
        self.httpStatus = httpStatus
        self.stdout = stdout
        self.stderr = stderr
    }

    public var passed: Bool { verdict == .passed }
}

/// A bounded capture of one output stream (or an HTTP body): the first bytes kept
/// as text, the total counted.
public struct CapturedOutput: Hashable, Sendable, Codable {
    /// The kept prefix as UTF-8 text, control characters and invalid bytes escaped as `\xNN`
    /// (`ControlCharacters`): `keptBytes` bytes, each readable back from the text.
    public var text: String
    /// Every byte produced, kept or not.
    public var totalBytes: Int
    public var truncated: Bool { totalBytes > keptBytes }
    public var keptBytes: Int

    public init(text: String, keptBytes: Int, totalBytes: Int) {
        self.text = text
        self.keptBytes = keptBytes
        self.totalBytes = totalBytes
    }

    /// Default bound per stream.
    public static let defaultLimit = 64 * 1024
}
