import FiredrillCore
import Yams

extension ScenarioLoader.Reader {
    /// Where a list of steps sits; some keys are only meaningful in phases.
    enum Section: Equatable {
        case setup, steadyState, phase, rollback, teardown

        var label: String {
            switch self {
            case .setup: "setup"
            case .steadyState: "steady_state"
            case .phase: "phase"
            case .rollback: "rollback"
            case .teardown: "teardown"
            }
        }
    }

    mutating func steps(_ node: Node?, section: Section) -> [Step] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of steps, got \(Self.describe(node))", at: node)
            return []
        }
        return sequence.compactMap { step($0, section: section) }
    }

    /// A step is kept even when its action is unusable, so that its name and mark still
    /// take part in the scenario-wide checks.
    mutating func step(_ node: Node, section: Section) -> Step? {
        guard let fields = fields(node, of: "step", allowed: Keys.step, expected: "a step: a mapping with 'name' and one action") else {
            return nil
        }
        let name = required(fields, "name").flatMap { string($0) } ?? ""
        let label = name.isEmpty ? "step" : "step '\(name)'"

        var action = StepAction.manual(instructions: Template("", at: location(of: node)))
        let kinds = fields.entries.filter { Keys.stepKinds.contains($0.key) }
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                error("\(label) has both '\(first.key)' and '\(extra.key)'; a step does exactly one thing", at: extra.keyNode)
            }
            if section == .steadyState { error(Rules.steadyStateKind(first.key), at: first.keyNode) }
            if let read = self.action(first) { action = read }
        } else if fields.suggested.isDisjoint(with: Keys.stepKinds) {
            error("\(label) has no action; give one of \(Keys.stepKinds.joined(separator: ", "))", at: node)
        }

        let timeout = positiveDuration(fields.value("timeout"), key: "timeout")
        var retries = 0
        if let node = fields.value("retries"), let value = int(node) {
            error(Rules.retries(value), at: node)
            retries = value
        }
        let retryDelay = duration(fields.value("retry_delay")) ?? .seconds(1)
        let onFailure = choice(fields.value("on_failure"), ["abort", "continue"]).flatMap(FailurePolicy.init(rawValue:)) ?? .abort
        var mark: String?
        if let node = fields.value("mark"), let value = string(node) {
            error(Rules.mark(value), at: node)
            if section != .phase { error(Rules.markPlacement(mark: value, section: section.label), at: node) }
            mark = value
        }
        var rollback: [Step] = []
        if let entry = fields["rollback"] {
            switch section {
            case .phase: break
            case .rollback: error(Rules.nestedRollback, at: entry.keyNode)
            default: error(Rules.rollbackPlacement(section: section.label), at: entry.keyNode)
            }
            rollback = steps(fields.value("rollback"), section: .rollback)
        }
        let idempotent = fields.value("idempotent").flatMap { bool($0) } ?? false
        return Step(name: name, action: action, timeout: timeout, retries: retries, retryDelay: retryDelay,
                    onFailure: onFailure, mark: mark, rollback: rollback, idempotent: idempotent, location: location(of: node))
    }

    mutating func action(_ entry: Fields.Entry) -> StepAction? {
        switch entry.key {
        case "kill":
            return kill(entry.value).map(StepAction.kill)
        case "sleep":
            guard !Self.isNull(entry.value) else { return missingValue(entry, "a duration like 30s, 5m, 4h") }
            return duration(entry.value).map(StepAction.sleep)
        case "manual":
            guard !Self.isNull(entry.value) else { return missingValue(entry, "instructions for the operator") }
            return template(entry.value).map { StepAction.manual(instructions: $0) }
        case "wait_for":
            return waitFor(entry.value).map(StepAction.waitFor)
        default:
            return probe(entry).map(StepAction.probe)
        }
    }

    mutating func missingValue<T>(_ entry: Fields.Entry, _ expected: String) -> T? {
        error("expected \(expected), got nothing", at: entry.keyNode)
        return nil
    }

    /// `run`, `shell`, `http` or `tcp`, keyed by `entry.key`.
    mutating func probe(_ entry: Fields.Entry) -> Probe? {
        let node = entry.value
        switch entry.key {
        case "run":
            guard !Self.isNull(node) else { return missingValue(entry, "a list of strings") }
            if case .scalar(let scalar) = node {
                error("expected a list of strings, got '\(scalar.string)' (use shell: for a command line)", at: node)
                return nil
            }
            guard let argv = stringList(node) else { return nil }
            if argv.isEmpty { error(Rules.emptyArgv, at: node) }
            return .run(argv: argv)
        case "shell":
            guard !Self.isNull(node) else { return missingValue(entry, "a shell command line") }
            return template(node).map(Probe.shell)
        case "http":
            return http(node).map(Probe.http)
        case "tcp":
            return tcp(entry).map(Probe.tcp)
        case "ssh":
            return ssh(node).map { Probe.run(argv: $0) }
        case "kubectl":
            return kubectl(node).map { Probe.run(argv: $0) }
        case "prometheus":
            return prometheus(node).map(Probe.prometheus)
        default:
            return nil
        }
    }

    /// `prometheus: {url, query, expect, basic_auth: {user, password}, bearer_token, timeout}`.
    mutating func prometheus(_ node: Node) -> PrometheusProbe? {
        guard let fields = fields(node, of: "prometheus", allowed: Keys.prometheus) else { return nil }
        guard let urlNode = required(fields, "url"), let url = template(urlNode) else { return nil }
        error(Rules.url(url), at: urlNode)
        guard let queryNode = required(fields, "query"), let query = template(queryNode) else { return nil }
        var expect = PromExpectation()
        if let node = fields.value("expect"), let text = string(node) {
            if let parsed = PromExpectation(parsing: text) {
                expect = parsed
            } else {
                error("expected a comparison like '> 0', '== 1' or 'count > 0', got '\(text)'", at: node)
            }
        }
        var user: Template?, password: Template?
        if let node = fields.value("basic_auth"), let auth = self.fields(node, of: "basic_auth", allowed: Keys.basicAuth) {
            user = required(auth, "user").flatMap { template($0) }
            password = template(auth.value("password"))
        }
        let bearer = template(fields.value("bearer_token"))
        if bearer != nil, user != nil, let node = fields.value("bearer_token") {
            error("prometheus has both basic_auth and bearer_token; give one", at: node)
        }
        return PrometheusProbe(url: url, query: query, expect: expect, basicUser: user, basicPassword: password, bearerToken: bearer,
                               timeout: positiveDuration(fields.value("timeout"), key: "timeout"), maxBody: size(fields.value("max_body"), key: "max_body"))
    }

    /// `ssh: {host, user, port, identity_file, options, connect_timeout, command}` becomes
    /// `run: [ssh, -o, BatchMode=yes, ..., HOST, --, WORD...]`. ssh hands the remote command to
    /// the remote user's shell, so each word is quoted for it after `${...}` is substituted.
    mutating func ssh(_ node: Node) -> [Template]? {
        guard let fields = fields(node, of: "ssh", allowed: Keys.ssh) else { return nil }
        let at = location(of: node)
        guard let hostNode = required(fields, "host"), let host = template(hostNode) else { return nil }
        if host.raw.isEmpty { error("ssh.host is empty", at: hostNode) }
        if host.raw.hasPrefix("-") { error("ssh.host '\(host.raw)' starts with '-', which ssh would read as an option", at: hostNode) }
        var argv: [Template] = [Template("ssh", at: at), Template("-o", at: at), Template("BatchMode=yes", at: at)]
        var timeout = DrillDuration.seconds(10)
        if let node = fields.value("connect_timeout"), let value = positiveDuration(node, key: "connect_timeout") { timeout = value }
        argv += [Template("-o", at: at), Template("ConnectTimeout=\(max(1, (timeout.nanoseconds + 999_999_999) / 1_000_000_000))", at: at)]
        for option in stringList(fields.value("options")) ?? [] { argv += [Template("-o", at: option.location), option] }
        if let identity = template(fields.value("identity_file")) { argv += [Template("-i", at: identity.location), identity] }
        if let node = fields.value("port"), let port = int(node) {
            if !(1...65535).contains(port) { error("ssh.port must be 1 to 65535, got \(port)", at: node) }
            argv += [Template("-p", at: at), Template(String(port), at: location(of: node))]
        }
        if let user = template(fields.value("user")) { argv += [Template("-l", at: user.location), user] }
        argv += [host, Template("--", at: at)]
        guard let commandNode = required(fields, "command") else { return nil }
        if case .scalar = commandNode, !Self.isNull(commandNode) {
            error("expected ssh.command as a list of words, like [systemctl, stop, thanos-store]", at: commandNode)
            return nil
        }
        guard let command = stringList(commandNode) else { return nil }
        if command.isEmpty { error("ssh.command is empty", at: commandNode) }
        return argv + command.map { Template($0.raw, at: $0.location, quoting: .posixShellWord) }
    }

    /// `kubectl: {args, context, namespace, kubeconfig}` becomes
    /// `run: [kubectl, --kubeconfig, K, --context, C, --namespace, N, ARGS...]`.
    mutating func kubectl(_ node: Node) -> [Template]? {
        guard let fields = fields(node, of: "kubectl", allowed: Keys.kubectl) else { return nil }
        let at = location(of: node)
        var argv: [Template] = [Template("kubectl", at: at)]
        if let kubeconfig = template(fields.value("kubeconfig")) { argv += [Template("--kubeconfig", at: kubeconfig.location), kubeconfig] }
        if let context = template(fields.value("context")) { argv += [Template("--context", at: context.location), context] }
        if let namespace = template(fields.value("namespace")) { argv += [Template("--namespace", at: namespace.location), namespace] }
        guard let argsNode = required(fields, "args") else { return nil }
        if case .scalar = argsNode, !Self.isNull(argsNode) {
            error("expected kubectl.args as a list of words, like [cordon, node-1]", at: argsNode)
            return nil
        }
        guard let args = stringList(argsNode) else { return nil }
        if args.isEmpty { error("kubectl.args is empty", at: argsNode) }
        return argv + args
    }

    mutating func http(_ node: Node) -> HTTPProbe? {
        guard let fields = fields(node, of: "http", allowed: Keys.http) else { return nil }
        var method = "GET"
        if let node = fields.value("method"), let value = string(node) {
            error(Rules.httpMethod(value), at: node)
            method = value.uppercased()
        }
        var url = Template("", at: location(of: node))
        if let node = required(fields, "url"), let value = template(node) {
            error(Rules.url(value), at: node)
            url = value
        }
        var headers: [HTTPProbe.Header] = []
        if let node = fields.value("headers"),
           let entries = self.fields(node, of: "headers", allowed: nil, expected: "a mapping of header names to values")?.entries {
            for entry in entries {
                if let value = template(entry.value) { headers.append(.init(name: entry.key, value: value)) }
            }
        }
        var status: [Int] = []
        if let node = fields.value("status") {
            let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
            for item in items {
                guard case .scalar(let scalar) = item, let code = Int(scalar.string) else {
                    error("expected an HTTP status code like 200, got \(Self.describe(item))", at: item)
                    continue
                }
                error(Rules.httpStatus(code), at: item)
                status.append(code)
            }
        }
        return HTTPProbe(
            method: method, url: url, headers: headers, body: template(fields.value("body")), status: status,
            bodyContains: template(fields.value("body_contains")), timeout: positiveDuration(fields.value("timeout"), key: "timeout"),
            maxBody: size(fields.value("max_body"), key: "max_body")
        )
    }

    /// `tcp: host:port` or `tcp: {address: host:port, timeout: 2s}`.
    mutating func tcp(_ entry: Fields.Entry) -> TCPProbe? {
        let node = entry.value
        if case .scalar = node {
            guard !Self.isNull(node) else { return missingValue(entry, "an address like host:port") }
            guard let address = template(node) else { return nil }
            error(Rules.tcpAddress(address), at: node)
            return TCPProbe(address: address)
        }
        guard let fields = fields(node, of: "tcp", allowed: Keys.tcp, expected: "an address like host:port or a mapping with 'address'") else {
            return nil
        }
        guard let addressNode = required(fields, "address"), let address = template(addressNode) else { return nil }
        error(Rules.tcpAddress(address), at: addressNode)
        return TCPProbe(address: address, timeout: positiveDuration(fields.value("timeout"), key: "timeout"))
    }

    mutating func kill(_ node: Node) -> KillSpec? {
        guard let fields = fields(node, of: "kill", allowed: Keys.kill) else { return nil }
        let targets = fields.entries.filter { $0.key == "pid" || $0.key == "pidfile" }
        var target: KillSpec.Target?
        if let first = targets.first {
            for extra in targets.dropFirst() {
                error("kill has both 'pid' and 'pidfile'; give exactly one", at: extra.keyNode)
            }
            if Self.isNull(first.value) {
                error("expected \(first.key == "pid" ? "a process id" : "a path"), got nothing", at: first.keyNode)
            } else if first.key == "pid" {
                if let pid = template(first.value) {
                    error(Rules.pid(pid), at: first.value)
                    target = .pid(pid)
                }
            } else {
                target = template(first.value).map(KillSpec.Target.pidfile)
            }
        } else if !fields.suggested.contains("pid"), !fields.suggested.contains("pidfile") {
            error("kill needs 'pid' or 'pidfile'", at: node)
        }
        var signal = "TERM"
        if let node = fields.value("signal"), let value = string(node) {
            // An unknown name is kept as written, so that the message quotes what the author wrote.
            let normalized = Rules.normalizedSignal(value)
            signal = Rules.signal(normalized) == nil ? normalized : value
            error(Rules.signal(signal), at: node)
        }
        let processGroup = bool(fields.value("process_group")) ?? true
        return target.map { KillSpec(target: $0, signal: signal, processGroup: processGroup) }
    }

    mutating func waitFor(_ node: Node) -> WaitFor? {
        guard let fields = fields(node, of: "wait_for", allowed: Keys.waitFor) else { return nil }
        let kinds = fields.entries.filter { Keys.probeKinds.contains($0.key) }
        var probe: Probe?
        if let first = kinds.first {
            for extra in kinds.dropFirst() {
                error("wait_for has both '\(first.key)' and '\(extra.key)'; it polls exactly one probe", at: extra.keyNode)
            }
            probe = self.probe(first)
        } else if fields.suggested.isDisjoint(with: Keys.probeKinds) {
            error("wait_for needs a probe: one of \(Keys.probeKinds.joined(separator: ", "))", at: node)
        }
        let expect = choice(fields.value("expect"), ["pass", "fail"]).flatMap(ProbeExpectation.init(rawValue:)) ?? .pass
        let every = positiveDuration(fields.value("every"), key: "every") ?? .seconds(1)
        var consecutive = 1
        if let node = fields.value("consecutive"), let value = int(node) {
            error(Rules.consecutive(value), at: node)
            consecutive = value
        }
        return probe.map { WaitFor(probe: $0, expect: expect, every: every, consecutive: consecutive) }
    }
}
