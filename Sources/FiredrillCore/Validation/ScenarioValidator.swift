/// Semantic checks on a scenario model: what the shape of the YAML cannot tell, such as
/// duplicate names, references to undefined variables, marks the objectives need.
/// Pure: it reads no files; whether the runbook exists is asked of the caller.
public enum ScenarioValidator {
    /// Every problem in `scenario`, sorted by location.
    ///
    /// `runbookExists` is asked about the runbook path resolved against the directory of
    /// `scenario.location.file` and returns nil when it cannot tell (then nothing is reported).
    public static func validate(_ scenario: Scenario, runbookExists: (String) -> Bool?) -> [Finding] {
        var checker = Checker(scenario: scenario)
        checker.checkScenario(runbookExists: runbookExists)
        checker.checkSteps()
        checker.checkMarks()
        checker.checkTemplates()
        return checker.findings.sortedByLocation()
    }

    /// The closest of `candidates` to a misspelt `word`: within two edits (a swap of
    /// neighbours counts as one), or one being a prefix of the other; nil when none is close.
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let letters = Array(lowered.unicodeScalars)
        var best: (candidate: String, distance: Int)?
        // Two edits cannot bridge a longer difference in length; long words get no suggestion, at quadratic cost.
        if letters.count <= 64 {
            for candidate in candidates where candidate != word {
                let other = Array(candidate.lowercased().unicodeScalars)
                guard abs(other.count - letters.count) <= 2 else { continue }
                let distance = editDistance(letters, other)
                if distance <= 2, distance < letters.count, distance < (best?.distance ?? Int.max) {
                    best = (candidate, distance)
                }
            }
        }
        if let best { return best.candidate }
        guard letters.count >= 3 else { return nil }
        return candidates
            .filter { $0.count >= 3 && ($0.lowercased().hasPrefix(lowered) || lowered.hasPrefix($0.lowercased())) }
            .min { $0.count < $1.count }
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// swaps of adjacent characters each cost one.
    static func editDistance(_ a: String, _ b: String) -> Int {
        editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars))
    }

    /// The same over scalars, keeping three rows: a file with thousands of unknown keys asks
    /// for thousands of suggestions.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforeLast = [Int](repeating: 0, count: b.count + 1)
        var last = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(last[j] + 1, row[j - 1] + 1, last[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, beforeLast[j - 2] + 1)
                }
                row[j] = value
            }
            swap(&beforeLast, &last)
            swap(&last, &row)
        }
        return last[b.count]
    }
}

// MARK: - Rules on single values

extension ScenarioValidator {
    /// Checks on one value, each returning the problem or nil. The loader applies the same
    /// rules where the value is written, so its findings point at the value itself and read
    /// exactly like the validator's (which it then drops as duplicates).
    public enum Rules {
        public static let probeKinds = ActionKind.probes.map(\.key)

        public static func formatVersion(_ version: Int) -> String? {
            version == 1 ? nil : "unsupported format version \(version); this firedrill reads 'firedrill: 1'"
        }

        public static func scenarioName(_ name: String) -> String? {
            if name.isEmpty { return missingKey("name", in: "scenario") }
            let valid = name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "-" }
            return valid ? nil : "name '\(name)' must use only lowercase letters, digits and '-' (like kill-thanos-vms)"
        }

        /// An environment variable's name, as POSIX shells accept it.
        public static func secretName(_ name: String) -> String? {
            guard let first = name.unicodeScalars.first else { return "a secret needs a name (an environment variable)" }
            let valid = (first == "_" || (first.isASCII && first.properties.isAlphabetic))
                && name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            return valid ? nil : "secret '\(name)' must be an environment variable name: letters, digits and '_', not starting with a digit"
        }

        public static func tripAfter(_ count: Int) -> String? {
            count >= 1 ? nil : "trip_after must be at least 1, got \(count)"
        }

