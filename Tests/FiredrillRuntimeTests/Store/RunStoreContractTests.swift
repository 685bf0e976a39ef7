import FiredrillCore
import FiredrillPostgres
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// A store the contract is run against: a fresh, empty one each time, and how to dispose of it.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    var make: @Sendable () throws -> (store: any RunStore, tearDown: @Sendable () -> Void)
    /// For a store whose leases expire unrenewed (a shared record): makes run `id`'s lease expire now.
    var expireLease: (@Sendable (any RunStore, String) throws -> Void)? = nil
    var testDescription: String { name }

    /// Every `RunStore`. A new store is one more line here. PostgreSQL's only where a cluster
    /// runs (.ci/run starts one); where none can, that is said once on stderr.
    static let all: [StoreFactory] = {
        guard TestPostgres.shared != nil else {
            FileHandle.standardError.write(Data("RunStoreContractTests: the PostgreSQL store is skipped: \(TestPostgres.unavailableReason)\n".utf8))
            return [.sqlite, .inMemory]
        }
        return [.sqlite, .inMemory, .postgres]
    }()

    static let sqlite = StoreFactory(name: "SQLiteStore") {
        let dir = try StoreFixture.temporaryFolder("firedrill-contract")
        return (try SQLiteStore(path: dir + "/record.db"), { try? FileManager.default.removeItem(atPath: dir) })
    }

    static let inMemory = StoreFactory(name: "InMemoryStore") { (InMemoryStore(), {}) }

    static let postgres = StoreFactory(name: "PostgresStore", make: {
        let server = try #require(TestPostgres.shared)
        let database = try server.createDatabase("contract")
        let store = try PostgresStore(url: server.url(database: database))
        return (store, { server.dropDatabase(database) })
    }, expireLease: { store, id in
        let store = try #require(store as? PostgresStore)
        try TestPostgres.shared?.psql("UPDATE leases SET expires_at = clock_timestamp() - interval '1 second' WHERE run_id = '\(id)'",
                                      database: store.url.database)
    })
}

/// What every `RunStore` does alike: the record it keeps of a run (events, chain, the runs
/// projection), the lease rule, the inbox, step processes and signed heads.
/// Serialized: PostgreSQL's cases block on their server (a database made and dropped for each),
/// and two at once would hold both threads of the test pool the async tests beside them need.
@Suite(.serialized) struct RunStoreContractTests {
    func with(_ factory: StoreFactory, _ body: (any RunStore) throws -> Void) throws {
        let (store, tearDown) = try factory.make()
        defer { tearDown() }
        try body(store)
    }

    // MARK: - Events and their chain

    @Test(arguments: StoreFactory.all)
    func aNewRunHoldsItsRowAndFirstEventAndNotTheCallersFiguresOrChain(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var given = StoreFixture.run("r-1", runner: StoreFixture.live)
            given.endedWallNs = 99
            given.rtoSeconds = 1
            given.rpoSeconds = 2
            given.objectivesMet = true
            given.headHash = "forged"
            given.eventCount = 7
            let first = StoreFixture.started(given)
            try store.createRun(given, first: first)

            var expected = StoreFixture.run("r-1", runner: StoreFixture.live)
            expected.headHash = try SQLiteStore.chainHead(runID: "r-1", events: [first])
            expected.eventCount = 1
            #expect(try store.run("r-1") == expected)
            #expect(try store.events(of: "r-1") == [first])
            #expect(try store.run("r-2") == nil)
            #expect(try store.events(of: "r-2").isEmpty)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aRunWhoseFirstEventIsRefusedIsNotCreated(_ factory: StoreFactory) throws {
        try with(factory) { store in
            let run = StoreFixture.run("r-1")
            var first = StoreFixture.started(run)
            first.seq = 2
            #expect(throws: (any Error).self) { try store.createRun(run, first: first) }
            let created = try store.run("r-1")
            #expect(created == nil, "the row and its first event are written together or not at all")
            #expect(try store.runs(scenario: nil).isEmpty)
            try store.createRun(run, first: StoreFixture.started(run))
            #expect(try store.events(of: "r-1") == [StoreFixture.started(run)])
        }
    }

