import Yams

/// `ssh: {host, user, port, identity_file, options, connect_timeout, command}` becomes
/// `run: [ssh, -o, BatchMode=yes, ..., HOST, --, WORD...]`. ssh hands the remote command to
/// the remote user's shell, so each word is quoted for it after `${...}` is substituted.
public enum SSHPreset: ActionReading {
    public static let kind = ActionKind(
        key: "ssh", value: "mapping", isProbe: true, injects: .always, example: "{host: db-1, command: [systemctl, stop, postgresql]}",
        readsAs: "run", summary: "A command on another host through `ssh`; expands to `run`, see [Presets](#presets-ssh-and-kubectl).")
    public static let keys = ["host", "user", "port", "identity_file", "options", "connect_timeout", "command"]
    static var types: [String: SchemaJSON.Object] {
        let template = SchemaJSON.ref("template")
        return [
            "host": template, "user": template, "port": SchemaJSON.integer(minimum: 1, maximum: 65535), "identity_file": template,
            "options": SchemaJSON.ref("words"), "connect_timeout": SchemaJSON.ref("duration"), "command": SchemaJSON.list(template, atLeastOne: true),
        ]
    }
    public static var schema: SchemaJSON.Object { SchemaJSON.object(keys, types, required: ["host", "command"]) }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("ssh", keys, types)] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard let fields = reader.fields(node, of: "ssh", allowed: keys) else { return nil }
        let at = reader.location(of: node)
        guard let hostNode = reader.required(fields, "host"), let host = reader.template(hostNode) else { return nil }
        if host.raw.isEmpty { reader.error("ssh.host is empty", at: hostNode) }
        if host.raw.hasPrefix("-") { reader.error("ssh.host '\(host.raw)' starts with '-', which ssh would read as an option", at: hostNode) }
        var argv: [Template] = [Template("ssh", at: at), Template("-o", at: at), Template("BatchMode=yes", at: at)]
        var timeout = DrillDuration.seconds(10)
        if let node = fields.value("connect_timeout"), let value = reader.positiveDuration(node, key: "connect_timeout") { timeout = value }
        argv += [Template("-o", at: at), Template("ConnectTimeout=\(max(1, (timeout.nanoseconds + 999_999_999) / 1_000_000_000))", at: at)]
        for option in reader.stringList(fields.value("options")) ?? [] { argv += [Template("-o", at: option.location), option] }
        if let identity = reader.template(fields.value("identity_file")) { argv += [Template("-i", at: identity.location), identity] }
        if let node = fields.value("port"), let port = reader.int(node) {
            if !(1...65535).contains(port) { reader.error("ssh.port must be 1 to 65535, got \(port)", at: node) }
            argv += [Template("-p", at: at), Template(String(port), at: reader.location(of: node))]
        }
        if let user = reader.template(fields.value("user")) { argv += [Template("-l", at: user.location), user] }
        argv += [host, Template("--", at: at)]
        guard let commandNode = reader.required(fields, "command") else { return nil }
        if case .scalar = commandNode, !ScenarioReader.isNull(commandNode) {
            reader.error("expected ssh.command as a list of words, like [systemctl, stop, thanos-store]", at: commandNode)
            return nil
        }
        guard let command = reader.stringList(commandNode) else { return nil }
        if command.isEmpty { reader.error("ssh.command is empty", at: commandNode) }
        return .run(argv: argv + command.map { Template($0.raw, at: $0.location, quoting: .posixShellWord) })
    }
}
