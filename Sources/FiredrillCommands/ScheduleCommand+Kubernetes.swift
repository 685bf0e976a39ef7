import FiredrillCore
import FiredrillRuntime
import Foundation
import Yams

extension ScheduleCommand {
    /// Where each drill's pod finds its scenario, mounted from the ConfigMap.
    static let kubernetesScenarioFolder = "/etc/firedrill/scenarios"

    /// The CronJob controller appends an 11-character suffix to name each Job, whose name must stay
    /// within a 63-character label value.
    static let cronJobNameLimit = 52

    /// A ConfigMap and a CronJob per scheduled scenario, as one multi-document YAML stream for
    /// `kubectl apply -f -`. The record's address comes from the Secret `dbSecret` (its `url` key)
    /// when the drill runs, so it never appears here.
    static func kubernetes(_ scheduled: [(path: String, scenario: Scenario)], image: String, dbSecret: String) throws -> String {
        guard !image.isEmpty, !image.contains(where: \.isWhitespace) else {
            throw CommandFailure.usage("--image must name a container image, like registry.example/firedrill:\(Firedrill.version)")
        }
        guard isSubdomainName(dbSecret) else {
            throw CommandFailure.usage("--db-secret '\(dbSecret)' is not a Kubernetes Secret name (lowercase letters, digits, '-' and '.', at most 253)")
        }
        var seen: [String: String] = [:]
        for (path, scenario) in scheduled {
            let name = scenario.name
            let cronJob = "firedrill-\(name)"
            guard cronJob.count <= cronJobNameLimit else {
                throw CommandFailure.usage("""
                    scenario '\(name)' (\(path)): its CronJob name \(cronJob) is \(cronJob.count) characters; \
                    Kubernetes allows \(cronJobNameLimit), so the scenario's name can have at most \
                    \(cronJobNameLimit - "firedrill-".count)
                    """)
            }
            // The name is also a label value, which must start and end with a letter or digit.
            guard name.first != "-", name.last != "-" else {
                throw CommandFailure.usage("scenario '\(name)' (\(path)): a name starting or ending with '-' cannot be a Kubernetes label value")
            }
            // Both would be applied under one name, the second silently replacing the first.
            if let other = seen.updateValue(path, forKey: name) {
                throw CommandFailure.usage("scenario '\(name)' is in both \(other) and \(path): their CronJobs would have the same name")
            }
        }
        var out = """
            # Firedrill drill schedule for Kubernetes: a ConfigMap holding each scheduled scenario and a
            # CronJob running it (kubectl apply -f -). The record's address is read from the Secret \(dbSecret).

            """
        for (path, scenario) in scheduled {
            out += try configMap(scenario.name, text: scenarioText(path))
            out += cronJob(scenario, image: image, dbSecret: dbSecret)
        }
        return out
    }

