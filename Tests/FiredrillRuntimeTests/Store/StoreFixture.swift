import FiredrillCore
import FiredrillRuntime
import Foundation

/// Runs, events and runners for the store contract.
enum StoreFixture {
    static let epoch: Int64 = 1_750_000_000_000_000_000
    static let host = ProcessInfo.processInfo.hostName

    /// This process: a holder that is alive.
    static let live = RunnerLease.current(wallNs: epoch)
    /// A process on this host asking for a lease; only a holder's liveness is checked, so no process needs this pid.
    static let claimant = RunnerLease(pid: Int32.max - 1, host: host, sinceWallNs: epoch + 1, token: "claimant")
    /// A holder whose pid now belongs to another process (this one's parent): its start time does not match.
    static let deadReusedPid = RunnerLease(pid: getppid(), host: host, sinceWallNs: epoch, token: "boot:1")
    /// A holder whose pid no process has (above any pid_max).
    static let deadNoProcess = RunnerLease(pid: Int32.max, host: host, sinceWallNs: epoch, token: "boot:2")
    /// A holder on a host that cannot be checked from here.
    static let otherHost = RunnerLease(pid: 42, host: "elsewhere.invalid", sinceWallNs: epoch, token: "other:3")

    /// A new folder of its own under the temporary directory.
    static func temporaryFolder(_ prefix: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func run(_ id: String, scenario: String = "drill", runner: RunnerLease? = live, startedWallNs: Int64 = epoch) -> RunRecord {
        RunRecord(id: id, scenario: scenario, title: "Drill \(scenario)", scenarioPath: "/drills/\(scenario).yaml",
                  scenarioText: "firedrill: 1\nname: \(scenario)\n", scenarioSHA256: "sha-\(scenario)", status: .running,
                  startedWallNs: startedWallNs, startedMonoNs: 5_000, bootID: "boot", runner: runner, varsJSON: #"{"env":"test"}"#)
    }

    /// Event `seq` of a run, a millisecond after the one before on every clock.
    static func event(_ seq: Int, _ event: DrillEvent) -> RecordedEvent {
        let offset = Int64(seq) * 1_000_000
        return RecordedEvent(seq: seq, event: event, at: DrillInstant(nanoseconds: offset), monoNs: 5_000 + offset, wallNs: epoch + offset)
    }

    /// The `run_started` event `run` is created with.
    static func started(_ run: RunRecord) -> RecordedEvent {
        let runner = RunnerIdentity(pid: run.runner?.pid ?? 0, host: run.runner?.host ?? host)
        return event(1, .runStarted(RunStarted(scenario: run.scenario, scenarioSHA256: run.scenarioSHA256, firedrillVersion: "test",
                                               vars: ["env": "test"], runner: runner, scenarioText: run.scenarioText,
                                               scenarioPath: run.scenarioPath, bootID: run.bootID)))
    }

    /// A run created in a store, and the events recorded for it so far.
    struct Drill {
        let store: any RunStore
        let id: String
        private(set) var recorded: [RecordedEvent]

        init(_ store: any RunStore, _ id: String, scenario: String = "drill", runner: RunnerLease? = live,
             startedWallNs: Int64 = epoch) throws {
            let run = StoreFixture.run(id, scenario: scenario, runner: runner, startedWallNs: startedWallNs)
            let first = StoreFixture.started(run)
            try store.createRun(run, first: first)
            self.store = store
            self.id = id
            recorded = [first]
        }

        /// Appends `events` in one batch, numbered on from the last.
        mutating func append(_ events: DrillEvent...) throws {
            let batch = events.enumerated().map { StoreFixture.event(recorded.count + 1 + $0.offset, $0.element) }
            try store.append(batch, to: id)
            recorded += batch
        }
    }
}