        public static func mark(_ mark: String) -> String? {
            let valid = !mark.isEmpty && mark.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "-" || $0 == "_" }
            return valid ? nil : "mark '\(mark)' must use only lowercase letters, digits, '-' and '_'"
        }

        public static func variableName(_ name: String) -> String? {
            let valid = !name.isEmpty && name.unicodeScalars.allSatisfy {
                isLowerAlnum($0) || ("A"..."Z").contains($0) || $0 == "_" || $0 == "-"
            }
            return valid ? nil : "variable name '\(name)' must use only letters, digits, '_' and '-'"
        }

        public static func retries(_ retries: Int) -> String? {
            retries >= 0 ? nil : "retries must be 0 or more, got \(retries)"
        }

        /// For `timeout` and `every`, where zero would mean never waiting or polling without pause.
        public static func positive(_ duration: DrillDuration, key: String) -> String? {
            duration.nanoseconds > 0 ? nil : "\(key) must be greater than 0"
        }

        /// How much of a response a probe may read: something, and not a download.
        public static func maxBody(_ bytes: Int, key: String) -> String? {
            if bytes < 1 { return "\(key) must be at least 1 byte" }
            if bytes > ByteSize.largestMaxBody { return "\(key) must be at most \(ByteSize.describe(ByteSize.largestMaxBody)), got \(ByteSize.describe(bytes))" }
            return nil
        }

        /// Only the written start is checked: `${url}/health` is judged when it runs.
        public static func url(_ url: Template) -> String? {
            guard case .literal(let text)? = url.parts.parts.first else { return nil }
            let lower = text.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return nil }
            // A literal that is only the start of the scheme, followed by a reference, is fine.
            if url.parts.parts.count > 1, "https://".hasPrefix(lower) { return nil }
            return "url '\(url.raw)' must start with http:// or https://"
        }

        public static func steadyStateKind(_ kind: String) -> String? {
            probeKinds.contains(kind) ? nil : "steady_state steps must be probes (\(probeKinds.joined(separator: ", "))), not '\(kind)'"
        }

        /// Marks time the drill's phases; elsewhere they would fire at meaningless instants.
        public static func markPlacement(mark: String, section: String) -> String {
            "mark '\(mark)' is on a \(section) step; marks belong on phase steps"
        }

        /// Only phase steps register compensations.
        public static func rollbackPlacement(section: String) -> String {
            "'rollback' on a \(section) step never runs; only phase steps owe compensations"
        }

        public static let nestedRollback = "a rollback step cannot have its own 'rollback'"

        public static func missingKey(_ key: String, in what: String) -> String {
            "missing required key '\(key)' in \(what)"
        }

        static func isLowerAlnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }

        static func isLiteral(_ template: Template) -> Bool {
            let (parts, unterminated) = template.parts
            return unterminated == nil && !parts.contains { if case .reference = $0 { true } else { false } }
        }
    }
}

// MARK: - The checks

extension ScenarioValidator {
    /// Where a step sits, for the rules that depend on it.
    enum Section: Equatable {
        case setup, steadyState, phase(Int), rollback, teardown

        var isPhase: Bool { if case .phase = self { true } else { false } }

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

    struct Site {
        var step: Step
        var section: Section
    }

    struct Checker {
        let scenario: Scenario
        var findings: [Finding] = []
        /// Every step, with compensations after the step that owes them.
        let sites: [Site]
        /// The same in file order, so that "duplicate" points at the later one whatever section came first.
        let sitesInFileOrder: [Site]
        let variableNames: Set<String>
        /// Comparisons left for "did you mean" on unknown references, so that their cost stays linear.
        var suggestionBudget = 100_000

        init(scenario: Scenario) {
            self.scenario = scenario
            var sites: [Site] = []
            func add(_ steps: [Step], _ section: Section) {
                for step in steps {
                    sites.append(Site(step: step, section: section))
                    add(step.rollback, .rollback)
                }
            }
            add(scenario.setup, .setup)
            add(scenario.steadyState, .steadyState)
            for (index, phase) in scenario.phases.enumerated() { add(phase.steps, .phase(index)) }
            add(scenario.rollback, .rollback)
            add(scenario.teardown, .teardown)
            self.sites = sites
            variableNames = Set(scenario.vars.map(\.name))
            self.sitesInFileOrder = sites.enumerated().sorted {
                ($0.element.step.location.line, $0.element.step.location.column, $0.offset)
                    < ($1.element.step.location.line, $1.element.step.location.column, $1.offset)
            }.map(\.element)
        }

        mutating func error(_ message: String?, at location: SourceLocation) {
            if let message { findings.append(.error(message, at: location)) }
        }

