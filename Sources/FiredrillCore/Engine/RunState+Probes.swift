extension RunState {
    /// One step's probe samples as they are recorded, summed up: what a report shows of them
    /// (how many, how many failed, the latencies' percentiles) and what the machine asks of
    /// them, without keeping the samples themselves.
    public struct ProbeSeries: Hashable, Sendable {
        public var ref: StepRef
        public var failures = 0
        /// Each sample's latency (its end minus its start) in nanoseconds, in the order recorded:
        /// exact percentiles need every one, 8 bytes a sample.
        public var latencies: [Int64] = []
        /// The latest sample's summary.
        public var lastSummary = ""

        public var count: Int { latencies.count }
    }

    /// The series of the step `ref`, if it was sampled.
    public func probeSeries(_ ref: StepRef) -> ProbeSeries? { probeSeriesIndex[ref].map { probeSeries[$0] } }

    mutating func record(_ sampled: ProbeSampled) {
        // Samples come in runs of one step: the last series first, before any hashing.
        let index = probeSeries.last?.ref == sampled.ref ? probeSeries.count - 1 : probeSeriesIndex[sampled.ref] ?? {
            probeSeries.append(ProbeSeries(ref: sampled.ref))
            probeSeriesIndex[sampled.ref] = probeSeries.count - 1
            return probeSeries.count - 1
        }()
        probeSeries[index].latencies.append((sampled.endedAt - sampled.startedAt).nanoseconds)
        if !sampled.report.passed { probeSeries[index].failures += 1 }
        probeSeries[index].lastSummary = sampled.report.summary
        probeHistory.add(sampled)
    }

    /// What the machine asks of past samples when a `wait_for` whose attempt saw no opposite
    /// result succeeds: the start of the latest sample, in the order recorded, with a given
    /// result that started before an instant, among the attempts that polled the same action.
    /// Kept per attempt and result as the latest sample and the earliest start, which answer
    /// it exactly unless some of that attempt's samples started before the instant and some
    /// not, out of order with it; a run's probes never do (an attempt starts after the one
    /// before it ends), and then the samples themselves are needed.
    struct ProbeHistory: Hashable, Sendable {
        struct Key: Hashable, Sendable {
            var ref: StepRef
            var attempt: Int
            var passed: Bool
        }

        struct Entry: Hashable, Sendable {
            /// Place of the latest sample among all samples recorded.
            var order: Int
            var latestStart: DrillInstant
            var earliestStart: DrillInstant
        }

        enum Answer: Equatable {
            /// Exactly: the latest such sample's start, or nil when there is none.
            case start(DrillInstant?)
            /// Only the samples themselves tell.
            case needsEverySample
        }

        struct Slot: Hashable, Sendable {
            var key: Key
            var entry: Entry
        }

        /// Up to two for each attempt sampled (a result each), in the order first sampled.
        var entries: [Slot] = []
        var recorded = 0

        mutating func add(_ sampled: ProbeSampled) {
            recorded += 1
            let key = Key(ref: sampled.ref, attempt: sampled.attempt, passed: sampled.report.passed)
            guard let index = entries.lastIndex(where: { $0.key == key }) else {
                entries.append(Slot(key: key, entry: Entry(order: recorded, latestStart: sampled.startedAt, earliestStart: sampled.startedAt)))
                return
            }
            entries[index].entry = Entry(order: recorded, latestStart: sampled.startedAt,
                                         earliestStart: min(entries[index].entry.earliestStart, sampled.startedAt))
        }

        func latestStart(passed: Bool, before limit: DrillInstant, polled: (StepRef, Int) -> Bool) -> Answer {
            var best: Entry?
            for slot in entries where slot.key.passed == passed && slot.entry.earliestStart < limit && polled(slot.key.ref, slot.key.attempt) {
                let entry = slot.entry
                guard entry.latestStart < limit else { return .needsEverySample }
                if best.map({ entry.order > $0.order }) ?? true { best = entry }
            }
            return .start(best?.latestStart)
        }
    }
}
