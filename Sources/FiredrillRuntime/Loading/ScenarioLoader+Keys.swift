import FiredrillCore

extension ScenarioLoader {
    /// The keys valid at each position of a scenario file, in the order the format documents them;
    /// unknown keys are reported with the closest of these. Each action kind's own keys are its
    /// file's (`FiredrillCore/Kinds/`).
    enum Keys {
        static let scenario = [
            "firedrill", "name", "title", "description", "owner", "runbook", "tags", "objectives", "vars",
            "setup", "steady_state", "canary", "phases", "rollback", "teardown", "secrets", "guards", "max_duration", "notify", "silence", "schedule", "alerting",
        ]
        static let objectives = ["rto", "rpo", "detect", "retention", "forget_after"]
        static let canary = ["every", "warmup", "write", "read"]
        static let phase = ["name", "steps"]
        static let probeKinds = ActionKind.probes.map(\.key)
        /// A mapping holding one probe (`canary.write`, `canary.read`) and what its output must hold.
        static let probeHolder = probeKinds + ["output"]
        static let stepKinds = ActionKind.all.map(\.key)
        static let stepCommon = ["name", "timeout", "retries", "retry_delay", "on_failure", "mark", "rollback", "idempotent", "output", "expect", "restores", "verified_by"]
        static let step = stepCommon + stepKinds
        static let guardKeys = ["name", "every", "trip_after", "expect", "output"] + probeKinds
        static let notifier = ["name", "slack", "webhook", "on"]
        static let silence = ["alertmanager", "matchers", "comment", "duration"]
        static let schedule = ["every", "cron", "time_zone"]
        static let alerting = ["priorities", "causes"]
        static let matcher = ["name", "value", "regex", "negate"]
        static let notifierTarget = ["url", "headers"]
    }
}
