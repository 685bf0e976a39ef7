/// When a drill is planned: `monthly`, `quarterly`, `yearly` (at 09:00 on the first day of the
/// period) or a cron expression, in a time zone. Each stretch between two planned instants is a
/// period that needs one completed drill; a period that ends without one makes the drill overdue.
public struct DrillSchedule: Hashable, Sendable, Codable {
    public enum Rule: Hashable, Sendable, Codable {
        case monthly, quarterly, yearly
        case cron(CronExpression)
    }

    public var rule: Rule
    /// An IANA time zone name (`Europe/Stockholm`); `UTC` by default.
    public var timeZone: String
    public var location: SourceLocation

    public init(rule: Rule, timeZone: String = "UTC", location: SourceLocation = .synthesized()) {
        self.rule = rule
        self.timeZone = timeZone
        self.location = location
    }

    /// The rule as cron: the named ones plan their drill at 09:00 on the period's first day.
    public var cron: CronExpression {
        switch rule {
        case .monthly: try! CronExpression.parse("0 9 1 * *").get()
        case .quarterly: try! CronExpression.parse("0 9 1 1,4,7,10 *").get()
        case .yearly: try! CronExpression.parse("0 9 1 1 *").get()
        case .cron(let expression): expression
        }
    }

    /// `quarterly`, or `cron 0 9 1 */3 *`, with the time zone.
    public var description: String {
        let rule: String = switch self.rule {
        case .monthly: "monthly"
        case .quarterly: "quarterly"
        case .yearly: "yearly"
        case .cron(let expression): "cron \(expression.text)"
        }
        return "\(rule) (\(timeZone))"
    }
}

/// A five-field cron expression (minute, hour, day of month, month, day of week) with lists,
/// ranges, steps and names, as crontab(5) reads it: when both day fields are restricted, a day
/// matching either one matches.
public struct CronExpression: Hashable, Sendable, Codable {
    public var text: String
    public var minutes: [Int]
    public var hours: [Int]
    public var daysOfMonth: [Int]
    public var months: [Int]
    /// 0 is Sunday.
    public var daysOfWeek: [Int]
    public var dayOfMonthRestricted: Bool
    public var dayOfWeekRestricted: Bool

    public struct ParseError: Error, Hashable, Sendable {
        public var message: String
        /// 1-based column in the expression of the field at fault.
        public var column: Int
    }

    static let fields: [(name: String, range: ClosedRange<Int>, names: [String])] = [
        ("minute", 0...59, []), ("hour", 0...23, []), ("day of month", 1...31, []),
        ("month", 1...12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        ("day of week", 0...7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ]

    public static func parse(_ text: String) -> Result<CronExpression, ParseError> {
        // Fields with their columns.
        var words: [(String, Int)] = []
        var current = ""
        var start = 0
        for (offset, c) in text.enumerated() {
            if c == " " || c == "\t" {
                if !current.isEmpty { words.append((current, start + 1)); current = "" }
            } else {
                if current.isEmpty { start = offset }
                current.append(c)
            }
        }
        if !current.isEmpty { words.append((current, start + 1)) }
        guard words.count == 5 else {
            return .failure(ParseError(message: "a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has \(words.count)", column: 1))
        }
        var sets: [[Int]] = []
        for (index, (word, column)) in words.enumerated() {
            let field = fields[index]
            switch parseField(word, range: field.range, names: field.names) {
            case .success(let values): sets.append(values)
            case .failure(let problem): return .failure(ParseError(message: "\(field.name) '\(word)': \(problem.message)", column: column))
            }
        }
        let daysOfWeek = Array(Set(sets[4].map { $0 % 7 })).sorted()
        return .success(CronExpression(
            text: words.map(\.0).joined(separator: " "), minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3],
            daysOfWeek: daysOfWeek, dayOfMonthRestricted: !words[2].0.hasPrefix("*"), dayOfWeekRestricted: !words[4].0.hasPrefix("*")))
    }

    static func parseField(_ word: String, range: ClosedRange<Int>, names: [String]) -> Result<[Int], FieldError> {
        var values = Set<Int>()
        for part in word.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { return .failure(FieldError(message: "an empty item in the list")) }
            var body = Substring(part)
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                guard let n = Int(part[part.index(after: slash)...]), n > 0 else { return .failure(FieldError(message: "the step after '/' must be a positive number")) }
                step = n
                body = part[..<slash]
            }
            let bounds: ClosedRange<Int>
            if body == "*" {
                bounds = range
            } else if let dash = body.firstIndex(of: "-") {
                guard let low = value(body[..<dash], names: names, base: range.lowerBound),
                      let high = value(body[body.index(after: dash)...], names: names, base: range.lowerBound) else {
                    return .failure(FieldError(message: "expected a number\(names.isEmpty ? "" : " or a name") in the range"))
                }
                guard low <= high else { return .failure(FieldError(message: "the range runs backwards")) }
                bounds = low...high
            } else {
                guard let single = value(body, names: names, base: range.lowerBound) else {
                    return .failure(FieldError(message: "expected a number\(names.isEmpty ? "" : " or a name like \(names[0])"), a range, a list or *"))
                }
                // `5/15` means from 5 to the end, every 15.
                bounds = part.contains("/") ? single...range.upperBound : single...single
            }
            guard range.contains(bounds.lowerBound), range.contains(bounds.upperBound) else {
                return .failure(FieldError(message: "out of range \(range.lowerBound)-\(range.upperBound)"))
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return .success(values.sorted())
    }

    struct FieldError: Error { var message: String }

    static func value(_ text: Substring, names: [String], base: Int) -> Int? {
        if let number = Int(text) { return number }
        return names.firstIndex(of: text.uppercased()).map { $0 + base }
    }

    /// Whether a calendar day matches (both day fields restricted: either one).
    public func matches(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let byMonth = daysOfMonth.contains(day)
        let byWeek = daysOfWeek.contains(weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return byMonth || byWeek
        case (true, false): return byMonth
        case (false, true): return byWeek
        case (false, false): return true
        }
    }
}
