import FiredrillCore
import GRDB

extension SQLiteStore {
    @discardableResult
    public func addActionItem(runID: String, scenario: String, title: String, owner: String, due: String, wallNs: Int64) throws -> ActionItem {
        try write { db in
            try db.execute(sql: """
                INSERT INTO action_items (run_id, scenario, title, owner, due, created_wall_ns) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [runID, scenario, title, owner, due, wallNs])
            return ActionItem(id: db.lastInsertedRowID, runID: runID, scenario: scenario, title: title, owner: owner, due: due,
                              createdWallNs: wallNs)
        }
    }

    /// Oldest first; only a scenario's or a run's when asked.
    public func actionItems(scenario: String?, runID: String?) throws -> [ActionItem] {
        try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let scenario { conditions.append("scenario = ?"); _ = arguments.append(contentsOf: [scenario]) }
            if let runID { conditions.append("run_id = ?"); _ = arguments.append(contentsOf: [runID]) }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM action_items\(filter) ORDER BY id", arguments: arguments).map(Self.actionItem)
        }
    }

    /// Closes an open item; nil when there is no such item, the item as it was when already closed.
    public func closeActionItem(id: Int64, note: String, wallNs: Int64) throws -> (item: ActionItem, wasOpen: Bool)? {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT closed_wall_ns FROM action_items WHERE id = ?", arguments: [id]) else { return nil }
            let wasOpen = (row["closed_wall_ns"] as Int64?) == nil
            if wasOpen {
                try db.execute(sql: "UPDATE action_items SET closed_wall_ns = ?, close_note = ? WHERE id = ?", arguments: [wallNs, note, id])
            }
            let item = try Row.fetchOne(db, sql: "SELECT * FROM action_items WHERE id = ?", arguments: [id]).map(Self.actionItem)
            return item.map { ($0, wasOpen) }
        }
    }

    static func actionItem(_ row: Row) -> ActionItem {
        ActionItem(id: row["id"], runID: row["run_id"], scenario: row["scenario"], title: row["title"], owner: row["owner"],
                   due: row["due"], createdWallNs: row["created_wall_ns"], closedWallNs: row["closed_wall_ns"], closeNote: row["close_note"])
    }
}
