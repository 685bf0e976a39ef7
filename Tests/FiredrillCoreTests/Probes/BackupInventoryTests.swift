import FiredrillCore
import Foundation
import Testing

@Suite("BackupInventory: the restore points pgBackRest, restic, Velero or a mapping list")
struct BackupInventoryTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func resticSnapshotsAsRestic0Point14WritesThem() throws {
        let inventory = try InventoryFormat.restic.read(try Self.fixture("restic-snapshots.json"))
        #expect(inventory.points.count == 3)
        #expect(inventory.points.allSatisfy { $0.id.count == 64 })
        // "2026-12-02T19:11:46.10556713+05:30": eight digits of fraction, an offset.
        let oldest = try #require(inventory.oldest)
        #expect(oldest.wallNs == WallTime.parseRFC3339("2026-12-02T13:41:46.10556713Z")?.ns)
        #expect(oldest.resolutionNs == 10)
        #expect(oldest.time == "2026-12-02T13:41:46.10556713Z")
        #expect(inventory.newest!.wallNs > oldest.wallNs)
    }

    @Test func pgbackrestInfoLabelsStopTimesAndSizes() throws {
        let text = try Self.fixture("pgbackrest-info.json")
        let inventory = try InventoryFormat.pgbackrest.read(text)
        #expect(inventory.points.count == 2)
        #expect(inventory.points.allSatisfy { $0.id.hasSuffix("F") && $0.resolutionNs == 1_000_000_000 && ($0.sizeBytes ?? 0) > 0 })
        let three = try InventoryFormat.pgbackrest.read(try Self.fixture("pgbackrest-info-three.json"))
        #expect(three.points.count == 3)
    }

    @Test func pgbackrestSkipsBackupsWithErrorsAndSaysSo() throws {
        let text = #"[{"name":"main","backup":[{"label":"A","error":true,"timestamp":{"start":1,"stop":2}},{"label":"B","timestamp":{"start":3,"stop":1796205600},"info":{"size":5}}]}]"#
        let inventory = try InventoryFormat.pgbackrest.read(text)
        #expect(inventory.points == [RestorePoint(id: "B", wallNs: 1_796_205_600_000_000_000, resolutionNs: 1_000_000_000, sizeBytes: 5)])
        #expect(inventory.skipped == ["A: pgBackRest found errors in it"])
        #expect(inventory.summary == "1 restore point: B (2026-12-02T10:00:00Z) (1 not restorable, skipped)")
        #expect(throws: InventoryFormat.ReadError(message: "the pgbackrest inventory lists no restore points")) {
            try InventoryFormat.pgbackrest.read(#"[{"name":"main","backup":[]}]"#)
        }
        #expect(throws: InventoryFormat.ReadError(message: "stanza 'main' has no 'backup' list (is it pgbackrest info --output=json?)")) {
            try InventoryFormat.pgbackrest.read(#"[{"name":"main"}]"#)
        }
    }

    @Test func veleroCompletedBackupsOnly() throws {
        let text = #"""
        {"apiVersion":"velero.io/v1","kind":"BackupList","items":[
          {"kind":"Backup","metadata":{"name":"daily-20261201"},"status":{"phase":"Completed","completionTimestamp":"2026-12-01T02:05:09Z","expiration":"2026-12-31T02:00:00Z"}},
          {"kind":"Backup","metadata":{"name":"daily-20261202"},"status":{"phase":"PartiallyFailed","completionTimestamp":"2026-12-02T02:07:00Z"}},
          {"kind":"Backup","metadata":{"name":"daily-20261130"},"status":{"phase":"Completed","completionTimestamp":"2026-11-30T02:04:00Z"}}]}
        """#
        let inventory = try InventoryFormat.velero.read(text)
        #expect(inventory.points.map(\.id) == ["daily-20261130", "daily-20261201"])
        #expect(inventory.skipped == ["daily-20261202: PartiallyFailed"])
        #expect(inventory.lookup("oldest.id") == "daily-20261130")
        #expect(inventory.lookup("newest.time") == "2026-12-01T02:05:09Z")
        #expect(inventory.lookup("count") == "2")
        let one = try InventoryFormat.velero.read(#"{"kind":"Backup","metadata":{"name":"x"},"status":{"phase":"Completed","completionTimestamp":"2026-12-01T00:00:00Z"}}"#)
        #expect(one.points.map(\.id) == ["x"])
    }

    @Test func aMappingSaysWhichItemLacksWhat() throws {
        let format = InventoryFormat.mapping(items: "$.backups[*]", id: "$.name", time: "$.at", size: "$.bytes")
        let good = try format.read(#"{"backups":[{"name":"b","at":"1796205600.5","bytes":10},{"name":"a","at":"2026-12-01T10:00:00+02:00"}]}"#)
        #expect(good.points.map(\.id) == ["a", "b"])
        #expect(good.points.map(\.resolutionNs) == [1_000_000_000, 100_000_000])
        #expect(good.points.map(\.sizeBytes) == [nil, 10])
        #expect(throws: InventoryFormat.ReadError(message: #"item 2 (y): $.at is "yesterday", not an RFC 3339 time or Unix seconds"#)) {
            try format.read(#"{"backups":[{"name":"x","at":1},{"name":"y","at":"yesterday"}]}"#)
        }
        #expect(throws: InventoryFormat.ReadError(message: #"item 1: $.name selects no id in {"at":1}"#)) {
            try format.read(#"{"backups":[{"at":1}]}"#)
        }
    }
}

/// What a hostile or confused inventory cannot do: crash the ages, inject into commands, mix clusters.
@Suite struct BackupInventoryHostileTests {
    @Test func timesBefore1970IdsUnsafeOnACommandLineAndTwoStanzasAreRefused() {
        let mapping = InventoryFormat.mapping(items: "$[*]", id: "$.id", time: "$.time", size: nil)
        #expect(throws: InventoryFormat.ReadError.self) { try InventoryFormat.restic.read(#"[{"id":"a","time":"1677-09-21T00:12:44Z"}]"#) }
        #expect(throws: InventoryFormat.ReadError.self) { try mapping.read(#"[{"id":"a","time":"1700-01-01T00:00:00Z"}]"#) }
        #expect(throws: InventoryFormat.ReadError(message: #"restore point id "x$(touch /tmp/pwned)" holds characters that are not safe on a command line (only letters, digits and . _ : / @ + = , - are; not a leading -)"#)) {
            try mapping.read(#"[{"id":"x$(touch /tmp/pwned)","time":1}]"#)
        }
        #expect(throws: InventoryFormat.ReadError.self) { try mapping.read(#"[{"id":"--delete","time":1}]"#) }
        #expect(throws: InventoryFormat.ReadError(message: "pgbackrest info lists 2 stanzas (a, b); list one, with --stanza=NAME")) {
            try InventoryFormat.pgbackrest.read(#"[{"name":"a","backup":[]},{"name":"b","backup":[]}]"#)
        }
        // A start is no completion: a backup without one is not placed earlier than it is.
        #expect(throws: InventoryFormat.ReadError.self) {
            try InventoryFormat.velero.read(#"{"kind":"Backup","metadata":{"name":"x"},"status":{"phase":"Completed","startTimestamp":"2026-12-01T00:00:00Z"}}"#)
        }
        // Formatting the earliest instants does not trap.
        #expect(WallTime.iso8601(Int64.min) == "1677-09-21T00:12:43Z")
        #expect(WallTime.iso8601(Int64.min + 500_000_000) == "1677-09-21T00:12:43Z")
    }

    @Test func skippedBackupsStillCountAgainstForgetAfter() throws {
        let text = #"{"kind":"BackupList","items":[{"metadata":{"name":"old"},"status":{"phase":"PartiallyFailed","completionTimestamp":"2019-01-01T00:00:00Z"}},{"metadata":{"name":"new"},"status":{"phase":"Completed","completionTimestamp":"2026-12-01T00:00:00Z"}}]}"#
        let inventory = try InventoryFormat.velero.read(text)
        #expect(inventory.points.map(\.id) == ["new"])
        #expect(inventory.skippedPoints?.map(\.id) == ["old"])
    }
}