    @Test(arguments: StoreFactory.all)
    func eventsReadBackInOrderAsAppended(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            try drill.append(.abortRequested(by: "ops/ünïcode \"quoted\"", reason: "line\nbreak"), .maxDurationPassed)
            try drill.append(.deadlinePassed(ref: .phase(0, 1), attempt: 2))
            try drill.append()
            try drill.append(.runSuspended(reason: "waiting on a person"), .runResumed(RunnerIdentity(pid: 7, host: "h")),
                             .runEnded(.completed))
            let events = try store.events(of: "r-1")
            #expect(events == drill.recorded)
            #expect(events.map(\.seq) == Array(1...7))
            #expect(try store.run("r-1")?.eventCount == 7)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aSequenceGapOrRepeatIsRefusedAndNothingOfTheBatchIsKept(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            try drill.append(.maxDurationPassed)
            let before = try store.run("r-1")
            let gap = [StoreFixture.event(3, .runSuspended(reason: "x")), StoreFixture.event(5, .maxDurationPassed)]
            #expect(throws: (any Error).self) { try store.append(gap, to: "r-1") }
            let repeated = [StoreFixture.event(3, .runSuspended(reason: "x")), StoreFixture.event(2, .maxDurationPassed)]
            #expect(throws: (any Error).self) { try store.append(repeated, to: "r-1") }
            #expect(try store.events(of: "r-1") == drill.recorded)
            #expect(try store.run("r-1") == before, "the status and the head are as before the refused batch")
            try drill.append(.runSuspended(reason: "x"))
            #expect(try store.events(of: "r-1") == drill.recorded)
        }
    }

    @Test(arguments: StoreFactory.all)
    func eachEventLinksToTheOneBeforeAndTheHeadIsTheLast(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            try drill.append(.abortRequested(by: "a", reason: "b"), .runInterrupted(reason: "c"))
            try drill.append(.runResumed(RunnerIdentity(pid: 1, host: "h")))
            let chain = try store.chain(of: "r-1")
            #expect(chain.map(\.seq) == [1, 2, 3, 4])
            #expect(chain.map(\.prevHash) == [AuditChain.genesis] + chain.dropLast().map(\.hash))
            for link in chain { #expect(AuditChain.hash(of: link, runID: "r-1") == link.hash, "event \(link.seq)") }
            #expect(chain.map(\.type) == drill.recorded.map(\.event.type))
            let recomputed = try SQLiteStore.chainHead(runID: "r-1", events: try store.events(of: "r-1"))
            #expect(chain.last?.hash == recomputed)
            let run = try #require(try store.run("r-1"))
            #expect(run.headHash == chain.last?.hash)
            #expect(run.eventCount == 4)
            #expect(AuditChain.verify(runID: "r-1", links: chain, headHash: run.headHash, eventCount: run.eventCount) == nil)
            #expect(try store.chain(of: "r-2").isEmpty)
        }
    }

    @Test(arguments: StoreFactory.all)
    func eventsStreamInOrderAndTheReaderCanStopTheStream(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            let report = DriverReport(verdict: .failed, summary: "connection refused to db:5432")
            for sample in 1...5 {
                let start = DrillInstant(nanoseconds: Int64(sample) * 1_000_000)
                try drill.append(.probeSampled(ProbeSampled(ref: .phase(0, 0), attempt: 1, sample: sample, report: report, startedAt: start,
                                                            endedAt: start + DrillDuration(nanoseconds: 300))))
            }
            try drill.append(.canaryWritten(CanaryWritten(seq: 1, report: report, startedAt: .start, endedAt: .init(nanoseconds: 9))), .runEnded(.failed))
            var streamed: [RecordedEvent] = []
            try store.forEachEvent(of: "r-1") { streamed.append($0) }
            #expect(streamed == drill.recorded)
            #expect(streamed == (try store.events(of: "r-1")))
            struct Enough: Error {}
            var read = 0
            #expect(throws: Enough.self) {
                try store.forEachEvent(of: "r-1") { _ in
                    read += 1
                    if read == 3 { throw Enough() }
                }
            }
            #expect(read == 3)
            try store.forEachEvent(of: "nobody") { _ in Issue.record("an event of a run that does not exist") }
        }
    }

    /// What the lists read: each run's first event (its instants, not its payload) and its ends, decoded.
    @Test(arguments: StoreFactory.all.filter { $0.name != "InMemoryStore" })
    func theBookendsAreEachRunsFirstEventAndItsEnd(_ factory: StoreFactory) throws {
        try with(factory) { store in
            let store = try #require(store as? any DrillStore)
            let scenario = Scenario(name: "drill", phases: [])
            let headline = RunHeadline(scenario: "drill", status: .completed,
                                       measurement: DrillMeasurement(scenario: scenario, state: DrillMachine(scenario: scenario).state))
            var ended = try StoreFixture.Drill(store, "r-b")
            try ended.append(.maxDurationPassed, .runEnded(.completed, headline: headline))
            var underWay = try StoreFixture.Drill(store, "r-a", scenario: "other")
            try underWay.append(.maxDurationPassed)
            var bookends: [Bookend] = []
            try store.forEachBookend { bookends.append($0) }
            #expect(bookends.map(\.runID) == ["r-a", "r-b", "r-b"])
            #expect(bookends.map(\.seq) == [1, 1, 3])
            #expect(bookends.map(\.type) == ["run_started", "run_started", "run_ended"])
            #expect(bookends.map(\.wallNs) == [underWay.recorded[0].wallNs, ended.recorded[0].wallNs, ended.recorded[2].wallNs])
            #expect(bookends.map(\.monoNs) == [underWay.recorded[0].monoNs, ended.recorded[0].monoNs, ended.recorded[2].monoNs])
            #expect(bookends.map(\.ended) == [nil, nil, .runEnded(.completed, headline: headline)])
        }
    }

    @Test(arguments: StoreFactory.all)
    func eventsForAnUnknownRunAreRefused(_ factory: StoreFactory) throws {
        try with(factory) { store in
            #expect(throws: (any Error).self) { try store.append([StoreFixture.event(1, .maxDurationPassed)], to: "nobody") }
            let events = try store.events(of: "nobody")
            #expect(events.isEmpty)
            #expect(try store.run("nobody") == nil)
        }
    }

    // MARK: - The runs projection

    @Test(arguments: StoreFactory.all, ProjectionCase.all)
    func theRunsStatusAndEndFollowEachEvent(_ factory: StoreFactory, _ projection: ProjectionCase) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            let started = try #require(try store.run("r-1"))
            #expect(started.status == .running)
            #expect(started.endedWallNs == nil)
            var ended: Int64?
            for (event, status, ends) in projection.steps {
                try drill.append(event)
                let recorded = try #require(drill.recorded.last)
                if ends { ended = recorded.wallNs }
                let run = try #require(try store.run("r-1"))
                #expect(run.status == status, "after \(event.type)")
                #expect(run.endedWallNs == ended, "after \(event.type)")
                #expect(run.eventCount == drill.recorded.count)
                // Events change the status and the end, never what the run is or its figures.
                #expect(run.scenario == started.scenario && run.title == started.title && run.varsJSON == started.varsJSON)
                #expect(run.runner == started.runner)
                #expect(run.rtoSeconds == nil && run.rpoSeconds == nil && run.objectivesMet == nil)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func updateRunSetsTheStatusEndAndFiguresAndNothingElse(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1")
            let before = try #require(try store.run("r-1"))
            var update = before
            update.status = .deviated
            update.endedWallNs = before.startedWallNs + 5_000_000_000
            update.rtoSeconds = 12.5
            update.rpoSeconds = 0.25
            update.objectivesMet = true
            update.title = "retitled"
            update.scenarioText = "edited"
            update.varsJSON = #"{"x":"y"}"#
            update.runner = RunnerLease(pid: 3, host: "other", sinceWallNs: 1, token: "t")
            update.headHash = "forged"
            update.eventCount = 99
            try store.updateRun(update)

            var expected = before
            expected.status = .deviated
            expected.endedWallNs = update.endedWallNs
            expected.rtoSeconds = 12.5
            expected.rpoSeconds = 0.25
            expected.objectivesMet = true
            #expect(try store.run("r-1") == expected)

            update.objectivesMet = false
            update.rpoSeconds = nil
            try store.updateRun(update)
            expected.objectivesMet = false
            expected.rpoSeconds = nil
            #expect(try store.run("r-1") == expected)

            try store.updateRun(StoreFixture.run("never-created"))
            #expect(try store.run("never-created") == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func runsAreListedNewestFirstAndByScenario(_ factory: StoreFactory) throws {
        try with(factory) { store in
            // Ids out of start order, and two runs started in the same nanosecond.
            for (id, scenario, wall) in [("c", "alpha", 10), ("a", "alpha", 30), ("b", "beta", 20), ("d", "alpha", 20), ("e", "alpha", 20)] {
                var drill = try StoreFixture.Drill(store, id, scenario: scenario, startedWallNs: StoreFixture.epoch + Int64(wall))
                try drill.append(.runEnded(.completed))
            }
            #expect(try store.runs(scenario: "alpha").map(\.id) == ["a", "e", "d", "c"])
            #expect(try store.runs(scenario: "beta").map(\.id) == ["b"])
            #expect(try store.runs(scenario: nil).map(\.id) == ["a", "e", "d", "b", "c"])
            #expect(try store.runs(scenario: "gamma").isEmpty)
            #expect(try store.findRun("b")?.id == "b")
            var xyz = try StoreFixture.Drill(store, "run-xyz", scenario: "gamma")
            try xyz.append(.runEnded(.failed))
            #expect(try store.findRun("run-x")?.id == "run-xyz")
            _ = try StoreFixture.Drill(store, "run-xyw", scenario: "delta")
            #expect(try store.findRun("run-x") == nil, "an ambiguous prefix finds nothing")
        }
    }

    // MARK: - One unfinished run per scenario

    @Test(arguments: StoreFactory.all)
    func anUnfinishedRunKeepsItsScenarioBusyNamingItsHolder(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.live)
            let second = StoreFixture.run("r-2", runner: StoreFixture.live)
            #expect(throws: LeaseError.scenarioBusy(scenario: "drill", runID: "r-1", status: .running, by: StoreFixture.live)) {
                try store.createRun(second, first: StoreFixture.started(second))
            }
            #expect(try store.run("r-2") == nil)
            #expect(try store.events(of: "r-2").isEmpty)
            try drill.append(.runSuspended(reason: "x"))
            #expect(throws: LeaseError.scenarioBusy(scenario: "drill", runID: "r-1", status: .waiting, by: StoreFixture.live)) {
                try store.createRun(second, first: StoreFixture.started(second))
            }
            // Another scenario is not held up.
            _ = try StoreFixture.Drill(store, "other-1", scenario: "other")
            try drill.append(.runResumed(RunnerIdentity(pid: 1, host: "h")), .runEnded(.aborted))
            try store.createRun(second, first: StoreFixture.started(second))
            #expect(try store.run("r-2")?.status == .running)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aBusyScenarioNamesAHolderElsewhereButNotOneGone(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "gone-1", scenario: "gone", runner: StoreFixture.deadReusedPid)
            #expect(throws: LeaseError.scenarioBusy(scenario: "gone", runID: "gone-1", status: .running, by: nil)) {
                try store.createRun(StoreFixture.run("gone-2", scenario: "gone"), first: StoreFixture.started(StoreFixture.run("gone-2", scenario: "gone")))
            }
            _ = try StoreFixture.Drill(store, "far-1", scenario: "far", runner: StoreFixture.otherHost)
            #expect(throws: LeaseError.scenarioBusy(scenario: "far", runID: "far-1", status: .running, by: StoreFixture.otherHost)) {
                try store.createRun(StoreFixture.run("far-2", scenario: "far"), first: StoreFixture.started(StoreFixture.run("far-2", scenario: "far")))
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func ofTwoUnfinishedRunsTheNewestIsNamed(_ factory: StoreFactory) throws {
        try with(factory) { store in
            // Two unfinished runs only arise from an edited or older record: made here with updateRun.
            _ = try StoreFixture.Drill(store, "old", runner: StoreFixture.live, startedWallNs: StoreFixture.epoch)
            var old = try #require(try store.run("old"))
            old.status = .completed
            try store.updateRun(old)
            _ = try StoreFixture.Drill(store, "new", runner: StoreFixture.otherHost, startedWallNs: StoreFixture.epoch + 1)
            old.status = .interrupted
            try store.updateRun(old)
            #expect(throws: LeaseError.scenarioBusy(scenario: "drill", runID: "new", status: .running, by: StoreFixture.otherHost)) {
                try store.createRun(StoreFixture.run("third"), first: StoreFixture.started(StoreFixture.run("third")))
            }
        }
    }

    // MARK: - The lease rule

    @Test(arguments: StoreFactory.all)
    func aFreeRunIsLeasedAndItsHolderRenewsIt(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: nil)
            #expect(try store.run("r-1")?.runner == nil)
            #expect(try store.acquireLease("r-1", lease: StoreFixture.live, force: false) == nil)
            #expect(try store.run("r-1")?.runner == StoreFixture.live)
            var renewed = StoreFixture.live
            renewed.sinceWallNs += 1_000
            #expect(try store.acquireLease("r-1", lease: renewed, force: false) == nil, "renewing replaces nobody")
            #expect(try store.run("r-1")?.runner == renewed)
            #expect(throws: (any Error).self) { try store.acquireLease("nobody", lease: StoreFixture.live, force: false) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func aLiveRunnerKeepsItsLeaseEvenAgainstForce(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.live)
            for force in [false, true] {
                #expect(throws: LeaseError.held(runID: "r-1", by: StoreFixture.live)) {
                    try store.acquireLease("r-1", lease: StoreFixture.claimant, force: force)
                }
            }
            #expect(try store.run("r-1")?.runner == StoreFixture.live)
        }
    }

    @Test(arguments: StoreFactory.all, [StoreFixture.deadReusedPid, StoreFixture.deadNoProcess])
    func aDeadRunnersLeaseIsTakenOver(_ factory: StoreFactory, _ dead: RunnerLease) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: dead)
            #expect(try store.acquireLease("r-1", lease: StoreFixture.claimant, force: false) == dead)
            #expect(try store.run("r-1")?.runner == StoreFixture.claimant)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aRunnerOnAnotherHostIsReplacedOnlyWithForce(_ factory: StoreFactory) throws {
        guard factory.expireLease == nil else { return }  // a shared record's leases expire instead: next test
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.otherHost)
            #expect(throws: LeaseError.otherHost(runID: "r-1", by: StoreFixture.otherHost)) {
                try store.acquireLease("r-1", lease: StoreFixture.claimant, force: false)
            }
            #expect(try store.run("r-1")?.runner == StoreFixture.otherHost)
            #expect(try store.acquireLease("r-1", lease: StoreFixture.claimant, force: true) == StoreFixture.otherHost)
            #expect(try store.run("r-1")?.runner == StoreFixture.claimant)
        }
    }

    /// A shared record: another host's runner that renews its lease keeps it, --force or not;
    /// once the lease has expired unrenewed, any host takes it without --force.
    @Test(arguments: StoreFactory.all.filter { $0.expireLease != nil })
    func aRunnerOnAnotherHostKeepsARenewedLeaseAndLosesAnExpiredOne(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.otherHost)
            for force in [false, true] {
                do {
                    try store.acquireLease("r-1", lease: StoreFixture.claimant, force: force)
                    Issue.record("a renewed lease on another host was taken (force: \(force))")
                } catch let error as LeaseError {
                    guard case .renewed(let id, let holder, _, let left) = error else { Issue.record("\(error)"); continue }
                    #expect(id == "r-1" && holder == StoreFixture.otherHost && left > 0)
                }
            }
            #expect(try store.run("r-1")?.runner == StoreFixture.otherHost)
            try factory.expireLease?(store, "r-1")
            #expect(try store.acquireLease("r-1", lease: StoreFixture.claimant, force: false) == StoreFixture.otherHost)
            #expect(try store.run("r-1")?.runner == StoreFixture.claimant)
        }
    }

    /// The fence: once another runner has taken the run over, its old runner's writes are
    /// refused in the database, saying so, and nothing of them is kept.
    @Test(arguments: StoreFactory.all.filter { $0.expireLease != nil })
    func aRunnerWhoseRunWasTakenOverRecordsNothingMore(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.live)
            try drill.append(.maxDurationPassed)
            let store = try #require(store as? PostgresStore)
            try TestPostgres.shared?.psql("UPDATE leases SET host = 'taker.invalid', pid = 9 WHERE run_id = 'r-1'", database: store.url.database)
            do {
                try drill.append(.abortRequested(by: "old runner", reason: "late"))
                Issue.record("the old runner's write was kept")
            } catch {
                #expect("\(error)".contains("no longer this runner's") && "\(error)".contains("taker.invalid"), "\(error)")
            }
            #expect(try store.events(of: "r-1").count == 2)
            #expect(try store.run("r-1")?.eventCount == 2)
        }
    }

    @Test(arguments: StoreFactory.all)
    func onlyTheHoldersPidReleasesTheLease(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1", runner: StoreFixture.live)
            try store.releaseLease("r-1", pid: StoreFixture.claimant.pid)
            #expect(try store.run("r-1")?.runner == StoreFixture.live)
            try store.releaseLease("r-1", pid: StoreFixture.live.pid)
            #expect(try store.run("r-1")?.runner == nil)
            try store.releaseLease("r-1", pid: StoreFixture.live.pid)
            try store.releaseLease("nobody", pid: StoreFixture.live.pid)
            #expect(try store.acquireLease("r-1", lease: StoreFixture.claimant, force: false) == nil)
        }
    }

    // MARK: - Inbox, step processes, signed heads

    @Test(arguments: StoreFactory.all)
    func theInboxKeepsEachRunsMessagesInOrderUntilDeleted(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1")
            _ = try StoreFixture.Drill(store, "r-2", scenario: "other")
            let alice = DrillEvent.abortRequested(by: "alice", reason: "first")
            let bob = DrillEvent.abortRequested(by: "bob", reason: "second")
            try store.post(alice, to: "r-1")
            try store.post(.maxDurationPassed, to: "r-2")
            try store.post(bob, to: "r-1")
            let inbox = try store.inbox(of: "r-1")
            #expect(inbox.map(\.event) == [alice, bob])
            #expect(inbox.map(\.runID) == ["r-1", "r-1"])
            #expect(inbox[0].id < inbox[1].id)
            let other = try store.inbox(of: "r-2")
            #expect(other.map(\.event) == [.maxDurationPassed])
            #expect(Set(inbox.map(\.id)).isDisjoint(with: other.map(\.id)))
            try store.deleteInbox([inbox[0].id])
            #expect(try store.inbox(of: "r-1") == [inbox[1]])
            try store.deleteInbox([])
            try store.deleteInbox([inbox[1].id, other[0].id])
            #expect(try store.inbox(of: "r-1").isEmpty)
            #expect(try store.inbox(of: "r-2").isEmpty)
            #expect(throws: (any Error).self) { try store.post(bob, to: "nobody") }
        }
    }

    /// An attempt's end drops the rows of its call's processes, in the same transaction, and no others.
    @Test(arguments: StoreFactory.all)
    func anAttemptsEndDropsItsProcessRows(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var drill = try StoreFixture.Drill(store, "r-1")
            let ref = StepRef.phase(0, 0)
            func row(_ attempt: Int, _ pid: Int32) -> StepProcess {
                StepProcess(activity: ActivityID.attempt(ref, attempt).description, pid: pid, startTicks: 1, host: "h", bootID: "b",
                            cgroup: "/sys/fs/cgroup/firedrill/run-r-1-p1-\(attempt)")
            }
            try store.recordStepProcesses("r-1", [row(1, 10), row(2, 20)])
            try drill.append(.attemptStarted(AttemptStarted(ref: ref, attempt: 1, action: .run(argv: ["true"]), instructions: nil)),
                             .attemptFinished(.init(ref: ref, attempt: 1, report: DriverReport(verdict: .passed, summary: "exit 0"),
                                                    startedAt: .start, endedAt: .start)))
            #expect(try store.stepProcesses(of: "r-1") == [row(2, 20)])
        }
    }

    /// A run's end in one write: its status and figures, and the lease released only when asked.
    @Test(arguments: StoreFactory.all)
    func finishRunSetsTheFiguresAndReleasesTheLeaseWhenAsked(_ factory: StoreFactory) throws {
        let text = "firedrill: 1\nname: drill\nphases:\n  - name: p\n    steps:\n      - {name: s, sleep: 1ms}\n"
        let scenario = try #require(ScenarioLoader.parse(text: text, file: "d.yaml", baseDirectory: "/", fileExists: { _ in true }).scenario)
        let measurement = DrillMeasurement(scenario: scenario, state: DrillMachine(scenario: scenario).state)
        try with(factory) { store in
            for (id, release) in [("r-1", true), ("r-2", false)] {
                _ = try StoreFixture.Drill(store, id, scenario: id)
                var ended = try #require(try store.run(id))
                ended.status = .completed
                ended.endedWallNs = StoreFixture.epoch + 5
                ended.rtoSeconds = 1.5
                try store.finishRun(ended, measurement: measurement, marks: [], releasingLeaseOf: release ? StoreFixture.live.pid : nil)
                let row = try #require(try store.run(id))
                #expect(row.status == .completed && row.endedWallNs == StoreFixture.epoch + 5 && row.rtoSeconds == 1.5)
                #expect((row.runner == nil) == release, "\(id): \(String(describing: row.runner))")
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func stepProcessesAreRecordedReplacedAndCleared(_ factory: StoreFactory) throws {
        try with(factory) { store in
            _ = try StoreFixture.Drill(store, "r-1")
            _ = try StoreFixture.Drill(store, "r-2", scenario: "other")
            func process(_ activity: String, _ pid: Int32, ticks: UInt64 = 100, cgroup: String? = nil) -> StepProcess {
                StepProcess(activity: activity, pid: pid, startTicks: ticks, host: "h", bootID: "b", cgroup: cgroup)
            }
            try store.recordStepProcesses("r-1", [process("y", 5), process("x", 20)])
            try store.recordStepProcesses("r-1", [process("x", 10, cgroup: "/sys/fs/cgroup/step")])
            try store.recordStepProcesses("r-2", [process("x", 10)])
            try store.recordStepProcesses("r-1", [])
            #expect(try store.stepProcesses(of: "r-1") == [process("x", 10, cgroup: "/sys/fs/cgroup/step"), process("x", 20), process("y", 5)])
            // The same call and pid again replaces the row; start ticks past Int64 survive.
            try store.recordStepProcesses("r-1", [process("x", 20, ticks: UInt64.max)])
            #expect(try store.stepProcesses(of: "r-1")[1] == process("x", 20, ticks: UInt64.max))
            try store.clearStepProcesses("r-1", activity: "x")
            #expect(try store.stepProcesses(of: "r-1") == [process("y", 5)])
            try store.clearStepProcesses("r-1", activity: nil)
            #expect(try store.stepProcesses(of: "r-1").isEmpty)
            #expect(try store.stepProcesses(of: "r-2") == [process("x", 10)])
            #expect(throws: (any Error).self) { try store.recordStepProcesses("nobody", [process("x", 1)]) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func signedHeadsSignTheCurrentHeadAndLinkToTheSignatureBefore(_ factory: StoreFactory) throws {
        try with(factory) { store in
            var one = try StoreFixture.Drill(store, "r-1")
            try one.append(.maxDurationPassed)
            var two = try StoreFixture.Drill(store, "r-2", scenario: "other")
            try two.append(.runEnded(.completed))
            try one.append(.runEnded(.failed))
            func sign(_ runID: String, _ n: Int) throws -> HeadSignature {
                try store.appendSignature(runID: runID) { count, head, previous in
                    HeadSignature(runID: runID, eventCount: count, headHash: head, previousDigest: previous, publicKey: "key",
                                  signature: "signature \(n)", signedWallNs: StoreFixture.epoch + Int64(n))
                }
            }
            let first = try sign("r-1", 1)
            let second = try sign("r-2", 2)
            let third = try sign("r-1", 3)
            let r1 = try #require(try store.run("r-1"))
            #expect(first.eventCount == 3 && first.headHash == r1.headHash)
            #expect(first.previousDigest == AuditChain.genesis)
            let r2 = try #require(try store.run("r-2"))
            #expect(second.eventCount == 2 && second.headHash == r2.headHash)
            #expect(second.previousDigest == first.digest, "linked to the latest signature of any run")
            #expect(third.previousDigest == second.digest)
            #expect(try store.signatures(runID: nil) == [first, second, third])
            #expect(try store.signatures(runID: "r-1") == [first, third])
            #expect(try store.signatures(runID: "nobody").isEmpty)
            #expect(throws: (any Error).self) { try sign("nobody", 4) }
            #expect(try store.signatures(runID: nil).count == 3)
        }
    }
}

/// A run of events and the status and end each leaves the run in.
struct ProjectionCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// Each event, the status after it, and whether it ends the run (its wall time is then the run's end).
    var steps: [(event: DrillEvent, status: RunStatus, ends: Bool)]
    var testDescription: String { name }

    static let resumed = DrillEvent.runResumed(RunnerIdentity(pid: 4, host: "h"))
    static let halted = DrillEvent.runHalted(RunHalted(ref: .phase(0, 0), attempt: 1, reason: "in doubt"))
    static let resolved = DrillEvent.operatorResolved(Resolution(ref: .phase(0, 0), attempt: 1, decision: .retry, by: "carol"))

    static let all: [ProjectionCase] = [
        ProjectionCase(name: "suspended, then resumed", steps: [
            (.runSuspended(reason: "manual step"), .waiting, false),
            (.abortRequested(by: "a", reason: "b"), .waiting, false),
            (resumed, .running, false),
        ]),
        ProjectionCase(name: "halted, then resolved", steps: [(halted, .halted, false), (resolved, .running, false)]),
        ProjectionCase(name: "interrupted, then resumed", steps: [
            (.runInterrupted(reason: "second SIGINT"), .interrupted, false), (resumed, .running, false),
        ]),
        ProjectionCase(name: "ended, then interrupted (an edited record)", steps: [
            (.runEnded(.completed), .completed, true),
            // Only the end sets the end time: a status after it keeps it.
            (.runInterrupted(reason: "x"), .interrupted, false),
        ]),
    ] + RunStatus.allCases.map { status in
        ProjectionCase(name: "ended \(status.rawValue)", steps: [
            (.maxDurationPassed, .running, false),
            (.runEnded(status), status, true),
            (.deadlinePassed(ref: .phase(0, 0), attempt: 1), status, false),
        ])
    }
}
