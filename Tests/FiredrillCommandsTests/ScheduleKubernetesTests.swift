import FiredrillRuntime
import Foundation
import Testing
import Yams

/// `firedrill schedule --kubernetes`: the YAML stream read back, field by field.
@Suite struct ScheduleKubernetesTests {
    static let root = ShippedScenarioTests.root
    static let kubernetes = root + "/scenarios/kubernetes"
    /// A record's address that must never be written out.
    static let environment = ["FIREDRILL_DB": "postgres://u:sekret@127.0.0.1:1/db"]

    /// What Yams loaded, walked by key and index.
    struct Tree {
        let value: Any?
        subscript(_ key: String) -> Tree { Tree(value: (value as? [AnyHashable: Any])?[key]) }
        subscript(_ index: Int) -> Tree {
            guard let list = value as? [Any], list.indices.contains(index) else { return Tree(value: nil) }
            return Tree(value: list[index])
        }
        var string: String? { value as? String }
        var int: Int? { value as? Int }
        var bool: Bool? { value as? Bool }
        var list: [Tree] { (value as? [Any])?.map { Tree(value: $0) } ?? [] }
        var keys: Set<String> { Set(((value as? [AnyHashable: Any]) ?? [:]).keys.compactMap { $0 as? String }) }
    }

    static func documents(_ yaml: String) throws -> [Tree] {
        try Yams.load_all(yaml: yaml).map { Tree(value: $0) }
    }

    static func schedule(_ arguments: [String], directory: String) async throws -> FiredrillProcess.Finished {
        let finished = try await FiredrillProcess.run(["schedule", "--kubernetes"] + arguments, environment: environment, directory: directory)
        for secret in ["postgres://", "sekret", "127.0.0.1:1"] {
            #expect(!finished.output.contains(secret), "the record's address leaked: \(finished.output)")
        }
        return finished
    }