        mutating func checkScenario(runbookExists: (String) -> Bool?) {
            let at = scenario.location
            error(Rules.formatVersion(scenario.formatVersion), at: at)
            error(Rules.scenarioName(scenario.name), at: at)
            if let runbook = scenario.runbook, !runbook.isEmpty {
                let resolved = Self.resolve(runbook, against: Self.directory(of: at.file))
                if runbookExists(resolved) == false {
                    error("runbook '\(runbook)' not found (looked at \(resolved))", at: at)
                }
            }
            if scenario.phases.isEmpty {
                error("no phases: a scenario needs at least one phase with steps", at: at)
            }
            var phaseNames: [String: SourceLocation] = [:]
            for phase in scenario.phases {
                if phase.name.isEmpty {
                    error(Rules.missingKey("name", in: "phase"), at: phase.location)
                } else if let first = phaseNames[phase.name] {
                    error("duplicate phase name '\(phase.name)' (first at line \(first.line))", at: phase.location)
                } else {
                    phaseNames[phase.name] = phase.location
                }
                if phase.steps.isEmpty {
                    error("phase \(phase.name.isEmpty ? "" : "'\(phase.name)' ")has no steps", at: phase.location)
                }
            }
            for variable in scenario.vars { error(Rules.variableName(variable.name), at: variable.location) }
            var variableNames: [String: SourceLocation] = [:]
            for variable in scenario.vars {
                if let first = variableNames[variable.name] {
                    error("duplicate variable '\(variable.name)' (first at line \(first.line))", at: variable.location)
                } else {
                    variableNames[variable.name] = variable.location
                }
            }
            if let canary = scenario.canary {
                error(Rules.positive(canary.every, key: "every"), at: canary.location)
                checkProbe(canary.write, at: canary.location, in: "canary.write")
                checkProbe(canary.read, at: canary.location, in: "canary.read")
            }
            var secretNames: [String: SourceLocation] = [:]
            for secret in scenario.secrets {
                error(Rules.secretName(secret.name), at: secret.location)
                if let first = secretNames[secret.name] {
                    error("duplicate secret '\(secret.name)' (first at line \(first.line))", at: secret.location)
                } else {
                    secretNames[secret.name] = secret.location
                }
            }
            var guardNames: [String: SourceLocation] = [:]
            for guard_ in scenario.guards {
                if guard_.name.isEmpty {
                    error(Rules.missingKey("name", in: "guard"), at: guard_.location)
                } else if let first = guardNames[guard_.name] {
                    error("duplicate guard name '\(guard_.name)' (first at line \(first.line))", at: guard_.location)
                } else {
                    guardNames[guard_.name] = guard_.location
                }
                error(Rules.positive(guard_.every, key: "every"), at: guard_.location)
                error(Rules.tripAfter(guard_.tripAfter), at: guard_.location)
                checkProbe(guard_.probe, at: guard_.location, in: "a guard")
            }
            if let max = scenario.maxDuration { error(Rules.positive(max, key: "max_duration"), at: at) }
            var notifierNames: [String: SourceLocation] = [:]
            for notifier in scenario.notify {
                if notifier.name.isEmpty {
                    error(Rules.missingKey("name", in: "notifier"), at: notifier.location)
                } else if let first = notifierNames[notifier.name] {
                    error("duplicate notifier name '\(notifier.name)' (first at line \(first.line))", at: notifier.location)
                } else {
                    notifierNames[notifier.name] = notifier.location
                }
            }
        }

        mutating func checkSteps() {
            var names: [String: SourceLocation] = [:]
            for site in sitesInFileOrder {
                let step = site.step
                if step.name.isEmpty {
                    error(Rules.missingKey("name", in: "step"), at: step.location)
                } else if let first = names[step.name] {
                    error("duplicate step name '\(step.name)' (first at line \(first.line)); step names must be unique", at: step.location)
                } else {
                    names[step.name] = step.location
                }
            }
            for site in sites { checkStep(site) }
        }

