/// One restore point a system says it holds: a pgBackRest backup, a restic snapshot, a Velero
/// backup. Its time is the wall-clock instant its data is consistent at, as that system wrote it.
public struct RestorePoint: Hashable, Sendable, Codable {
    public var id: String
    /// Unix nanoseconds, as the system wrote the time.
    public var wallNs: Int64
    /// The finest step of that time as written: 1 s for `2026-12-02T10:00:00Z` or Unix seconds.
    public var resolutionNs: Int64
    public var sizeBytes: Int64?

    public init(id: String, wallNs: Int64, resolutionNs: Int64, sizeBytes: Int64? = nil) {
        self.id = id
        self.wallNs = wallNs
        self.resolutionNs = resolutionNs
        self.sizeBytes = sizeBytes
    }

    /// `2026-12-02T10:00:00Z`, with the fraction the system gave.
    public var time: String { WallTime.rfc3339(wallNs, resolutionNs: resolutionNs) }
}

/// The restore points one `backups` step listed, oldest first, and when it listed them.
public struct BackupInventory: Hashable, Sendable, Codable {
    public var format: String
    public var points: [RestorePoint]
    /// What was read but is not restorable (a failed or partial backup), one line each.
    public var skipped: [String]
    /// Those of them with a time: they hold data all the same, so `forget_after` counts them.
    public var skippedPoints: [RestorePoint]?
    /// The wall clock when the listing ended (Unix nanoseconds), read by the executor: ages are
    /// reckoned from it and the run's monotonic timeline.
    public var listedWallNs: Int64?

    public init(format: String, points: [RestorePoint], skipped: [String] = [], skippedPoints: [RestorePoint]? = nil, listedWallNs: Int64? = nil) {
        self.format = format
        self.points = points.sorted { ($0.wallNs, $0.id) < ($1.wallNs, $1.id) }
        self.skipped = skipped
        self.skippedPoints = skippedPoints?.isEmpty == true ? nil : skippedPoints
        self.listedWallNs = listedWallNs
    }

    public var oldest: RestorePoint? { points.first }
    public var newest: RestorePoint? { points.last }

    /// The point `restores:` names: `oldest`, `newest`, or an id.
    public func point(named name: String) -> RestorePoint? {
        switch name {
        case "oldest": oldest
        case "newest": newest
        default: points.first { $0.id == name }
        }
    }

    /// `${backups.oldest.id}` and the rest.
    public func lookup(_ name: String) -> String? {
        switch name {
        case "count": String(points.count)
        case "oldest.id": oldest?.id
        case "oldest.time": oldest?.time
        case "newest.id": newest?.id
        case "newest.time": newest?.time
        default: nil
        }
    }

    public static let references = ["count", "oldest.id", "oldest.time", "newest.id", "newest.time"]

    /// "2 restore points, oldest 20261202-101010F (2026-12-02T10:10:10Z), newest …".
    public var summary: String {
        guard let oldest, let newest else { return "no restore points" }
        let count = "\(points.count) restore point\(points.count == 1 ? "" : "s")"
        let skippedNote = skipped.isEmpty ? "" : " (\(skipped.count) not restorable, skipped)"
        if points.count == 1 { return "\(count): \(oldest.id) (\(oldest.time))\(skippedNote)" }
        return "\(count), oldest \(oldest.id) (\(oldest.time)), newest \(newest.id) (\(newest.time))\(skippedNote)"
    }
}

