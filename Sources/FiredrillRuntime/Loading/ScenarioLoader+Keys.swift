import FiredrillCore

extension ScenarioLoader {
    /// The keys valid at each position of a scenario file, in the order the format documents them;
    /// unknown keys are reported with the closest of these.
    enum Keys {
        static let scenario = [
            "firedrill", "name", "title", "description", "owner", "runbook", "tags", "objectives", "vars",
            "setup", "steady_state", "canary", "phases", "rollback", "teardown", "secrets", "guards", "max_duration", "notify", "silence", "schedule",
        ]
        static let objectives = ["rto", "rpo"]
        static let canary = ["every", "warmup", "write", "read"]
        static let phase = ["name", "steps"]
        static let probeKinds = ActionKind.probes.map(\.key)
        static let stepKinds = ActionKind.all.map(\.key)
        static let stepCommon = ["name", "timeout", "retries", "retry_delay", "on_failure", "mark", "rollback", "idempotent"]
        static let step = stepCommon + stepKinds
        static let http = ["method", "url", "headers", "body", "status", "body_contains", "timeout", "max_body"]
        static let tcp = ["address", "timeout"]
        static let ssh = ["host", "user", "port", "identity_file", "options", "connect_timeout", "command"]
        static let kubectl = ["args", "context", "namespace", "kubeconfig"]
        static let prometheus = ["url", "query", "expect", "basic_auth", "bearer_token", "timeout", "max_body"]
        static let basicAuth = ["user", "password"]
        static let kill = ["pid", "pidfile", "signal", "process_group"]
        static let waitFor = probeKinds + ["expect", "every", "consecutive"]
        static let guardKeys = ["name", "every", "trip_after"] + probeKinds
        static let notifier = ["name", "slack", "webhook", "on"]
        static let silence = ["alertmanager", "matchers", "comment", "duration"]
        static let schedule = ["every", "cron", "time_zone"]
        static let matcher = ["name", "value", "regex", "negate"]
        static let notifierTarget = ["url", "headers"]
    }
}