        mutating func checkStep(_ site: Site) {
            let step = site.step, at = step.location
            error(Rules.retries(step.retries), at: at)
            if let timeout = step.timeout { error(Rules.positive(timeout, key: "timeout"), at: at) }
            if let mark = step.mark {
                error(Rules.mark(mark), at: at)
                if case .phase = site.section {} else {
                    error(Rules.markPlacement(mark: mark, section: site.section.label), at: at)
                }
            }
            if !step.rollback.isEmpty {
                switch site.section {
                case .phase: break
                case .rollback: error(Rules.nestedRollback, at: at)
                default: error(Rules.rollbackPlacement(section: site.section.label), at: at)
                }
            }
            if site.section == .steadyState { error(Rules.steadyStateKind(step.action.kind), at: at) }
            checkAction(step.action, at: at)
        }

        /// The action's own kind's rules.
        mutating func checkAction(_ action: Action, at location: SourceLocation) {
            var check = ActionCheck(at: location)
            action.spec.check(&check)
            findings += check.findings
        }

        /// A probe's place holds a probe kind, checked by its kind's rules.
        mutating func checkProbe(_ probe: Probe, at location: SourceLocation, in place: String) {
            error(Rules.heldProbeKind(probe.kind, in: place), at: location)
            checkAction(probe, at: location)
        }

        mutating func checkMarks() {
            var marks: [String: Step] = [:]
            for site in sitesInFileOrder {
                guard let mark = site.step.mark else { continue }
                // Other names are free, but one close to a measured mark is most likely a typo.
                let measured = ["disaster", "detected", "recovered"]
                if !measured.contains(mark), let meant = ScenarioValidator.suggestion(for: mark, among: measured) {
                    findings.append(.warning("mark '\(mark)' is not one firedrill measures; did you mean '\(meant)'?", at: site.step.location))
                }
                if let first = marks[mark] {
                    error("duplicate mark '\(mark)' (first on step '\(first.name)' at line \(first.location.line))", at: site.step.location)
                } else {
                    marks[mark] = site.step
                }
            }
            // Phase steps in the order they run, for "recovered before disaster".
            let phaseSteps = scenario.phases.flatMap(\.steps)
            let disaster = phaseSteps.firstIndex { $0.mark == "disaster" }
            let recovered = phaseSteps.firstIndex { $0.mark == "recovered" }
            if let disaster, let recovered, recovered < disaster {
                let d = phaseSteps[disaster]
                error("mark 'recovered' (step '\(phaseSteps[recovered].name)') comes before mark 'disaster' (step '\(d.name)' at line \(d.location.line)); recovery is measured from the disaster",
                      at: phaseSteps[recovered].location)
            }
            if scenario.objectives.rto != nil, disaster == nil || recovered == nil {
                error("objectives.rto needs a step with mark: disaster and one with mark: recovered", at: scenario.objectives.location)
            }
            let detected = phaseSteps.firstIndex { $0.mark == "detected" }
            if scenario.objectives.detect != nil, disaster == nil || detected == nil {
                error("objectives.detect needs a step with mark: disaster and one with mark: detected", at: scenario.objectives.location)
            }
            if scenario.objectives.rpo != nil, scenario.canary == nil {
                error("objectives.rpo needs a canary to measure data loss", at: scenario.objectives.location)
            }
            checkRestores(phaseSteps)
            if let canary = scenario.canary, disaster == nil {
                error("canary needs a step with mark: disaster; its writes stop at the disaster", at: canary.location)
            }
        }

        /// A restore is attributed to a restore point of an inventory read before it, and verified by a later step.
        mutating func checkRestores(_ phaseSteps: [Step]) {
            let allSteps = scenario.setup + scenario.steadyState + phaseSteps
            for (index, step) in phaseSteps.enumerated() {
                guard let restores = step.restores else { continue }
                let before = scenario.setup + scenario.steadyState + phaseSteps[..<index]
                if !before.contains(where: { $0.action.as(BackupsStep.self) != nil }) {
                    error("step '\(step.name)' restores \(restores.raw), but no backups step runs before it to say what that is", at: restores.location)
                }
                let after = phaseSteps[(index + 1)...]
                if let verifier = step.verifiedBy {
                    if !phaseSteps[(index + 1)...].contains(where: { $0.name == verifier }) {
                        let names = phaseSteps[(index + 1)...].map(\.name)
                        let hint = ScenarioValidator.suggestion(for: verifier, among: names).map { "; did you mean '\($0)'?" } ?? ""
                        error("verified_by names '\(verifier)', which is not a phase step after step '\(step.name)'\(hint)", at: step.location)
                    }
                } else if !after.contains(where: { $0.mark == "recovered" }) {
                    error("step '\(step.name)' restores \(restores.raw), and nothing verifies it: name the step that does (verified_by) or mark a later step recovered", at: step.location)
                }
            }
            let objectives = scenario.objectives
            if objectives.retention != nil, !phaseSteps.contains(where: { $0.restores != nil }) {
                error("objectives.retention needs a phase step that restores a restore point (restores: oldest)", at: objectives.location)
            }
            if objectives.retention != nil, !phaseSteps.contains(where: { $0.mark == "disaster" }) {
                error("objectives.retention needs a step with mark: disaster; a restore point's age is reckoned at the disaster", at: objectives.location)
            }
            if objectives.forgetAfter != nil, !allSteps.contains(where: { $0.action.as(BackupsStep.self) != nil }) {
                error("objectives.forget_after needs a backups step to list the restore points held", at: objectives.location)
            }
        }