/// How a `backups` step reads its source's JSON: one of the built-in formats, or a mapping of
/// JSONPaths to the items and, in each item, its id, time and size.
public enum InventoryFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `pgbackrest info --output=json`: every stanza's backups; the time is the backup's stop.
    case pgbackrest
    /// `restic snapshots --json`.
    case restic
    /// `velero backup get -o json`: Completed backups only; the time is the completion.
    case velero
    /// Items by `items`; in each item (its root `$`), `id` and `time` (RFC 3339 or Unix seconds),
    /// and `size` in bytes if given.
    case mapping(items: String, id: String, time: String, size: String?)

    public static let builtIn = ["pgbackrest", "restic", "velero"]

    public init?(named name: String) {
        switch name {
        case "pgbackrest": self = .pgbackrest
        case "restic": self = .restic
        case "velero": self = .velero
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .pgbackrest: "pgbackrest"
        case .restic: "restic"
        case .velero: "velero"
        case .mapping: "mapping"
        }
    }

    public var description: String {
        if case .mapping(let items, let id, let time, let size) = self {
            return "{items: \(items), id: \(id), time: \(time)\(size.map { ", size: \($0)" } ?? "")}"
        }
        return name
    }

    /// Why the inventory could not be read.
    public struct ReadError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// The restore points `text` lists; an error when it is not JSON, not of this format, or
    /// lists none.
    public func read(_ text: String) throws(ReadError) -> BackupInventory {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw ReadError(message: "the \(name) inventory is \(error.description)") }
        var points: [RestorePoint] = []
        var skipped: [String] = []
        var skippedPoints: [RestorePoint] = []
        switch self {
        case .pgbackrest:
            guard case .array(let stanzas) = root else { throw ReadError(message: "expected pgbackrest info's list of stanzas, got \(root.kindName)") }
            // Labels are a stanza's own: the oldest of two clusters' backups is no restore point of either.
            if stanzas.count > 1 {
                let names = stanzas.map { $0["name"]?.text ?? "?" }.joined(separator: ", ")
                throw ReadError(message: "pgbackrest info lists \(stanzas.count) stanzas (\(names)); list one, with --stanza=NAME")
            }
            for (s, stanza) in stanzas.enumerated() {
                let name = stanza["name"]?.text ?? "stanza \(s + 1)"
                guard case .array(let backups)? = stanza["backup"] else {
                    throw ReadError(message: "stanza '\(name)' has no 'backup' list (is it pgbackrest info --output=json?)")
                }
                for (b, backup) in backups.enumerated() {
                    guard let label = backup["label"]?.text else { throw ReadError(message: "backup \(b + 1) of stanza '\(name)' has no label") }
                    guard let stop = backup["timestamp"]?["stop"], let seconds = stop.wholeNumber else {
                        throw ReadError(message: "backup \(label) has no timestamp.stop in Unix seconds")
                    }
                    let size = backup["info"]?["size"]?.wholeNumber
                    let point = RestorePoint(id: label, wallNs: try Self.ns(seconds: seconds, of: label), resolutionNs: 1_000_000_000, sizeBytes: size)
                    if case .bool(true)? = backup["error"] {
                        skipped.append("\(label): pgBackRest found errors in it")
                        skippedPoints.append(point)
                        continue
                    }
                    points.append(point)
                }
            }
        case .restic:
            guard case .array(let snapshots) = root else { throw ReadError(message: "expected restic's list of snapshots, got \(root.kindName)") }
            for (i, snapshot) in snapshots.enumerated() {
                guard let id = snapshot["id"]?.text else { throw ReadError(message: "snapshot \(i + 1) has no id") }
                guard let time = snapshot["time"]?.text, let instant = WallTime.parseRFC3339(time) else {
                    throw ReadError(message: "snapshot \(id) has no RFC 3339 time")
                }
                let size = snapshot["summary"]?["total_bytes_processed"]?.wholeNumber
                points.append(.init(id: id, wallNs: instant.ns, resolutionNs: instant.resolutionNs, sizeBytes: size))
            }
        case .velero:
            let items: [JSONValue]
            if case .array(let list)? = root["items"] { items = list } else if root["kind"]?.text == "Backup" { items = [root] } else {
                throw ReadError(message: "expected velero's BackupList (with items) or a Backup, got \(root.kindName)")
            }
            for (i, item) in items.enumerated() {
                guard let name = item["metadata"]?["name"]?.text else { throw ReadError(message: "backup \(i + 1) has no metadata.name") }
                let phase = item["status"]?["phase"]?.text ?? "no phase"
                // Its start would make it look older than it is: only its completion says when its data is from.
                let completed = item["status"]?["completionTimestamp"]?.text.flatMap(WallTime.parseRFC3339)
                guard phase == "Completed" else {
                    skipped.append("\(name): \(phase)")
                    if let completed { skippedPoints.append(.init(id: name, wallNs: completed.ns, resolutionNs: completed.resolutionNs)) }
                    continue
                }
                guard let instant = completed else {
                    throw ReadError(message: "backup \(name) has no status.completionTimestamp in RFC 3339")
                }
                points.append(.init(id: name, wallNs: instant.ns, resolutionNs: instant.resolutionNs))
            }
        case .mapping(let itemsPath, let idPath, let timePath, let sizePath):
            func parsed(_ text: String) throws(ReadError) -> JSONPath {
                do { return try JSONPath(parsing: text) } catch { throw ReadError(message: "format: \(error.description)") }
            }
            let paths = (items: try parsed(itemsPath), id: try parsed(idPath), time: try parsed(timePath), size: try sizePath.map(parsed))
            for (i, item) in paths.items.select(root).enumerated() {
                guard let id = paths.id.select(item).first?.text, !id.isEmpty else {
                    throw ReadError(message: "item \(i + 1): \(idPath) selects no id in \(item.summary(limit: 80))")
                }
                guard let timeNode = paths.time.select(item).first else { throw ReadError(message: "item \(i + 1) (\(id)): \(timePath) selects nothing") }
                guard let instant = Self.instant(timeNode) else {
                    throw ReadError(message: "item \(i + 1) (\(id)): \(timePath) is \(timeNode.summary(limit: 60)), not an RFC 3339 time or Unix seconds")
                }
                let size = paths.size.flatMap { $0.select(item).first?.wholeNumber }
                points.append(.init(id: id, wallNs: instant.ns, resolutionNs: instant.resolutionNs, sizeBytes: size))
            }
        }
        for point in points + skippedPoints {
            // Before 1970 is no backup's time, and would overflow the ages reckoned from it.
            guard point.wallNs >= 0 else { throw ReadError(message: "restore point \(point.id)'s time \(point.time) is before 1970") }
            // Ids are substituted into commands (`${backups.oldest.id}`): a hostile one must not run as shell.
            guard Self.isSafeID(point.id) else {
                throw ReadError(message: "restore point id \(JSONValue.quoted(String(point.id.prefix(80)))) holds characters that are not safe on a command line (only letters, digits and . _ : / @ + = , - are; not a leading -)")
            }
        }
        guard !points.isEmpty else {
            let note = skipped.isEmpty ? "" : " restorable (\(skipped.joined(separator: "; ")))"
            throw ReadError(message: "the \(name) inventory lists no restore points\(note)")
        }
        return BackupInventory(format: name, points: points, skipped: skipped, skippedPoints: skippedPoints)
    }

    /// Letters, digits and `. _ : / @ + = , -`, at most 512 of them, not starting with `-`.
    public static func isSafeID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 512, !id.hasPrefix("-") else { return false }
        return id.unicodeScalars.allSatisfy { c in
            c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "._:/@+=,-".unicodeScalars.contains(c))
        }
    }

    static func ns(seconds: Int64, of what: String) throws(ReadError) -> Int64 {
        guard let ns = WallTime.nanoseconds(seconds: seconds, nanoseconds: 0) else { throw ReadError(message: "\(what)'s time is out of range") }
        return ns
    }

    /// RFC 3339 text, or Unix seconds as a number or a string holding one.
    static func instant(_ node: JSONValue) -> (ns: Int64, resolutionNs: Int64)? {
        if case .string(let text) = node, let parsed = WallTime.parseRFC3339(text) { return parsed }
        let text: String
        switch node {
        case .number(_, let written): text = written
        case .string(let s): text = s
        default: return nil
        }
        return WallTime.parseUnixSeconds(text)
    }
}

extension JSONValue {
    /// The member named `name` of an object (the first, if repeated).
    public subscript(_ name: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == name }?.1 }
        return nil
    }

    /// A string's characters, or a number as written, true, false, null: what `== TEXT` compares.
    public var text: String? {
        switch self {
        case .string(let s): s
        case .number(_, let written): written
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array, .object: nil
        }
    }

    /// A number, or a string holding one (APIs write numbers as strings: Prometheus's values).
    public var number: Double? {
        switch self {
        case .number(let n, _): n
        case .string(let s): Double(s.trimmingSpaces).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    /// A whole number that fits in 64 bits.
    public var wholeNumber: Int64? {
        guard let n = number, n == n.rounded(), abs(n) < 9.2e18 else { return nil }
        return Int64(n)
    }

    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
