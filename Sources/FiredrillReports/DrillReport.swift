import FiredrillCore

/// What a drill report is made from: the stored run, replayed, and what was checked when it
/// was rendered. Nothing else, so the same record always gives the same report.
public struct ReportInput: Sendable {
    public var retrospective: RetrospectiveInput
    /// The run's variables after `--var` overrides, as recorded (secrets never are): the scope.
    public var vars: [String: String]
    /// The audit chain verified when rendering: nil when intact, else where it breaks.
    public var chainBreak: String?
    public var firedrillVersion: String
    /// Shown on the cover only when given (`--rendered-at`): a report carries no clock of its own.
    public var renderedAt: String?
    public var signOff: SignOffNames
    /// The day action items are judged overdue on (`YYYY-MM-DD`).
    public var asOf: String
    /// The previous run of the same scenario and its action items, carried into this report.
    public var previous: (runID: String, items: [ActionItem])?
    /// When the next drill of this scenario is due, from its schedule and this record.
    public var nextDrill: String?

    public init(retrospective: RetrospectiveInput, vars: [String: String], chainBreak: String?, firedrillVersion: String,
                renderedAt: String? = nil, signOff: SignOffNames = .init(), asOf: String, previous: (runID: String, items: [ActionItem])? = nil, nextDrill: String? = nil) {
        self.asOf = asOf
        self.nextDrill = nextDrill
        self.previous = previous
        self.retrospective = retrospective
        self.vars = vars
        self.chainBreak = chainBreak
        self.firedrillVersion = firedrillVersion
        self.renderedAt = renderedAt
        self.signOff = signOff
    }
}

/// Who signs the report, when known at render time; the rest stays blank to sign on paper.
public struct SignOffNames: Sendable, Hashable {
    public var preparedBy: String?
    public var reviewedBy: String?
    public var approvedBy: String?
    public init(preparedBy: String? = nil, reviewedBy: String? = nil, approvedBy: String? = nil) {
        self.preparedBy = preparedBy
        self.reviewedBy = reviewedBy
        self.approvedBy = approvedBy
    }
}

/// A drill report as data: every figure already formatted for people, with the raw numbers
/// beside them for machines. The templates (Markdown, HTML) and the JSON render this alone.
public struct DrillReport: Codable, Sendable, Hashable {
    public struct KeyValue: Codable, Sendable, Hashable {
        public var key: String
        public var value: String
    }

    public struct Cover: Codable, Sendable, Hashable {
        public var title: String
        public var scenario: String
        public var runID: String
        public var status: String
        public var started: String
        public var startedISO: String
        public var ended: String?
        public var duration: String?
        public var timeZone: String
        public var owner: String?
        public var description: String?
        public var tags: [String]
        public var runbook: String?
        public var scope: [KeyValue]
        public var runners: [String]
        public var participants: [KeyValue]
        public var scenarioSHA256: String
        public var firedrillVersion: String
        public var renderedAt: String?
        public var schedule: String?
        public var nextDrill: String?
    }

    public struct Verdict: Codable, Sendable, Hashable {
        /// `met`, `missed`, `failed`, `unfinished`: a class for styling, a word for machines.
        public var outcome: String
        public var text: String
    }

    public struct Objective: Codable, Sendable, Hashable {
        public var name: String
        public var target: String
        public var measured: String
        public var bounds: String
        public var resolution: String
        public var result: String
        public var met: Bool?
        public var targetSeconds: Double?
        public var measuredSeconds: Double?
    }

    public struct Phase: Codable, Sendable, Hashable {
        public var name: String
        public var start: String
        public var duration: String
    }

    public struct Mark: Codable, Sendable, Hashable {
        public var name: String
        public var at: String
        public var wall: String
        public var bounds: String
    }

    public struct Attempt: Codable, Sendable, Hashable {
        public var step: String
        public var section: String
        public var attempt: Int
        public var start: String
        public var duration: String
        public var outcome: String
        public var detail: String
        public var probeCount: Int?
    }