        /// Every `${...}` must name something that will exist when it is resolved.
        mutating func checkTemplates() {
            let defined = Set(scenario.vars.map(\.name))
            var used: Set<String> = []
            var above: Set<String> = []
            for variable in scenario.vars {
                defer { above.insert(variable.name) }
                for name in checkTemplate(variable.value, vars: above, canaryWrite: false) where defined.contains(name) && !above.contains(name) {
                    let message = name == variable.name
                        ? "variable '\(name)' cannot refer to itself"
                        : "variable '\(variable.name)' uses '${\(name)}', which is defined below it; define '\(name)' first"
                    error(message, at: variable.value.location)
                }
                used.formUnion(variable.value.references)
            }
            // A mark is known to the phase steps after the one that sets it, and to the canary's read,
            // which happens at `recovered`.
            var marksBefore: [String: Set<String>] = [:]
            var marksSoFar: Set<String> = []
            var marksAtRecovery: Set<String>?
            for step in scenario.phases.flatMap(\.steps) {
                marksBefore[step.name] = marksSoFar
                if let mark = step.mark { marksSoFar.insert(mark) }
                if step.mark == "recovered", marksAtRecovery == nil { marksAtRecovery = marksSoFar }
            }
            var inventoryBefore = false
            var all: [(Template, canaryWrite: Bool, marks: Set<String>)] = []
            for site in sites {
                let marks = site.section.isPhase ? marksBefore[site.step.name] ?? [] : []
                for template in site.step.action.templates {
                    if !inventoryBefore, let reference = template.references.first(where: { $0.hasPrefix("backups.") && BackupInventory.references.contains(String($0.dropFirst(8))) }) {
                        error("'${\(reference)}' is not known here: it names the inventory a backups step read, and no backups step runs before this one", at: template.location)
                    }
                    all.append((template, false, marks))
                }
                if site.step.action.as(BackupsStep.self) != nil { inventoryBefore = true }
            }
            all += scenario.guards.flatMap { $0.probe.templates.map { ($0, false, []) } }
            all += scenario.notify.flatMap { ([$0.url] + $0.headers.map(\.value)).map { ($0, false, []) } }
            if let silence = scenario.silence {
                all += ([silence.alertmanager] + silence.matchers.map(\.value) + [silence.comment].compactMap { $0 }).map { ($0, false, []) }
            }
            if let canary = scenario.canary {
                all += canary.write.templates.map { ($0, true, []) }
                all += canary.read.templates.map { ($0, false, marksAtRecovery ?? marksSoFar) }
            }
            for (template, canaryWrite, marks) in all {
                _ = checkTemplate(template, vars: defined, canaryWrite: canaryWrite, marks: marks)
                used.formUnion(template.references)
            }
            for variable in scenario.vars where !used.contains(variable.name) {
                findings.append(.warning("variable '\(variable.name)' is never used", at: variable.location))
            }
        }