    /// The file as it is on disk: the pod must run the very scenario that was validated here.
    static func scenarioText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure.usage("\(path): cannot be read")
        }
        // Not `String(data:encoding:)`, which may drop a byte order mark.
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CommandFailure.usage("\(path): not UTF-8 text, which a ConfigMap's data must be")
        }
        return text
    }

    static func labels(_ name: String, indent: String) -> [String] {
        ["labels:", "  app.kubernetes.io/name: firedrill", "  firedrill.dev/scenario: \(quoted(name))"].map { indent + $0 }
    }

    /// The scenario under `NAME.yaml`, written as a literal block when that parses back to the
    /// exact text, else as one double-quoted line (carriage returns, control characters, a byte order mark).
    static func configMap(_ name: String, text: String) throws -> String {
        let key = "\(name).yaml"
        func document(_ value: String) -> String {
            (["---", "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: \(quoted("firedrill-\(name)-scenario"))"]
                + labels(name, indent: "  ") + ["data:", "  \(quoted(key)): \(value)"]).joined(separator: "\n") + "\n"
        }
        func exact(_ yaml: String) -> Bool {
            guard let node = try? Yams.compose(yaml: yaml), let value = node["data"]?[key]?.string else { return false }
            // Yams makes its strings with String(bytes:encoding:), which drops a leading byte order
            // mark; `quoted` writes it as an escape, which Kubernetes reads back.
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            if text.utf8.starts(with: bom) {
                return yaml.contains("\(quoted(key)): \"\\uFEFF") && value.utf8.elementsEqual(text.utf8.dropFirst(bom.count))
            }
            // Bytes, not String ==, which takes precomposed and decomposed accents as equal.
            return value.utf8.elementsEqual(text.utf8)
        }
        if let block = literalBlock(text, indent: "    "), exact(document(block)) { return document(block) }
        let line = document(quoted(text))
        guard exact(line) else { throw CommandFailure.internalError("the scenario \(name) could not be written exactly as YAML") }
        return line
    }

    static func cronJob(_ scenario: Scenario, image: String, dbSecret: String) -> String {
        let name = scenario.name
        let schedule = scenario.schedule!
        let args = ["run", "\(kubernetesScenarioFolder)/\(name).yaml", "--quiet"].map(quoted).joined(separator: ", ")
        var lines = ["---", "apiVersion: batch/v1", "kind: CronJob", "metadata:", "  name: \(quoted("firedrill-\(name)"))"]
        lines += labels(name, indent: "  ")
        lines += ["  annotations:", "    firedrill.dev/schedule: \(quoted(schedule.description))"]
        lines += [
            "spec:",
            "  schedule: \(quoted(cronFields(schedule.cron)))",
            "  timeZone: \(quoted(schedule.timeZone))",
            "  # An overlapping drill would inject a second fault into a system still recovering from the first.",
            "  concurrencyPolicy: Forbid",
            // Long after its planned instant a drill would surprise the people meant to be ready for
            // it; ten minutes rides out a controller restart. One missed by more waits for the next
            // instant, and `firedrill due` shows the period left without a drill.
            "  # Started within ten minutes of its planned instant, or not at all (firedrill due shows the miss).",
            "  startingDeadlineSeconds: 600",
            // The record is in the database; these keep the recent pods, and their logs, to read.
            "  successfulJobsHistoryLimit: 3",
            "  failedJobsHistoryLimit: 3",
            "  jobTemplate:",
            "    metadata:",
        ]
        lines += labels(name, indent: "      ")
        lines += [
            "    spec:",
            "      # Never retried: a second attempt would inject the fault again.",
            "      backoffLimit: 0",
            "      template:",
            "        metadata:",
        ]
        lines += labels(name, indent: "          ")
        lines += [
            "        spec:",
            "          restartPolicy: Never",
            "          containers:",
            "            - name: firedrill",
            "              image: \(quoted(image))",
            "              args: [\(args)]",
            "              env:",
            "                - name: FIREDRILL_DB",
            "                  valueFrom:",
            "                    secretKeyRef:",
            "                      name: \(quoted(dbSecret))",
            "                      key: url",
            "              volumeMounts:",
            "                - name: scenario",
            "                  mountPath: \(kubernetesScenarioFolder)",
            "                  readOnly: true",
            "          volumes:",
            "            - name: scenario",
            "              configMap:",
            "                name: \(quoted("firedrill-\(name)-scenario"))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `|` with the indentation indicator and chomping the text needs, or nil when a literal block
    /// cannot hold it (characters YAML does not allow there, or takes as line breaks).
    static func literalBlock(_ text: String, indent: String) -> String? {
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0 == "\n" || ($0 != "\r" && isPrintable($0)) }) else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let chomping: String
        if lines.last == "" {
            lines.removeLast()
            chomping = lines.last == "" ? "+" : ""
        } else {
            chomping = "-"
        }
        // Without the indicator, a first line starting with a space (or blank) would set the indentation.
        let indicator = (lines.first?.first ?? " ") == " " ? "2" : ""
        return "|\(indicator)\(chomping)\n" + lines.map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
    }

    /// YAML's printable set, less what libyaml reads as a line break or a byte order mark.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x20...0x7E, 0xA0...0x2027, 0x202A...0xD7FF, 0xE000...0xFEFE, 0xFF00...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// A double-quoted YAML scalar, so that no value reads as a number, a boolean or null.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where isPrintable(scalar): out.unicodeScalars.append(scalar)
            case _ where scalar.value <= 0xFF: out += "\\x" + hex(scalar.value, width: 2)
            default: out += "\\u" + hex(scalar.value, width: 4)
            }
        }
        return out + "\""
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A DNS subdomain (RFC 1123), as Kubernetes names a Secret.
    static func isSubdomainName(_ name: String) -> Bool {
        name.utf8.count <= 253 && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }
}
