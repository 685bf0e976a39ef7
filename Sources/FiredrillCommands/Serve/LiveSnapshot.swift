import FiredrillCore
import FiredrillRuntime
import Foundation

/// A run as its live page shows it, from its record alone: what the page is sent each time an
/// event is recorded (by this host's runner or another's; across a crash and `resume`, since it is
/// rebuilt from the record each time).
struct LiveSnapshot: Encodable, Sendable, Equatable {
    struct Probe: Encodable, Sendable, Equatable {
        var step: String
        var samples: Int
        var failures: Int
        var last: String
    }
    struct Guard: Encodable, Sendable, Equatable {
        var name: String
        var samples: Int
        var failures: Int
        var tripped: Bool
    }
    struct Canary: Encodable, Sendable, Equatable {
        var written: Int
        var acknowledged: Int
        var failed: Int
        var highestSurviving: Int?
    }

    var runID: String
    var scenario: String
    var status: String
    var events: Int
    var phase: String?
    var step: String?
    /// The manual step the run waits on, and what it asks.
    var waitingOn: String?
    /// Its place in the scenario, which a confirm form sends back.
    var waitingRef: String?
    var instructions: String?
    var haltedBecause: String?
    var failureReason: String?
    /// When the disaster mark was reached (Unix ms), so the page's RTO clock can tick; the RTO once recovered.
    var disasterWallMs: Int64?
    var rtoSeconds: Double?
    var rpoSeconds: Double?
    var marks: [String]
    var probes: [Probe]
    var guards: [Guard]
    var canary: Canary?
    /// The last lines of what the run's terminal showed.
    var timeline: [String]
    var timelineOmitted: Int

    static let timelineLines = 200

    static func of(_ run: RunRecord, events: [RecordedEvent]) throws -> LiveSnapshot {
        try of(RunEvidence(run: run, events: events), events: events)
    }

    static func of(_ evidence: RunEvidence, events: [RecordedEvent]) -> LiveSnapshot {
        let machine = evidence.machine
        let state = machine.state
        let chained = evidence.run
        func wallMs(_ at: DrillInstant) -> Int64 { (chained.startedWallNs + at.nanoseconds) / 1_000_000 }
        let lines = ProgressPrinter.timeline(events, scenario: evidence.scenario)
        let current = state.current.map { ($0.ref, machine.step($0.ref)) }
        let probes = state.probeSeries.map { series in
            Probe(step: machine.step(series.ref)?.name ?? series.ref.description, samples: series.count, failures: series.failures, last: series.lastSummary)
        }
        let guards = evidence.scenario.guards.enumerated().map { index, spec in
            let polled = state.guards[safe: index]
            return Guard(name: spec.name, samples: polled?.samples ?? 0, failures: polled?.failures ?? 0, tripped: state.guardTrip?.guardIndex == index)
        }
        let canary = state.canary.map { canary in
            Canary(written: canary.writes.count, acknowledged: canary.writes.filter(\.acknowledged).count,
                   failed: canary.writes.filter { !$0.acknowledged }.count, highestSurviving: canary.read?.highestSeq)
        }
        let waiting = machine.awaitingOperator
        return LiveSnapshot(
            runID: chained.id, scenario: chained.scenario, status: state.status.rawValue, events: events.count,
            phase: current.map { machine.phaseName(of: $0.0) }, step: current?.1?.name,
            waitingOn: waiting?.step.name, waitingRef: waiting?.ref.description, instructions: waiting?.instructions, haltedBecause: state.halt?.reason, failureReason: state.failureReason,
            disasterWallMs: state.mark("disaster").map { wallMs($0.at) },
            rtoSeconds: evidence.measurement.rto?.value.seconds, rpoSeconds: evidence.measurement.rpo?.span?.value.seconds,
            marks: state.marks.map { "\($0.name) at \($0.at)" }, probes: probes, guards: guards, canary: canary,
            timeline: Array(lines.suffix(timelineLines)), timelineOmitted: max(0, lines.count - timelineLines))
    }
}
