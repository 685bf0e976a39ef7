import Testing
@testable import FiredrillCore

@Suite struct CronExpressionTests {
    func parse(_ text: String) throws -> CronExpression { try CronExpression.parse(text).get() }

    @Test func listsRangesStepsAndNames() throws {
        let cron = try parse("0,30 9-17/4 1 */3 MON-fri")
        #expect(cron.minutes == [0, 30])
        #expect(cron.hours == [9, 13, 17])
        #expect(cron.daysOfMonth == [1])
        #expect(cron.months == [1, 4, 7, 10])
        #expect(cron.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(try parse("5/20 * * jan,JUL 7").minutes == [5, 25, 45])
        #expect(try parse("0 0 * * 7").daysOfWeek == [0], "7 is Sunday too")
    }

    @Test func eitherDayFieldMatchesWhenBothAreRestricted() throws {
        let both = try parse("0 9 1 * MON")
        #expect(both.matches(month: 3, day: 1, weekday: 4))
        #expect(both.matches(month: 3, day: 9, weekday: 1))
        #expect(!both.matches(month: 3, day: 9, weekday: 2))
        let byDay = try parse("0 9 15 2,5 *")
        #expect(byDay.matches(month: 5, day: 15, weekday: 0))
        #expect(!byDay.matches(month: 6, day: 15, weekday: 0))
    }

    @Test func errorsNameTheFieldAndItsColumn() {
        func problem(_ text: String) -> String {
            if case .failure(let error) = CronExpression.parse(text) { return "\(error.column): \(error.message)" }
            return "parsed"
        }
        #expect(problem("0 9 1 */3") == "1: a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has 4")
        #expect(problem("0 25 1 * *") == "3: hour '25': out of range 0-23")
        #expect(problem("0 9 1 13 *") == "7: month '13': out of range 1-12")
        #expect(problem("0 9 5-1 * *") == "5: day of month '5-1': the range runs backwards")
        #expect(problem("0 9 1 * MOO") == "9: day of week 'MOO': expected a number or a name like SUN, a range, a list or *")
        #expect(problem("*/0 9 1 * *") == "1: minute '*/0': the step after '/' must be a positive number")
        #expect(problem("0 9 1,,2 * *") == "5: day of month '1,,2': an empty item in the list")
    }
}