    public struct ProbeSummary: Codable, Sendable, Hashable {
        public var step: String
        public var samples: Int
        public var failures: Int
        public var p50: String
        public var p90: String
        public var p99: String
        public var max: String
    }

    public struct Output: Codable, Sendable, Hashable {
        public var step: String
        public var attempt: Int
        public var stream: String
        /// Shown verbatim inside `fence`, control characters as `\xNN`.
        public var text: String
        /// The Markdown code fence that holds `text`: longer than any run of backticks in it.
        public var fence: String
        public var truncated: Bool
    }

    /// One inventory a `backups` step read, each restore point as evidence.
    public struct Inventory: Codable, Sendable, Hashable {
        public struct Point: Codable, Sendable, Hashable {
            public var id: String
            public var time: String
            public var size: String
            /// The step that restored it and what verified it, or empty.
            public var restored: String
        }
        public var step: String
        public var format: String
        public var listed: String
        public var summary: String
        public var points: [Point]
    }

    /// One alert seen during the drill.
    public struct AlertRow: Codable, Sendable, Hashable {
        public var priority: String
        public var name: String
        public var severity: String
        public var startsAt: String
        public var state: String
        public var firstSeen: String
        public var silencedBy: String
        public var receivers: String
    }

    /// One output check of one attempt: what was asked, whether it held, what was found.
    public struct Check: Codable, Sendable, Hashable {
        public var step: String
        public var attempt: Int
        public var check: String
        public var result: String
        public var found: String
    }

    public struct Confirmation: Codable, Sendable, Hashable {
        public var step: String
        public var by: String
        public var at: String
        public var wall: String
        public var note: String?
    }

    public struct Control: Codable, Sendable, Hashable {
        public var framework: String
        public var clause: String
        public var evidence: String
    }

    public struct SignOff: Codable, Sendable, Hashable {
        public var role: String
        public var name: String?
    }

    public struct Action: Codable, Sendable, Hashable {
        public var id: Int64
        public var title: String
        public var owner: String
        public var due: String
        /// `open`, `overdue` or `closed`.
        public var status: String
        public var overdue: Bool
        public var note: String?
    }

    public struct Carried: Codable, Sendable, Hashable {
        public var runID: String
        public var summary: String
        public var items: [Action]
    }

    public struct Integrity: Codable, Sendable, Hashable {
        public var head: String
        public var events: Int
        public var verified: Bool
        public var result: String
        /// The head signed with the team's Ed25519 key at the run's end: check it with
        /// `firedrill verify --head HEAD --public-key KEY.pub`.
        public var signed: SignedHeadText?
    }

    public var cover: Cover
    public var verdict: Verdict
    public var objectives: [Objective]
    public var timeToDetect: String?
    public var canary: String?
    /// The recovery window: restore points listed, the oldest restored and verified, any held past forget_after.
    public var recoveryWindow: String?
    public var phases: [Phase]
    public var marks: [Mark]
    public var attempts: [Attempt]
    public var probes: [ProbeSummary]
    public var outputs: [Output]
    public var inventories: [Inventory]
    /// Every alert the probes and guards saw, highest priority first.
    public var alertsSeen: [AlertRow]
    public var checks: [Check]
    public var confirmations: [Confirmation]
    /// Guards, max duration, rollbacks run and owed, silences, notifications, crashes: one line each.
    public var safety: [String]
    public var findings: [String]
    public var actionItems: [Action]
    public var actionsAsOf: String
    /// Findings from the previous drill of this scenario: how its action items stand.
    public var previousDrill: Carried?
    public var integrity: Integrity
    public var signOff: [SignOff]
    public var controls: [Control]
    /// The timeline as an inline SVG (Gantt chart of phases and steps, with the marks).
    public var timelineSVG: String
}
