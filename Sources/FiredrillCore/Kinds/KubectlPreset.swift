import Yams

/// `kubectl: {args, context, namespace, kubeconfig}` becomes
/// `run: [kubectl, --kubeconfig, K, --context, C, --namespace, N, ARGS...]`.
public enum KubectlPreset: ActionReading {
    public static let kind = ActionKind(
        key: "kubectl", value: "mapping", isProbe: true, injects: .always,
        example: "{context: prod, namespace: monitoring, args: [delete, pod, thanos-store-0]}", readsAs: "run",
        summary: "A `kubectl` command with its context and namespace; expands to `run`, see [Presets](#presets-ssh-and-kubectl).")
    public static let keys = ["args", "context", "namespace", "kubeconfig"]
    static var types: [String: SchemaJSON.Object] {
        let template = SchemaJSON.ref("template")
        return ["args": SchemaJSON.list(template, atLeastOne: true), "context": template, "namespace": template, "kubeconfig": template]
    }
    public static var schema: SchemaJSON.Object { SchemaJSON.object(keys, types, required: ["args"]) }
    public static var nestedKeys: [(place: String, keys: [String], types: [String: SchemaJSON.Object])] { [("kubectl", keys, types)] }

    public static func read(_ entry: ScenarioReader.Fields.Entry, _ reader: inout ScenarioReader) -> Action? {
        let node = entry.value
        guard let fields = reader.fields(node, of: "kubectl", allowed: keys) else { return nil }
        let at = reader.location(of: node)
        var argv: [Template] = [Template("kubectl", at: at)]
        if let kubeconfig = reader.template(fields.value("kubeconfig")) { argv += [Template("--kubeconfig", at: kubeconfig.location), kubeconfig] }
        if let context = reader.template(fields.value("context")) { argv += [Template("--context", at: context.location), context] }
        if let namespace = reader.template(fields.value("namespace")) { argv += [Template("--namespace", at: namespace.location), namespace] }
        guard let argsNode = reader.required(fields, "args") else { return nil }
        if case .scalar = argsNode, !ScenarioReader.isNull(argsNode) {
            reader.error("expected kubectl.args as a list of words, like [cordon, node-1]", at: argsNode)
            return nil
        }
        guard let args = reader.stringList(argsNode) else { return nil }
        if args.isEmpty { reader.error("kubectl.args is empty", at: argsNode) }
        return .run(argv: argv + args)
    }
}