        /// Reports references to nothing; returns the variable names that were not in `vars`,
        /// so a variable's own value can explain forward references better.
        mutating func checkTemplate(_ template: Template, vars: Set<String>, canaryWrite: Bool, marks: Set<String> = []) -> [String] {
            let at = template.location
            let (parts, unterminated) = template.parts
            if let offset = unterminated {
                error("unterminated '${' in '\(String(template.raw.dropFirst(offset)))'", at: at)
            }
            var unknown: [String] = []
            for case .reference(let name, _) in parts {
                if name.isEmpty {
                    error("empty reference '${}'", at: at)
                } else if name.hasPrefix("env.") {
                    if name.count == 4 { error("'${env.}' names no environment variable", at: at) }
                } else if name.hasPrefix("secret.") {
                    let secret = String(name.dropFirst(7))
                    if !scenario.secrets.contains(where: { $0.name == secret }) {
                        let hint = ScenarioValidator.suggestion(for: secret, among: scenario.secrets.map(\.name)).map { "; did you mean '${secret.\($0)}'?" } ?? ""
                        error("'${\(name)}' names no secret; declare it in 'secrets: [\(secret.isEmpty ? "NAME" : secret)]'\(hint)", at: at)
                    }
                } else if name.hasPrefix("mark.") {
                    let mark = String(name.dropFirst(5))
                    let declared = scenario.phases.flatMap(\.steps).compactMap(\.mark)
                    if !declared.contains(mark) {
                        let hint = ScenarioValidator.suggestion(for: mark, among: declared).map { "; did you mean '${mark.\($0)}'?" } ?? ""
                        error("'${\(name)}' names no mark of this scenario\(hint)", at: at)
                    } else if !marks.contains(mark) {
                        error("'${\(name)}' is not known here: a mark can be used in the phase steps after the step marked '\(mark)', and in canary.read", at: at)
                    }
                } else if name.hasPrefix("backups.") {
                    let field = String(name.dropFirst(8))
                    if !BackupInventory.references.contains(field) {
                        let hint = ScenarioValidator.suggestion(for: field, among: BackupInventory.references).map { "; did you mean '${backups.\($0)}'?" } ?? ""
                        error("'${\(name)}' names nothing of an inventory: give one of \(BackupInventory.references.map { "backups.\($0)" }.joined(separator: ", "))\(hint)", at: at)
                    }
                } else if name == "canary.seq" {
                    if !canaryWrite { error("'${canary.seq}' is only available in canary.write", at: at) }
                } else if name == "run.id" || name == "scenario.name" || vars.contains(name) {
                    continue
                } else if variableNames.contains(name) {
                    unknown.append(name)
                } else {
                    // Suggestions compare with every variable; past a budget (huge generated files) they stop.
                    suggestionBudget -= scenario.vars.count
                    let candidates = suggestionBudget < 0 ? []
                        : scenario.vars.map(\.name) + ["run.id", "scenario.name"] + (canaryWrite ? ["canary.seq"] : [])
                    let hint = ScenarioValidator.suggestion(for: name, among: candidates).map { "; did you mean '${\($0)}'?" } ?? ""
                    error("unknown variable '${\(name)}'\(hint)", at: at)
                }
            }
            return unknown
        }

        static func directory(of file: String) -> String {
            guard let slash = file.lastIndex(of: "/") else { return "." }
            return slash == file.startIndex ? "/" : String(file[..<slash])
        }

        /// Joins and removes `.` and `..` by text alone, as the runbook path is shown to people.
        static func resolve(_ path: String, against directory: String) -> String {
            let joined = path.hasPrefix("/") ? path : directory + "/" + path
            var parts: [Substring] = []
            for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
                if part == "." { continue }
                if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
                if part == "..", joined.hasPrefix("/") { continue }
                parts.append(part)
            }
            let body = parts.joined(separator: "/")
            return joined.hasPrefix("/") ? "/" + body : (body.isEmpty ? "." : body)
        }
    }
}

extension Scenario {
    /// Every `${...}` template: vars, then steps at any depth (setup, steady_state, phases with the
    /// compensations they owe, rollback, teardown), then canary.write and canary.read.
    public var templates: [Template] {
        func ofSteps(_ steps: [Step]) -> [Template] {
            steps.flatMap { $0.action.templates + ofSteps($0.rollback) }
        }
        return vars.map(\.value)
            + ofSteps(setup + steadyState + phases.flatMap(\.steps) + rollback + teardown)
            + (canary.map { $0.write.templates + $0.read.templates } ?? [])
            + guards.flatMap(\.probe.templates)
            + notify.flatMap { [$0.url] + $0.headers.map(\.value) }
            + (silence.map { [$0.alertmanager] + $0.matchers.map(\.value) + [$0.comment].compactMap { $0 } } ?? [])
    }
}
