import FiredrillCore
import FiredrillRuntime
import Foundation
import Synchronization

/// A `RunStore` in memory, for tests of the executor and the commands' logic. It follows the
/// projection and the lease rule SQLiteStore follows (`RunProjection`, `RunnerLease+Rule`);
/// RunStoreContractTests holds the two to the same behaviour.
public final class InMemoryStore: RunStore {
    private struct Entry {
        var recorded: RecordedEvent
        var link: AuditChain.Link
    }

    private struct State {
        var runsByID: [String: RunRecord] = [:]
        var logs: [String: [Entry]] = [:]
        var measurements: [String: (DrillMeasurement, [Mark])] = [:]
        var messages: [InboxMessage] = []
        var signed: [HeadSignature] = []
        var nextMessage: Int64 = 1
        var processesByRun: [String: [StepProcess]] = [:]

        func existing(_ runID: String) throws -> RunRecord {
            guard let run = runsByID[runID] else { throw InMemoryStoreError("no run \(runID)") }
            return run
        }

        /// Links each event into the run's chain and projects it onto the run's row.
        mutating func append(_ events: [RecordedEvent], to runID: String) throws {
            guard !events.isEmpty else { return }
            var run = try existing(runID)
            var log = logs[runID, default: []]
            for recorded in events {
                guard recorded.seq == log.count + 1 else {
                    throw InMemoryStoreError("event \(recorded.seq) of run \(runID) does not follow event \(log.count)")
                }
                let link = try AuditChain.link(recorded, runID: runID, after: log.last?.link.hash ?? AuditChain.genesis)
                log.append(Entry(recorded: recorded, link: link))
                RunProjection.apply(recorded, to: &run)
                if case .attemptFinished(let finished) = recorded.event {
                    let activity = ActivityID.attempt(finished.ref, finished.attempt).description
                    processesByRun[runID]?.removeAll { $0.activity == activity }
                }
            }
            run.headHash = log.last?.link.hash
            run.eventCount = log.count
            runsByID[runID] = run
            logs[runID] = log
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// `body` on a copy of the state, kept only if it does not throw: a failed call changes
    /// nothing, as a rolled-back transaction does.
    private func transaction<T: Sendable>(_ body: (inout State) throws -> T) throws -> T {
        try state.withLock { current in
            var draft = current
            let result = try body(&draft)
            current = draft
            return result
        }
    }

    private func reading<T: Sendable>(_ body: (State) -> T) -> T {
        state.withLock { body($0) }
    }

    public func createRun(_ run: RunRecord, first: RecordedEvent) throws {
        try transaction { state in
            if let busy = LeaseError.scenarioBusy(among: state.runsByID.values.filter { $0.scenario == run.scenario }) { throw busy }
            guard state.runsByID[run.id] == nil else { throw InMemoryStoreError("run \(run.id) exists") }
            state.runsByID[run.id] = RunProjection.created(run)
            try state.append([first], to: run.id)
        }
    }

    @discardableResult
    public func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease? {
        try transaction { state in
            let replaced = try RunnerLease.takeOver(runID, from: try state.existing(runID).runner, by: lease, force: force)
            state.runsByID[runID]?.runner = lease
            return replaced
        }
    }

    public func releaseLease(_ runID: String, pid: Int32) throws {
        try transaction { state in
            if RunnerLease.mayRelease(state.runsByID[runID]?.runner, pid: pid) { state.runsByID[runID]?.runner = nil }
        }
    }

    public func append(_ events: [RecordedEvent], to runID: String) throws {
        try transaction { try $0.append(events, to: runID) }
    }

    public func events(of runID: String) throws -> [RecordedEvent] { reading { ($0.logs[runID] ?? []).map(\.recorded) } }
    public func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws {
        for event in try events(of: runID) { try body(event) }
    }
    public func chain(of runID: String) throws -> [AuditChain.Link] { reading { ($0.logs[runID] ?? []).map(\.link) } }
    public func run(_ id: String) throws -> RunRecord? { reading { $0.runsByID[id] } }

    public func runs(scenario: String?) throws -> [RunRecord] {
        reading { state in
            state.runsByID.values.filter { scenario == nil || $0.scenario == scenario }.sorted(by: RunProjection.newestFirst)
        }
    }

    public func updateRun(_ run: RunRecord) throws {
        try transaction { state in
            if let row = state.runsByID[run.id] { state.runsByID[run.id] = RunProjection.updated(row, with: run) }
        }
    }

    public func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws {
        try transaction { state in
            _ = try state.existing(runID)
            state.measurements[runID] = (measurement, marks)
        }
    }

    public func measurement(of runID: String) -> DrillMeasurement? { reading { $0.measurements[runID]?.0 } }

    public func post(_ event: DrillEvent, to runID: String) throws {
        try transaction { state in
            _ = try state.existing(runID)
            state.messages.append(InboxMessage(id: state.nextMessage, runID: runID, event: event))
            state.nextMessage += 1
        }
    }

    @discardableResult
    public func appendSignature(runID: String, sign: (Int, String, String) -> HeadSignature) throws -> HeadSignature {
        try transaction { state in
            guard let run = state.runsByID[runID], let head = run.headHash else { throw InMemoryStoreError("run \(runID) has no events to sign") }
            let signature = sign(run.eventCount, head, state.signed.last?.digest ?? AuditChain.genesis)
            state.signed.append(signature)
            return signature
        }
    }

    public func signatures(runID: String?) throws -> [HeadSignature] {
        reading { $0.signed.filter { runID == nil || $0.runID == runID } }
    }

    public func inbox(of runID: String) throws -> [InboxMessage] { reading { $0.messages.filter { $0.runID == runID } } }

    public func deleteInbox(_ ids: [Int64]) throws {
        try transaction { state in state.messages.removeAll { ids.contains($0.id) } }
    }

    public func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws {
        guard !processes.isEmpty else { return }
        try transaction { state in
            _ = try state.existing(runID)
            var rows = state.processesByRun[runID, default: []]
            for process in processes {
                rows.removeAll { $0.activity == process.activity && $0.pid == process.pid }
                rows.append(process)
            }
            state.processesByRun[runID] = rows
        }
    }

    public func clearStepProcesses(_ runID: String, activity: String?) throws {
        try transaction { state in
            if let activity { state.processesByRun[runID]?.removeAll { $0.activity == activity } } else { state.processesByRun[runID] = nil }
        }
    }

    public func stepProcesses(of runID: String) throws -> [StepProcess] {
        reading { ($0.processesByRun[runID] ?? []).sorted { ($0.activity, $0.pid) < ($1.activity, $1.pid) } }
    }
}

struct InMemoryStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
