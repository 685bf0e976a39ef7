/// What a retrospective and a drill report are rendered from: the stored run and its replayed state. Nothing
/// else, so the same record always gives the same text.
public struct RetrospectiveInput: Sendable {
    public var runID: String
    public var scenario: Scenario
    public var scenarioSHA256: String
    public var startedWallNs: Int64
    public var endedWallNs: Int64?
    public var state: RunState
    public var measurement: DrillMeasurement
    /// The audit chain's head when rendered, and how many events it links.
    public var chainHead: String?
    public var eventCount: Int
    /// Action items recorded for this run (`firedrill actions add`), and the day overdue is judged on.
    public var actionItems: [ActionItem]
    public var asOf: String?
    /// The head signed with the team's Ed25519 key at the run's end, for an anchor outside the database.
    public var signedHead: SignedHeadText?

    public init(runID: String, scenario: Scenario, scenarioSHA256: String, startedWallNs: Int64, endedWallNs: Int64?,
                state: RunState, measurement: DrillMeasurement, chainHead: String? = nil, eventCount: Int = 0,
                actionItems: [ActionItem] = [], asOf: String? = nil, signedHead: SignedHeadText? = nil) {
        self.signedHead = signedHead
        self.actionItems = actionItems
        self.asOf = asOf
        self.runID = runID
        self.scenario = scenario
        self.scenarioSHA256 = scenarioSHA256
        self.startedWallNs = startedWallNs
        self.endedWallNs = endedWallNs
        self.state = state
        self.measurement = measurement
        self.chainHead = chainHead
        self.eventCount = eventCount
    }
}

/// A signed chain head as a report prints it.
public struct SignedHeadText: Hashable, Sendable, Codable {
    public var head: String
    public var eventCount: Int
    public var keyID: String
    public var publicKey: String
    public var signature: String
    public init(head: String, eventCount: Int, keyID: String, publicKey: String, signature: String) {
        self.head = head
        self.eventCount = eventCount
        self.keyID = keyID
        self.publicKey = publicKey
        self.signature = signature
    }
}
