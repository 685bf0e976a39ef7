import FiredrillCore
import Foundation
import Yams

extension ScenarioLoader.Reader {
    typealias Keys = ScenarioLoader.Keys
    typealias Rules = ScenarioValidator.Rules

    /// The whole file; nil only when the top level is not a mapping.
    mutating func scenario(_ root: Node) -> Scenario? {
        guard let fields = fields(root, of: "scenario", allowed: Keys.scenario, expected: "a mapping of scenario keys") else { return nil }

        var version = 1
        if let node = required(fields, "firedrill"), let value = int(node) {
            error(Rules.formatVersion(value), at: node)
            version = value
        }
        var name = ""
        if let node = required(fields, "name"), let value = string(node) {
            error(Rules.scenarioName(value), at: node)
            name = value
        }
        let runbook = string(fields.value("runbook"))
        if runbook != nil, let node = fields.value("runbook") { runbookLocation = location(of: node) }

        return Scenario(
            formatVersion: version,
            name: name,
            title: string(fields.value("title")),
            description: string(fields.value("description")),
            owner: string(fields.value("owner")),
            runbook: runbook,
            tags: stringList(fields.value("tags"))?.map(\.raw) ?? [],
            objectives: objectives(fields.value("objectives"), default: location(of: root)),
            vars: variables(fields.value("vars")),
            setup: steps(fields.value("setup"), section: .setup),
            steadyState: steps(fields.value("steady_state"), section: .steadyState),
            canary: canary(fields.value("canary")),
            phases: phases(fields.value("phases")),
            rollback: steps(fields.value("rollback"), section: .rollback),
            teardown: steps(fields.value("teardown"), section: .teardown),
            secrets: secrets(fields.value("secrets")),
            guards: guards(fields.value("guards")),
            maxDuration: positiveDuration(fields.value("max_duration"), key: "max_duration"),
            notify: notifiers(fields.value("notify")),
            silence: silence(fields.value("silence")),
            schedule: schedule(fields.value("schedule")),
            alerting: alerting(fields.value("alerting")),
            location: location(of: root)
        )
    }

