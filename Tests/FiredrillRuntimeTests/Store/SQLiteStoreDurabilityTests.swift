import FiredrillCore
@testable import FiredrillRuntime
import Foundation
import GRDB
import Testing

@Suite struct SQLiteStoreDurabilityTests {
    /// What SQLite decides a commit's fsync on: the writer connection's own `synchronous` (2 is FULL).
    static func writerSynchronous(_ store: SQLiteStore) throws -> Int? {
        try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    }

    /// GRDB turns a pool's writer to `synchronous = NORMAL` when it sets WAL mode, after the
    /// configuration's own `prepareDatabase`: events were not fsync'd at commit until the store set it back.
    @Test func theWriterCommitsWithSynchronousFull() throws {
        let dir = try StoreFixture.temporaryFolder("firedrill-durable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fresh = try SQLiteStore(path: dir + "/d.db")
        #expect(try Self.writerSynchronous(fresh) == 2)
        // An existing database, opened again: no migration runs this time.
        let reopened = try SQLiteStore(path: dir + "/d.db")
        #expect(try Self.writerSynchronous(reopened) == 2)
    }

    /// Step processes are written unsynced (they mean nothing after a reboot), and the write after them is fsync'd again.
    @Test func stepProcessRowsAreUnsyncedAndTheNextCommitIsFull() throws {
        let dir = try StoreFixture.temporaryFolder("firedrill-durable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/d.db")
        var drill = try StoreFixture.Drill(store, "r-1")
        let row = StepProcess(activity: "attempt:0", pid: 10, startTicks: 7, host: "h", bootID: "b", cgroup: nil)
        try store.recordStepProcesses("r-1", [row])
        #expect(try Self.writerSynchronous(store) == 2)
        #expect(try store.stepProcesses(of: "r-1") == [row])
        try store.clearStepProcesses("r-1", activity: "attempt:0")
        #expect(try Self.writerSynchronous(store) == 2)
        #expect(try store.stepProcesses(of: "r-1").isEmpty)
        // A failed unsynced write (no such run: the foreign key) leaves the writer at FULL too.
        #expect(throws: StoreError.self) { try store.recordStepProcesses("no-such-run", [row]) }
        #expect(try Self.writerSynchronous(store) == 2)
        try drill.append(.runEnded(.completed))
        #expect(try store.events(of: "r-1").count == 2)
    }
}
