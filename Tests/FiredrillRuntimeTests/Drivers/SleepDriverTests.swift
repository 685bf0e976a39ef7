import FiredrillCore
import FiredrillRuntime
import Testing

@Suite("SleepDriver")
struct SleepDriverTests {
    let driver = SleepDriver()
    let limits = DriverLimits()

    @Test func sleepsTheFullDuration() async {
        let started = ContinuousClock.now
        let report = await driver.perform(.sleep(.milliseconds(100)), deadline: .none, limits: limits)
        #expect(report.verdict == .passed)
        #expect(report.summary == "slept 100ms")
        #expect(ContinuousClock.now - started >= .milliseconds(100))
    }

    @Test func deadlineCutsTheSleepShort() async {
        let started = ContinuousClock.now
        let report = await driver.perform(.sleep(.seconds(60)), deadline: DriverTestSupport.deadline(in: .milliseconds(200)), limits: limits)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .timedOut)
    }

    /// `sleep: 2562047h` passes the loader; the deadline arithmetic saturates instead of trapping.
    @Test func aSleepToTheEndOfTimeIsCutByItsDeadlineNotACrash() async {
        let report = await driver.perform(.sleep(DrillDuration(nanoseconds: .max)), deadline: DriverTestSupport.deadline(in: .milliseconds(50)),
                                          limits: limits)
        #expect(report.verdict == .timedOut)
        let endless = Deadline.after(.seconds(Int64.max))
        #expect(endless.monoNs == .max)
        #expect(endless.remaining.map { $0 > .seconds(1_000_000) } == true)
        #expect(!endless.hasPassed)
    }

    @Test func cancellationEndsTheSleep() async throws {
        let driver = driver
        let limits = limits
        let task = Task { await driver.perform(.sleep(.seconds(60)), deadline: .none, limits: limits) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let started = ContinuousClock.now
        let report = await task.value
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.verdict == .cancelled)
    }
}
