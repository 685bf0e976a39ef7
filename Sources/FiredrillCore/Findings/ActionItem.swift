/// Something to do about what a drill found, with an owner and a due date; kept in the same
/// database as the runs, shown in their retrospectives and reports until it is closed.
public struct ActionItem: Hashable, Sendable, Codable {
    public var id: Int64
    public var runID: String
    public var scenario: String
    public var title: String
    public var owner: String
    /// A calendar date, `YYYY-MM-DD`.
    public var due: String
    public var createdWallNs: Int64
    public var closedWallNs: Int64?
    public var closeNote: String?

    public init(id: Int64, runID: String, scenario: String, title: String, owner: String, due: String, createdWallNs: Int64,
                closedWallNs: Int64? = nil, closeNote: String? = nil) {
        self.id = id
        self.runID = runID
        self.scenario = scenario
        self.title = title
        self.owner = owner
        self.due = due
        self.createdWallNs = createdWallNs
        self.closedWallNs = closedWallNs
        self.closeNote = closeNote
    }

    public var isOpen: Bool { closedWallNs == nil }

    /// Open past its due date, as of a day (`YYYY-MM-DD`): the day it is due is not late yet.
    public func isOverdue(asOf day: String) -> Bool { isOpen && due < day }

    /// `2026-11-21`, or nil: a real calendar date written in full.
    public static func validDate(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days ? text : nil
    }
}
