import FiredrillCore
@testable import FiredrillRuntime
import Testing

/// A step that waits prints its first result, every change of result, and otherwise about one
/// line a second, however fast it probes.
@Suite struct ProgressPrinterTests {
    @Test func aFastProbePrintsAboutOneLineASecondAndEveryChange() {
        let ref = StepRef.phase(0, 0)
        var previous: (passed: Bool, startedAt: DrillInstant)?
        var printed: [Int] = []
        // 5,000 probes 1 ms apart over 5 s; the result flips at probe 2,500 and back at 2,501.
        for sample in 1...5_000 {
            let passed = sample == 2_500
            let at = DrillInstant(nanoseconds: Int64(sample) * 1_000_000)
            let sampled = ProbeSampled(ref: ref, attempt: 1, sample: sample,
                                       report: DriverReport(verdict: passed ? .passed : .failed, summary: passed ? "ok" : "refused"),
                                       startedAt: at, endedAt: at)
            if ProgressPrinter.worthALine(sampled, after: previous) { printed.append(sample) }
            previous = (passed, at)
        }
        #expect(printed.first == 1)
        #expect(printed.contains(2_500) && printed.contains(2_501), "\(printed)")
        // The first, one at each of the 4 whole seconds crossed, and the two changes.
        #expect(printed.count <= 8, "\(printed)")
        #expect(printed.contains(1_000) && printed.contains(4_000))
    }
}
