import FiredrillCore
import FiredrillRuntime
import Foundation

/// A `RunStore` in memory, for tests of the executor and the commands' logic.
public final class InMemoryStore: RunStore, @unchecked Sendable {
    private let lock = NSLock()
    private var runsByID: [String: RunRecord] = [:]
    private var eventsByRun: [String: [RecordedEvent]] = [:]
    private var measurements: [String: (DrillMeasurement, [Mark])] = [:]
    private var messages: [InboxMessage] = []
    private var signed: [HeadSignature] = []
    private var nextMessage: Int64 = 1
    private var processesByRun: [String: [StepProcess]] = [:]

    public init() {}

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func createRun(_ run: RunRecord, first: RecordedEvent) throws {
        try locked {
            guard runsByID[run.id] == nil else { throw InMemoryStoreError("run \(run.id) exists") }
            if let other = runsByID.values.first(where: { $0.scenario == run.scenario && !$0.status.isFinal }) {
                throw LeaseError.scenarioBusy(scenario: run.scenario, runID: other.id, status: other.status, by: other.runner)
            }
            runsByID[run.id] = run
        }
        try append([first], to: run.id)
    }

    @discardableResult
    public func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease? {
        try locked {
            guard let run = runsByID[runID] else { throw InMemoryStoreError("no run \(runID)") }
            let previous = run.runner
            if let previous, previous.pid != lease.pid || previous.host != lease.host {
                if previous.isLive == true { throw LeaseError.held(runID: runID, by: previous) }
                if previous.isLive == nil, !force { throw LeaseError.otherHost(runID: runID, by: previous) }
            }
            runsByID[runID]?.runner = lease
            return previous?.pid == lease.pid && previous?.host == lease.host ? nil : previous
        }
    }

    public func releaseLease(_ runID: String, pid: Int32) throws {
        locked { if runsByID[runID]?.runner?.pid == pid { runsByID[runID]?.runner = nil } }
    }

    public func append(_ events: [RecordedEvent], to runID: String) throws {
        try locked {
            guard runsByID[runID] != nil else { throw InMemoryStoreError("no run \(runID)") }
            var log = eventsByRun[runID, default: []]
            for event in events {
                guard event.seq == (log.last?.seq ?? 0) + 1 else { throw InMemoryStoreError("event \(event.seq) out of order") }
                log.append(event)
                switch event.event {
                case .runEnded(let status): runsByID[runID]?.status = status
                case .runSuspended: runsByID[runID]?.status = .waiting
                case .runResumed, .operatorResolved: runsByID[runID]?.status = .running
                case .runHalted: runsByID[runID]?.status = .halted
                case .runInterrupted: runsByID[runID]?.status = .interrupted
                default: break
                }
            }
            eventsByRun[runID] = log
        }
    }

    public func events(of runID: String) throws -> [RecordedEvent] { locked { eventsByRun[runID] ?? [] } }
    public func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws {
        for event in try events(of: runID) { try body(event) }
    }
    public func run(_ id: String) throws -> RunRecord? { locked { runsByID[id] } }

    public func runs(scenario: String?) throws -> [RunRecord] {
        locked {
            runsByID.values.filter { scenario == nil || $0.scenario == scenario }
                .sorted { ($0.startedWallNs, $0.id) > ($1.startedWallNs, $1.id) }
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        locked {
            // The lease is the store's to keep, as in SQLiteStore.
            var updated = run
            updated.runner = runsByID[run.id]?.runner
            runsByID[run.id] = updated
        }
    }

    public func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws {
        locked { measurements[runID] = (measurement, marks) }
    }

    public func measurement(of runID: String) -> DrillMeasurement? { locked { measurements[runID]?.0 } }

    public func post(_ event: DrillEvent, to runID: String) throws {
        locked {
            messages.append(InboxMessage(id: nextMessage, runID: runID, event: event))
            nextMessage += 1
        }
    }

    @discardableResult
    public func appendSignature(runID: String, sign: (Int, String, String) -> HeadSignature) throws -> HeadSignature {
        try locked {
            let events = eventsByRun[runID] ?? []
            guard !events.isEmpty else { throw InMemoryStoreError("run \(runID) has no events to sign") }
            let head = try SQLiteStore.chainHead(runID: runID, events: events)
            let signature = sign(events.count, head, signed.last?.digest ?? AuditChain.genesis)
            signed.append(signature)
            return signature
        }
    }

    public func signatures(runID: String?) throws -> [HeadSignature] { locked { signed.filter { runID == nil || $0.runID == runID } } }

    public func inbox(of runID: String) throws -> [InboxMessage] { locked { messages.filter { $0.runID == runID } } }
    public func deleteInbox(_ ids: [Int64]) throws { locked { messages.removeAll { ids.contains($0.id) } } }

    public func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws {
        locked {
            var rows = processesByRun[runID, default: []]
            for process in processes {
                rows.removeAll { $0.activity == process.activity && $0.pid == process.pid }
                rows.append(process)
            }
            processesByRun[runID] = rows
        }
    }

    public func clearStepProcesses(_ runID: String, activity: String?) throws {
        locked {
            if let activity { processesByRun[runID]?.removeAll { $0.activity == activity } } else { processesByRun[runID] = nil }
        }
    }

    public func stepProcesses(of runID: String) throws -> [StepProcess] {
        locked { (processesByRun[runID] ?? []).sorted { ($0.activity, $0.pid) < ($1.activity, $1.pid) } }
    }
}

struct InMemoryStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