    /// `notify:`: webhooks, each `slack: {url, headers}` or `webhook: {url, headers}`, with `on:` triggers.
    mutating func notifiers(_ node: Node?) -> [Notifier] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of notifiers, got \(Self.describe(node))", at: node)
            return []
        }
        var notifiers: [Notifier] = []
        for item in sequence {
            guard let fields = fields(item, of: "notifier", allowed: Keys.notifier,
                                      expected: "a notifier: a mapping with 'name' and 'slack' or 'webhook'") else { continue }
            let name = required(fields, "name").flatMap { string($0) } ?? ""
            let kinds = fields.entries.filter { $0.key == "slack" || $0.key == "webhook" }
            guard let kind = kinds.first else {
                if fields.suggested.isDisjoint(with: ["slack", "webhook"]) {
                    error("notifier\(name.isEmpty ? "" : " '\(name)'") needs 'slack' or 'webhook'", at: item)
                }
                continue
            }
            for extra in kinds.dropFirst() {
                error("notifier has both '\(kind.key)' and '\(extra.key)'; it holds exactly one", at: extra.keyNode)
            }
            var on = NotifyTrigger.allCases
            if let node = fields.value("on"), let words = stringList(node) {
                on = []
                for word in words {
                    if let trigger = NotifyTrigger(rawValue: word.raw) {
                        on.append(trigger)
                    } else {
                        let valid = NotifyTrigger.allCases.map(\.rawValue)
                        let hint = ScenarioValidator.suggestion(for: word.raw, among: valid).map { "; did you mean '\($0)'?" } ?? ""
                        findings.append(.error("unknown notification trigger '\(word.raw)'\(hint); one of \(valid.joined(separator: ", "))", at: word.location))
                    }
                }
            }
            guard let target = self.fields(kind.value, of: kind.key, allowed: Keys.notifierTarget) else { continue }
            guard let urlNode = required(target, "url"), let url = template(urlNode) else { continue }
            error(Rules.url(url), at: urlNode)
            var headers: [HTTPProbe.Header] = []
            if let node = target.value("headers"),
               let entries = self.fields(node, of: "headers", allowed: nil, expected: "a mapping of header names to values")?.entries {
                for entry in entries {
                    if let value = template(entry.value) { headers.append(.init(name: entry.key, value: value)) }
                }
            }
            notifiers.append(Notifier(name: name, format: kind.key == "slack" ? .slack : .webhook, url: url, headers: headers, on: on,
                                      location: location(of: item)))
        }
        return notifiers
    }

    /// `silence: {alertmanager, matchers: [{name, value, regex, negate}], comment, duration}`.
    /// `schedule: quarterly` (or `monthly`, `yearly`), or a mapping with `every:` or `cron:`, and `time_zone:`.
    mutating func schedule(_ node: Node?) -> DrillSchedule? {
        guard let node else { return nil }
        let named: [String: DrillSchedule.Rule] = ["monthly": .monthly, "quarterly": .quarterly, "yearly": .yearly]
        func namedRule(_ node: Node) -> DrillSchedule.Rule? {
            guard let word = string(node) else { return nil }
            guard let rule = named[word] else {
                error("expected monthly, quarterly or yearly, got '\(word)'; for anything else write 'cron: \"0 9 1 */3 *\"'", at: node)
                return nil
            }
            return rule
        }
        if case .scalar = node {
            return namedRule(node).map { DrillSchedule(rule: $0, location: location(of: node)) }
        }
        guard let fields = fields(node, of: "schedule", allowed: Keys.schedule,
                                  expected: "monthly, quarterly, yearly, or a mapping with 'cron' and 'time_zone'") else { return nil }
        var timeZone = "UTC"
        if let zoneNode = fields.value("time_zone"), let zone = string(zoneNode) {
            if TimeZone(identifier: zone) == nil {
                error("unknown time zone '\(zone)'; use an IANA name like Europe/Stockholm or UTC", at: zoneNode)
            } else {
                timeZone = zone
            }
        }
        switch (fields.value("every"), fields.value("cron")) {
        case (let every?, nil):
            return namedRule(every).map { DrillSchedule(rule: $0, timeZone: timeZone, location: location(of: node)) }
        case (nil, let cronNode?):
            guard let text = string(cronNode) else { return nil }
            switch CronExpression.parse(text) {
            case .success(let expression):
                return DrillSchedule(rule: .cron(expression), timeZone: timeZone, location: location(of: node))
            case .failure(let problem):
                var at = location(of: cronNode)
                if case .scalar(let scalar) = cronNode, scalar.style == .singleQuoted || scalar.style == .doubleQuoted { at.column += 1 }
                at.column += problem.column - 1
                findings.append(.error("cron: \(problem.message)", at: at))
                return nil
            }
        case (nil, nil):
            error("schedule needs 'every' (monthly, quarterly, yearly) or 'cron'", at: node)
            return nil
        case (_?, _?):
            error("schedule takes 'every' or 'cron', not both", at: node)
            return nil
        }
    }

    mutating func silence(_ node: Node?) -> Silence? {
        guard let node, let fields = fields(node, of: "silence", allowed: Keys.silence) else { return nil }
        guard let urlNode = required(fields, "alertmanager"), let url = template(urlNode) else { return nil }
        error(Rules.url(url), at: urlNode)
        var matchers: [Silence.Matcher] = []
        if let listNode = required(fields, "matchers") {
            matchers = self.matchers(listNode, of: "silence.matchers")
            if case .sequence(let items) = listNode, items.isEmpty {
                error("silence.matchers is empty: a silence without matchers would silence everything", at: listNode)
            }
        }
        return Silence(alertmanager: url, matchers: matchers, comment: template(fields.value("comment")),
                       duration: positiveDuration(fields.value("duration"), key: "duration"), location: location(of: node))
    }

    /// `alerting: {priorities: {P1: {severity: critical}, P2: [{severity: warning}, {severity: error}]}, causes: P2}`.
    mutating func alerting(_ node: Node?) -> Alerting? {
        guard let node, let fields = fields(node, of: "alerting", allowed: Keys.alerting) else { return nil }
        var rules: [PriorityRule] = []
        if let prioritiesNode = fields.value("priorities"),
           let entries = self.fields(prioritiesNode, of: "alerting.priorities", allowed: Alerting.priorityNames,
                                     expected: "a mapping of P1, P2 and P3 to the labels that make an alert one")?.entries {
            for entry in entries {
                let items: [Node] = if case .sequence(let list) = entry.value { Array(list) } else { [entry.value] }
                for item in items {
                    guard let labels = self.fields(item, of: "labels", allowed: nil, expected: "a mapping of label names to values, like {severity: critical}")
                    else { continue }
                    var map: [String: String] = [:]
                    for label in labels.entries { if let value = string(label.value) { map[label.key] = value } }
                    if map.isEmpty { error("\(entry.key) names no labels: every alert would be \(entry.key)", at: item) }
                    rules.append(PriorityRule(priority: entry.key, labels: map))
                }
            }
        }
        let causes = choice(fields.value("causes"), Alerting.priorityNames)
        return Alerting(priorities: rules.isEmpty ? Alerting.defaultPriorities : rules, causes: causes, prioritiesWritten: !rules.isEmpty,
                        location: location(of: node))
    }

    /// `secrets: [NAME, ...]`: environment variables read at run time, never recorded.
    mutating func secrets(_ node: Node?) -> [Secret] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of environment variable names, got \(Self.describe(node))", at: node)
            return []
        }
        return sequence.compactMap { item in
            guard let name = string(item) else { return nil }
            error(Rules.secretName(name), at: item)
            return Secret(name: name, location: location(of: item))
        }
    }

    /// `guards:`: probes polled while the phases run, each with `every` and `trip_after`.
    mutating func guards(_ node: Node?) -> [Guard] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of guards, got \(Self.describe(node))", at: node)
            return []
        }
        var guards: [Guard] = []
        for item in sequence {
            guard let fields = fields(item, of: "guard", allowed: Keys.guardKeys,
                                      expected: "a guard: a mapping with 'name', 'every' and one probe") else { continue }
            let name = required(fields, "name").flatMap { string($0) } ?? ""
            let every = required(fields, "every").flatMap { positiveDuration($0, key: "every") }
            var tripAfter = 1
            if let node = fields.value("trip_after"), let value = int(node) {
                error(Rules.tripAfter(value), at: node)
                tripAfter = value
            }
            let expect = choice(fields.value("expect"), ["pass", "fail"]).flatMap(ProbeExpectation.init(rawValue:)) ?? .pass
            let label = "guard\(name.isEmpty ? "" : " '\(name)'")"
            guard let probe = heldProbe(fields, of: "guard", role: "it holds exactly one probe", missing: label) else { continue }
            guards.append(Guard(name: name, probe: probe, every: every ?? .seconds(1), tripAfter: tripAfter, expect: expect,
                                location: location(of: item)))
        }
        return guards
    }

    mutating func objectives(_ node: Node?, default rootLocation: SourceLocation) -> Objectives {
        guard let node, let fields = fields(node, of: "objectives", allowed: Keys.objectives) else {
            return Objectives(location: rootLocation)
        }
        return Objectives(rto: duration(fields.value("rto")), rpo: duration(fields.value("rpo")),
                          detect: positiveDuration(fields.value("detect"), key: "detect"),
                          retention: positiveDuration(fields.value("retention"), key: "retention"),
                          forgetAfter: positiveDuration(fields.value("forget_after"), key: "forget_after"), location: location(of: node))
    }

    /// `vars` keeps the order written; a null value is an empty string, to be set with `--var`.
    mutating func variables(_ node: Node?) -> [Variable] {
        guard let node, let fields = fields(node, of: "vars", allowed: nil, expected: "a mapping of variable names to values") else { return [] }
        return fields.entries.compactMap { entry in
            error(Rules.variableName(entry.key), at: entry.keyNode)
            let value: String
            if Self.isNull(entry.value) {
                value = ""
            } else if case .scalar(let scalar) = entry.value {
                value = scalar.string
            } else {
                error("expected a string value for variable '\(entry.key)', got \(Self.describe(entry.value))", at: entry.value)
                return nil
            }
            return Variable(name: entry.key, value: Template(value, at: location(of: entry.value)), location: location(of: entry.keyNode))
        }
    }

    mutating func canary(_ node: Node?) -> Canary? {
        guard let node, let fields = fields(node, of: "canary", allowed: Keys.canary) else { return nil }
        let every = required(fields, "every").flatMap { positiveDuration($0, key: "every") }
        let warmup = duration(fields.value("warmup"))
        let placeholder = Probe.shell(Template("", at: location(of: node)))
        let write = required(fields, "write").flatMap { probeHolder($0, of: "canary.write") } ?? placeholder
        let read = required(fields, "read").flatMap { probeHolder($0, of: "canary.read") } ?? placeholder
        return Canary(every: every ?? .seconds(1), warmup: warmup, write: write, read: read, location: location(of: node))
    }

    /// A mapping holding exactly one probe kind, as `canary.write` and `canary.read` are.
    mutating func probeHolder(_ node: Node, of what: String) -> Probe? {
        guard let fields = fields(node, of: what, allowed: Keys.probeHolder) else { return nil }
        return heldProbe(fields, of: what, role: "it holds exactly one probe")
    }

    mutating func phases(_ node: Node?) -> [Phase] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list of phases, got \(Self.describe(node))", at: node)
            return []
        }
        var phases: [Phase] = []
        for item in sequence {
            guard let fields = fields(item, of: "phase", allowed: Keys.phase, expected: "a phase: a mapping with 'name' and 'steps'") else { continue }
            let name = required(fields, "name").flatMap { string($0) } ?? ""
            phases.append(Phase(name: name, steps: steps(fields.value("steps"), section: .phase), location: location(of: item)))
        }
        return phases
    }
}
