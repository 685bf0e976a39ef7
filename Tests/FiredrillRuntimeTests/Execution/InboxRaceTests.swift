import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Synchronization
import Testing

/// The inbox poll and the read before a suspension both see one message. Delegates to an
/// InMemoryStore; when the start notification's outcome is appended, posts a
/// confirmation and holds the loop until the inbox poll child has read it (real time).
final class RacingStore: RunStore, @unchecked Sendable {
    let inner = InMemoryStore()
    let armed = Mutex(false)
    let polledWhileArmed = Mutex(false)
    init() {}
    func createRun(_ run: RunRecord, first: RecordedEvent) throws { try inner.createRun(run, first: first) }
    func acquireLease(_ runID: String, lease: RunnerLease, force: Bool) throws -> RunnerLease? { try inner.acquireLease(runID, lease: lease, force: force) }
    func releaseLease(_ runID: String, pid: Int32) throws { try inner.releaseLease(runID, pid: pid) }
    func append(_ events: [RecordedEvent], to runID: String) throws {
        try inner.append(events, to: runID)
        if events.contains(where: { if case .notificationSent = $0.event { true } else { false } }), !armed.withLock({ $0 }) {
            armed.withLock { $0 = true }
            try inner.post(.operatorConfirmed(.init(ref: .setup(0), by: "bob", note: nil)), to: runID)
            let until = Date().addingTimeInterval(10)
            while !polledWhileArmed.withLock({ $0 }), Date() < until { usleep(1000) }
            armed.withLock { $0 = false }
        }
    }
    func events(of runID: String) throws -> [RecordedEvent] { try inner.events(of: runID) }
    func forEachEvent(of runID: String, _ body: (RecordedEvent) throws -> Void) throws { try inner.forEachEvent(of: runID, body) }
    func chain(of runID: String) throws -> [AuditChain.Link] { try inner.chain(of: runID) }
    func run(_ id: String) throws -> RunRecord? { try inner.run(id) }
    func runs(scenario: String?) throws -> [RunRecord] { try inner.runs(scenario: scenario) }
    func updateRun(_ run: RunRecord) throws { try inner.updateRun(run) }
    func saveMeasurement(runID: String, measurement: DrillMeasurement, marks: [Mark]) throws { try inner.saveMeasurement(runID: runID, measurement: measurement, marks: marks) }
    func post(_ event: DrillEvent, to runID: String) throws { try inner.post(event, to: runID) }
    func inbox(of runID: String) throws -> [InboxMessage] {
        let messages = try inner.inbox(of: runID)
        if armed.withLock({ $0 }), !messages.isEmpty { polledWhileArmed.withLock { $0 = true } }
        return messages
    }
    func deleteInbox(_ ids: [Int64]) throws { try inner.deleteInbox(ids) }
    func appendSignature(runID: String, sign: (_ eventCount: Int, _ headHash: String, _ previousDigest: String) -> HeadSignature) throws -> HeadSignature {
        try inner.appendSignature(runID: runID, sign: sign)
    }
    func signatures(runID: String?) throws -> [HeadSignature] { try inner.signatures(runID: runID) }
    func recordStepProcesses(_ runID: String, _ processes: [StepProcess]) throws { try inner.recordStepProcesses(runID, processes) }
    func clearStepProcesses(_ runID: String, activity: String?) throws { try inner.clearStepProcesses(runID, activity: activity) }
    func stepProcesses(of runID: String) throws -> [StepProcess] { try inner.stepProcesses(of: runID) }
}

@Suite struct InboxRaceTests {
    @Test func aMessageReadByThePollAndBeforeSuspendingIsRecordedOnce() async throws {
        let store = RacingStore()
        let scenario = DrillExecutorTests.announcedScenario()
        let driver = DrillExecutorTests.driver()
        driver.script("/hook", [.pass(after: .milliseconds(30)), .pass()])
        let outcome = try await DrillExecutor.start(DrillExecutorTests.source(scenario), store: store, driver: driver, clock: SystemClock(),
                                                    console: TerminalConsole(interactive: false), progress: ProgressPrinter(enabled: false),
                                                    configure: { $0.inboxPollInterval = .milliseconds(5) })
        #expect(store.polledWhileArmed.withLock { $0 }, "the poll child read the message while the loop was busy")
        let confirmations = try store.events(of: outcome.runID).filter { if case .operatorConfirmed = $0.event { true } else { false } }
        #expect(confirmations.count == 1, "recorded \(confirmations.count) times: \(confirmations.map(\.seq))")
    }
}