    /// The pair written for one scenario, checked against what every drill's pod needs.
    static func check(configMap: Tree, cronJob: Tree, name: String, file: String, image: String, secret: String, stdout: String) throws {
        let labels = ["app.kubernetes.io/name": "firedrill", "firedrill.dev/scenario": name]
        func expectLabels(_ tree: Tree, _ what: String) {
            #expect(tree["labels"].keys == Set(labels.keys), "\(what)")
            for (key, value) in labels { #expect(tree["labels"][key].string == value, "\(what) \(key)") }
        }
        #expect(configMap["apiVersion"].string == "v1")
        #expect(configMap["kind"].string == "ConfigMap")
        #expect(configMap["metadata"]["name"].string == "firedrill-\(name)-scenario")
        expectLabels(configMap["metadata"], "ConfigMap")
        #expect(configMap["data"].keys == ["\(name).yaml"])
        let text = try #require(configMap["data"]["\(name).yaml"].string)
        let bytes = Array(try #require(FileManager.default.contents(atPath: file)))
        // Yams reads strings through String(bytes:encoding:), which drops a leading byte order mark:
        // that one is checked in the text written, as the escape Kubernetes reads back.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        if bytes.starts(with: bom) {
            #expect(stdout.contains("\"\(name).yaml\": \"\\uFEFF"), "\(stdout)")
            #expect(Array(text.utf8) == Array(bytes.dropFirst(bom.count)), "the ConfigMap holds \(file) byte for byte")
        } else {
            #expect(Array(text.utf8) == bytes, "the ConfigMap holds \(file) byte for byte")
        }

        #expect(cronJob["apiVersion"].string == "batch/v1")
        #expect(cronJob["kind"].string == "CronJob")
        #expect(cronJob["metadata"]["name"].string == "firedrill-\(name)")
        expectLabels(cronJob["metadata"], "CronJob")
        let spec = cronJob["spec"]
        #expect(spec["concurrencyPolicy"].string == "Forbid")
        #expect((spec["startingDeadlineSeconds"].int ?? 0) > 0)
        #expect(spec["successfulJobsHistoryLimit"].int != nil)
        #expect(spec["failedJobsHistoryLimit"].int != nil)
        expectLabels(spec["jobTemplate"]["metadata"], "Job")
        let job = spec["jobTemplate"]["spec"]
        #expect(job["backoffLimit"].int == 0)
        expectLabels(job["template"]["metadata"], "Pod")
        let pod = job["template"]["spec"]
        #expect(pod["restartPolicy"].string == "Never")
        #expect(pod["containers"].list.count == 1)
        let container = pod["containers"][0]
        #expect(container["name"].string == "firedrill")
        #expect(container["image"].string == image)
        #expect(container["args"].list.map(\.string) == ["run", "/etc/firedrill/scenarios/\(name).yaml", "--quiet"])
        #expect(container["env"].list.count == 1)
        let db = container["env"][0]
        #expect(db["name"].string == "FIREDRILL_DB")
        #expect(db.keys == ["name", "valueFrom"], "from the Secret only, never a value")
        #expect(db["valueFrom"]["secretKeyRef"]["name"].string == secret)
        #expect(db["valueFrom"]["secretKeyRef"]["key"].string == "url")

        // The file the args name is the ConfigMap's key, in the folder its volume is mounted at.
        #expect(container["volumeMounts"].list.count == 1)
        let mount = container["volumeMounts"][0]
        #expect(mount["name"].string != nil)
        #expect(mount["mountPath"].string == "/etc/firedrill/scenarios")
        #expect(mount["readOnly"].bool == true)
        let volumes = pod["volumes"].list
        #expect(volumes.count == 1)
        #expect(volumes.first?["name"].string == mount["name"].string)
        #expect(volumes.first?["configMap"]["name"].string == configMap["metadata"]["name"].string)
    }

    @Test func theShippedScheduledScenariosBecomeAConfigMapAndACronJobEach() async throws {
        let dir = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let finished = try await Self.schedule([Self.kubernetes], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        #expect(finished.stderr.isEmpty, "\(finished.stderr)")
        let documents = try Self.documents(finished.stdout)
        // Files in name order; each scenario's ConfigMap before the CronJob that mounts it.
        let expected: [(file: String, name: String, cron: String, zone: String, description: String)] = [
            ("kill-thanos-vms.yaml", "kill-thanos-vms", "0 9 1 1,4,7,10 *", "Europe/Stockholm", "quarterly (Europe/Stockholm)"),
            ("lose-datacenter.yaml", "lose-datacenter-zone", "0 9 15 2,5,8,11 *", "Europe/Stockholm", "cron 0 9 15 2,5,8,11 * (Europe/Stockholm)"),
            ("lose-the-alerting.yaml", "lose-the-alerting", "0 9 1 1,4,7,10 *", "UTC", "quarterly (UTC)"),
            ("velero-oldest-restore.yaml", "velero-oldest-restore", "0 9 1 1,4,7,10 *", "UTC", "quarterly (UTC)"),
            ("velero-restore.yaml", "velero-restore", "0 9 1 * *", "UTC", "monthly (UTC)"),
        ]
        try #require(documents.count == 2 * expected.count, "\(finished.stdout)")
        for (index, scenario) in expected.enumerated() {
            let configMap = documents[2 * index], cronJob = documents[2 * index + 1]
            try Self.check(configMap: configMap, cronJob: cronJob, name: scenario.name, file: Self.kubernetes + "/" + scenario.file,
                           image: "firedrill:\(Firedrill.version)", secret: "firedrill-db", stdout: finished.stdout)
            #expect(cronJob["spec"]["schedule"].string == scenario.cron, "\(scenario.name)")
            #expect(cronJob["spec"]["timeZone"].string == scenario.zone, "\(scenario.name)")
            #expect(cronJob["metadata"]["annotations"]["firedrill.dev/schedule"].string == scenario.description)
            // An ordinary scenario stays readable: a literal block, not one escaped line.
            #expect(finished.stdout.contains("\"\(scenario.name).yaml\": |\n"), "\(scenario.name)")
        }
    }

    @Test func theImageAndSecretAreTheOnesGiven() async throws {
        let dir = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = Self.kubernetes + "/velero-restore.yaml"
        // --db names the record here; it must not be written either.
        let finished = try await Self.schedule([file, "--image", "registry.example/drills/firedrill:2.1", "--db-secret", "drill-record",
                                                "--db", Self.environment["FIREDRILL_DB"]!], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        let documents = try Self.documents(finished.stdout)
        try #require(documents.count == 2, "\(finished.stdout)")
        try Self.check(configMap: documents[0], cronJob: documents[1], name: "velero-restore", file: file,
                       image: "registry.example/drills/firedrill:2.1", secret: "drill-record", stdout: finished.stdout)

        let bad = try await Self.schedule([file, "--db-secret", "Drill_Record"], directory: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--db-secret 'Drill_Record'"), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    /// Line endings, a byte order mark, trailing blank lines, no final newline, an indented first
    /// line, tabs, trailing spaces and accents written two ways: each ConfigMap parses back to its file.
    @Test func everyScenarioTextIsHeldByteForByte() async throws {
        let dir = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: Self.kubernetes + "/velero-restore.yaml", encoding: .utf8)
            .replacingOccurrences(of: "runbook: ../../runbooks/velero-restore.md\n", with: "")
        func named(_ name: String) -> String { shipped.replacingOccurrences(of: "name: velero-restore\n", with: "name: \(name)\n") }
        let variants: [String: String] = [
            "crlf": named("crlf").replacingOccurrences(of: "\n", with: "\r\n"),
            "bom": "\u{FEFF}" + named("bom"),
            "blank-tail": named("blank-tail") + "\n\n",
            "no-final-newline": String(named("no-final-newline").dropLast()),
            "indented-first": "   # indented\n\n" + named("indented-first"),
            "odd-characters": named("odd-characters") + "#\tTab, trailing spaces   \n# e\u{301} and \u{E9}, \"quotes\" \\ 🔥\n  \n",
        ]
        for (name, text) in variants { try text.write(toFile: "\(dir)/\(name).yaml", atomically: true, encoding: .utf8) }
        let finished = try await Self.schedule([dir], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        let documents = try Self.documents(finished.stdout)
        try #require(documents.count == 2 * variants.count, "\(finished.stdout)")
        for (index, name) in variants.keys.sorted().enumerated() {
            try Self.check(configMap: documents[2 * index], cronJob: documents[2 * index + 1], name: name, file: "\(dir)/\(name).yaml",
                           image: "firedrill:\(Firedrill.version)", secret: "firedrill-db", stdout: finished.stdout)
        }
    }

    @Test func aCronJobNameOver52CharactersIsRefused() async throws {
        let dir = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: Self.kubernetes + "/kill-thanos-vms.yaml", encoding: .utf8)
            .replacingOccurrences(of: "runbook: ../../runbooks/restore-thanos.md\n", with: "")
        func write(_ name: String) throws -> String {
            let path = "\(dir)/\(name.count).yaml"
            try shipped.replacingOccurrences(of: "name: kill-thanos-vms\n", with: "name: \(name)\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // "firedrill-" and 42 characters make 52, the most a CronJob's name may have.
        let longest = String(repeating: "a", count: 41) + "z"
        let fits = try await Self.schedule([try write(longest)], directory: dir)
        #expect(fits.status == 0, "\(fits.output)")
        let documents = try Self.documents(fits.stdout)
        try #require(documents.count == 2)
        #expect(documents[1]["metadata"]["name"].string?.count == 52)

        let tooLong = String(repeating: "b", count: 43)
        let path = try write(tooLong)
        let refused = try await Self.schedule([path], directory: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("scenario '\(tooLong)' (\(path))"), "\(refused.stderr)")
        #expect(refused.stderr.contains("53 characters"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty, "nothing half written: \(refused.stdout)")
    }

    @Test func aFileThatIsNotAScenarioIsReportedAndTheOthersWritten() async throws {
        let dir = try temporaryFolder("k8s")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "firedrill: 1\nname: Not A Name\n".write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let file = Self.kubernetes + "/velero-restore.yaml"
        let finished = try await Self.schedule([dir + "/broken.yaml", file], directory: dir)
        #expect(finished.status == 2)
        #expect(finished.stderr.contains("\(dir)/broken.yaml: cannot be read as a scenario"), "\(finished.stderr)")
        let documents = try Self.documents(finished.stdout)
        try #require(documents.count == 2, "\(finished.stdout)")
        try Self.check(configMap: documents[0], cronJob: documents[1], name: "velero-restore", file: file,
                       image: "firedrill:\(Firedrill.version)", secret: "firedrill-db", stdout: finished.stdout)
    }

    /// crontab lines and systemd units name a shared record by its URL without the password,
    /// which PGPASSWORD or PGPASSFILE gives where the drill runs.
    @Test func cronAndSystemdWriteASharedRecordsURLWithoutItsPassword() async throws {
        let dir = try temporaryFolder("k8s-cron")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for output in ["--cron", "--systemd"] {
            let finished = try await FiredrillProcess.run(["schedule", output, Self.kubernetes], environment: Self.environment, directory: dir)
            #expect(finished.status == 0, "\(finished.output)")
            #expect(finished.stdout.contains("--db 'postgres://u@127.0.0.1:1/db?sslmode=prefer'"), "\(output): \(finished.stdout)")
            #expect(!finished.output.contains("sekret"), "\(output): \(finished.output)")
        }
    }
}
