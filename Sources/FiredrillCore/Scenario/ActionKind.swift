/// One kind of step action, as a scenario file names it. `ActionKind.all` is the one list of
/// kinds: the loader's keys, its "did you mean" candidates, the validator's probe kinds, the
/// JSON Schema and the documentation's table of actions are all read from it.
public struct ActionKind: Hashable, Sendable {
    /// The step's key: `run: [...]`, `http: {...}`.
    public var key: String
    /// How its value is written, for people (the documentation's table).
    public var value: String
    /// What it does, in one sentence.
    public var summary: String
    /// Whether it can be a probe: in steady state, `wait_for`, guards and the canary.
    public var isProbe: Bool
    /// Whether performing it can change the system (a step in doubt after a crash halts the run).
    public var injects: Injects
    /// Its value in a step, as YAML (`[systemctl, start, app]`): the documentation's and the
    /// schema's example, and what the tests load to check the loader reads every kind.
    public var example: String
    /// The kind it is read as: a preset (`ssh`, `kubectl`) expands to `run`.
    public var readsAs: String

    public enum Injects: String, Hashable, Sendable {
        case always, never
        /// Unless its method is GET, HEAD or OPTIONS.
        case unlessSafeMethod = "unless GET, HEAD or OPTIONS"
    }

    /// The summary comes last, as it reads in the list: it is the long part.
    public init(key: String, value: String, isProbe: Bool, injects: Injects, example: String, readsAs: String? = nil, summary: String) {
        self.key = key
        self.value = value
        self.summary = summary
        self.isProbe = isProbe
        self.injects = injects
        self.example = example
        self.readsAs = readsAs ?? key
    }
}

extension ActionKind {
    /// Every kind, in the order the format documents them.
    public static let all: [ActionKind] = [
        ActionKind(key: "run", value: "list of strings", isProbe: true, injects: .always, example: "[systemctl, start, app]",
                   summary: "Runs a program with these arguments, no shell: `run: [\"systemctl\", \"start\", \"app\"]`. Passes on exit 0."),
        ActionKind(key: "shell", value: "string", isProbe: true, injects: .always, example: "\"systemctl restart app && sleep 1\"", summary: "Runs a command line with `/bin/sh -c`. Passes on exit 0."),
        ActionKind(key: "http", value: "mapping", isProbe: true, injects: .unlessSafeMethod, example: "{url: \"http://127.0.0.1:8080/health\", status: 200}", summary: "One HTTP request, see below."),
        ActionKind(key: "tcp", value: "`host:port` string or mapping", isProbe: true, injects: .never, example: "\"127.0.0.1:5432\"", summary: "Opens a TCP connection, see below."),
        ActionKind(key: "ssh", value: "mapping", isProbe: true, injects: .always, example: "{host: db-1, command: [systemctl, stop, postgresql]}", readsAs: "run",
                   summary: "A command on another host through `ssh`; expands to `run`, see [Presets](#presets-ssh-and-kubectl)."),
        ActionKind(key: "kubectl", value: "mapping", isProbe: true, injects: .always, example: "{context: prod, namespace: monitoring, args: [delete, pod, thanos-store-0]}", readsAs: "run",
                   summary: "A `kubectl` command with its context and namespace; expands to `run`, see [Presets](#presets-ssh-and-kubectl)."),
        ActionKind(key: "prometheus", value: "mapping", isProbe: true, injects: .never, example: "{url: \"http://127.0.0.1:9090\", query: \"up{job=\\\"thanos\\\"}\", expect: \"> 0\"}",
                   summary: "An instant PromQL query judged by a comparison, see [Prometheus](#prometheus)."),
        ActionKind(key: "kill", value: "mapping", isProbe: false, injects: .always, example: "{pidfile: /run/app.pid, signal: KILL}", summary: "Sends a signal to a process, see below."),
        ActionKind(key: "sleep", value: "duration", isProbe: false, injects: .never, example: "30s", summary: "Waits."),
        ActionKind(key: "manual", value: "string", isProbe: false, injects: .never, example: "\"Promote the replica (runbooks/failover.md, step 3)\"",
                   summary: "Shows these instructions and waits for an operator to confirm, at the console or with `firedrill confirm`."),
        ActionKind(key: "wait_for", value: "mapping", isProbe: false, injects: .never, example: "{http: {url: \"http://127.0.0.1:8080/health\"}, every: 1s, consecutive: 3}",
                   summary: "Polls a probe until it gives the expected result, see below."),
    ]

    /// The kinds a probe can be.
    public static let probes = all.filter(\.isProbe)

    public static func named(_ key: String) -> ActionKind? { all.first { $0.key == key } }

    /// Methods that only read: an HTTP step using one is safe to run again.
    public static let safeMethods = ["GET", "HEAD", "OPTIONS"]

    /// Whether performing an action of kind `key` (an HTTP one with `method`) can change the
    /// system, so a call of it lost in a crash is in doubt. An unknown kind is assumed to.
    public static func injects(_ key: String, method: String?) -> Bool {
        switch named(key)?.injects ?? .always {
        case .always: true
        case .never: false
        case .unlessSafeMethod: !safeMethods.contains((method ?? "GET").uppercased())
        }
    }

    /// The documentation's table of actions (`docs/scenario-format.md`, Actions), as Markdown.
    public static var documentationTable: String {
        (["| Key | Value | Does |", "|---|---|---|"] + all.map { "| `\($0.key)` | \($0.value) | \($0.summary) |" }).joined(separator: "\n")
    }
}
