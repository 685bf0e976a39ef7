import FiredrillCore
import FiredrillRuntime
import FiredrillTestSupport
import Foundation
import Testing

/// Guards, the drill-wide deadline, secrets and hostile values, through the real `firedrill`.
@Suite(.serialized) struct SafetyTests {
    static func write(_ yaml: String, in dir: String, name: String) throws -> String {
        let path = "\(dir)/\(name).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func onlyRun(_ db: String) throws -> (RunRecord, [RecordedEvent], DrillMachine) {
        let store = try SQLiteStore(path: db)
        let run = try #require(try store.runs(scenario: nil).first)
        let events = try store.events(of: run.id)
        let scenario = ScenarioLoader.parse(text: run.scenarioText, file: run.scenarioPath, baseDirectory: "/", fileExists: { _ in true }).scenario
        let machine = DrillMachine.replay(try #require(scenario), events: events.map { ($0.event, $0.at) })
        return (run, events, machine)
    }

    /// The period is a second: a poll unanswered within its period counts as a failure, and at
    /// 100 ms a loaded machine's process start alone tripped the guard before the injection.
    @Test func aFailingGuardAbortsWithinOnePeriodAndRollsBack() async throws {
        let dir = try temporaryFolder("firedrill-guard")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try Self.write("""
            firedrill: 1
            name: guard-drill
            vars: {dir: "\(dir)"}
            guards:
              - name: tripwire absent
                run: [sh, -c, 'test ! -e "$1"', sh, "${dir}/tripwire"]
                every: 1s
            phases:
              - name: disaster
                steps:
                  - name: hold before
                    sleep: 2500ms
                  - name: trip it
                    run: [touch, "${dir}/tripwire"]
                    rollback:
                      - {name: clear it, run: [rm, -f, "${dir}/tripwire"], idempotent: true}
                  - name: hold the fault
                    sleep: 30s
            """, in: dir, name: "guard")
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db"], directory: dir)
        #expect(finished.status == 3, "\(finished.output)")
        #expect(finished.stdout.contains("guard 'tripwire absent' TRIPPED"), "\(finished.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/tripwire"), "the rollback did not run")
        let (run, events, machine) = try Self.onlyRun(dir + "/r.db")
        #expect(run.status == .aborted)
        let trip = try #require(machine.state.guardTrip)
        #expect(trip.name == "tripwire absent")
        #expect(machine.state.failureReason?.contains("guard 'tripwire absent'") == true)
        // Polled on its grid from the first phase: polls done before the injection started passed,
        // and no poll started after it ended passed: the first one then tripped the guard.
        let attempt = try #require(machine.state.attempts.first { $0.stepName == "trip it" },
                                   "the guard tripped before the injection: \(trip.summary)")
        let injected = try #require(attempt.endedAt)
        let samples = events.compactMap { if case .guardSampled(let s) = $0.event { s } else { nil } }
        let before = samples.filter { $0.endedAt <= attempt.startedAt }
        #expect(!before.isEmpty && before.allSatisfy { $0.report.passed }, "\(before.map(\.report.summary))")
        #expect(samples.filter { $0.startedAt >= injected }.allSatisfy { !$0.report.passed })
        #expect(samples.last?.report.passed == false)
        print("guard tripped \((trip.at - injected).secondsText) after the injection (period 1s)")
    }

    @Test func pastMaxDurationTheDrillAbortsAndRollsBack() async throws {
        let dir = try temporaryFolder("firedrill-deadline")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try Self.write("""
            firedrill: 1
            name: deadline-drill
            max_duration: 400ms
            vars: {dir: "\(dir)"}
            phases:
              - name: disaster
                steps:
                  - name: inject
                    run: [touch, "${dir}/injected"]
                    rollback:
                      - {name: undo, run: [rm, -f, "${dir}/injected"], idempotent: true}
                  - name: hold the fault
                    sleep: 30s
            """, in: dir, name: "deadline")
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db"], directory: dir)
        #expect(finished.status == 3, "\(finished.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/injected"))
        let (run, _, machine) = try Self.onlyRun(dir + "/r.db")
        #expect(run.status == .aborted)
        #expect(machine.state.failureReason?.contains("max_duration of 400ms") == true, "\(machine.state.failureReason ?? "")")
        let passedAt = try #require(machine.state.maxDurationPassedAt)
        #expect(passedAt.nanoseconds >= 400_000_000)
    }

    @Test func secretsReachTheStepAndNothingElse() async throws {
        let dir = try temporaryFolder("firedrill-secret")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secret = "s3cr3t-\(UUID().uuidString)"
        let received = dir + "/step-output/received"
        try FileManager.default.createDirectory(atPath: dir + "/step-output", withIntermediateDirectories: true)
        let scenario = try Self.write("""
            firedrill: 1
            name: secret-drill
            secrets: [FIREDRILL_TEST_TOKEN]
            vars: {out: "\(received)"}
            steady_state:
              - name: token works
                run: [sh, -c, 'test -n "$1"', sh, "${secret.FIREDRILL_TEST_TOKEN}"]
            phases:
              - name: use it
                steps:
                  - name: hand it over
                    run: [sh, -c, 'printf %s "$1" > "$2"; echo "token=$1"; echo "stderr $1" >&2', sh, "${secret.FIREDRILL_TEST_TOKEN}", "${out}"]
                  - name: in a shell script
                    shell: 'echo "shell ${secret.FIREDRILL_TEST_TOKEN}"; exit 3'
                    on_failure: continue
                  - name: wait for it
                    wait_for: {run: [sh, -c, 'echo "probe $1"', sh, "${secret.FIREDRILL_TEST_TOKEN}"], every: 10ms}
            """, in: dir, name: "secret")
        let db = dir + "/record.db"
        let env = ["FIREDRILL_TEST_TOKEN": secret]
        let missing = try await FiredrillProcess.run(["run", scenario, "--db", db], directory: dir)
        #expect(missing.status == 2 && missing.stderr.contains("secret FIREDRILL_TEST_TOKEN is not set"), "\(missing.output)")

        let finished = try await FiredrillProcess.run(["run", scenario, "--db", db], environment: env, directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        #expect(try String(contentsOfFile: received, encoding: .utf8) == secret, "the step did not get the secret")
        let (run, _, machine) = try Self.onlyRun(db)
        let outputs = machine.state.attempts.compactMap { $0.report?.stdout?.text }.joined()
        #expect(outputs.contains("token=***"), "\(outputs)")

        let retro = try await FiredrillProcess.run(["retro", run.id, "--out", dir + "/retro.md", "--db", db], environment: env, directory: dir)
        let status = try await FiredrillProcess.run(["status", run.id, "--db", db], environment: env, directory: dir)
        let history = try await FiredrillProcess.run(["history", "--json", "--db", db], environment: env, directory: dir)
        let verify = try await FiredrillProcess.run(["verify", "--db", db], environment: env, directory: dir)
        let printed = [finished, retro, status, history, verify].map(\.output).joined()
        #expect(!printed.contains(secret), "the secret was printed")
        // Every byte Firedrill wrote: the database and its WAL, the retrospective.
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { !$0.hasPrefix("step-output") }
        #expect(files.contains("record.db") && files.contains("retro.md"))
        for file in files {
            guard let data = FileManager.default.contents(atPath: dir + "/" + file) else { continue }
            #expect(data.range(of: Data(secret.utf8)) == nil, "the secret is in \(file)")
        }
    }

    /// A server that echoes the request back shows what Firedrill's HTTP client made of the
    /// secret: percent-encoded in the URL, base64 in basic auth. None of it may be recorded.
    @Test func secretsEncodedByTheHTTPClientAreMaskedToo() async throws {
        let dir = try temporaryFolder("firedrill-secret-echo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secret = "s3<cr>3t|\(UUID().uuidString)"
        let echo = try LoopbackTCPServer { connection in
            let request = connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(request.count)\r\nConnection: close\r\n\r\n")
            connection.write(request)
        }
        defer { echo.stop() }
        let scenario = try Self.write("""
            firedrill: 1
            name: secret-echo-drill
            secrets: [FIREDRILL_TEST_TOKEN]
            phases:
              - name: use it
                steps:
                  - name: in the query and the path
                    http: {url: "\(echo.base)/echo/${secret.FIREDRILL_TEST_TOKEN}?token=${secret.FIREDRILL_TEST_TOKEN}", body_contains: "token="}
                  - name: in a header and the body
                    http:
                      method: POST
                      url: "\(echo.base)/post"
                      headers: {X-Token: "${secret.FIREDRILL_TEST_TOKEN}"}
                      body: "${secret.FIREDRILL_TEST_TOKEN}"
                  - name: in the URL's credentials
                    http: {url: "http://drill:${secret.FIREDRILL_TEST_TOKEN}@127.0.0.1:\(echo.port)/userinfo"}
                  - name: as a basic-auth password
                    prometheus:
                      url: "\(echo.base)"
                      query: up
                      basic_auth: {user: drill, password: "${secret.FIREDRILL_TEST_TOKEN}"}
                    on_failure: continue
            """, in: dir, name: "secret-echo")
        let db = dir + "/record.db"
        let env = ["FIREDRILL_TEST_TOKEN": secret]
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", db], environment: env, directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        let (run, _, machine) = try Self.onlyRun(db)
        let outputs = machine.state.attempts.compactMap { $0.report?.stdout?.text }
        // The server did see the secret, encoded: the echo holds the masks where it was.
        #expect(outputs.first?.contains("GET /echo/***?token=*** HTTP/1.1") == true, "\(outputs)")
        // CR is a control character: the record keeps it escaped.
        #expect(outputs.dropFirst().first?.contains("\\x0d\n\\x0d\n***") == true, "\(outputs)")
        #expect(outputs.dropFirst(2).first?.contains("Basic ***") == true, "\(outputs)")
        #expect(outputs.last?.contains("Basic ***") == true, "\(outputs)")

        let retro = try await FiredrillProcess.run(["retro", run.id, "--out", dir + "/retro.md", "--db", db], environment: env, directory: dir)
        let printed = [finished, retro].map(\.output).joined()
        let forms = [
            secret,
            secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!,
            secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!,
            secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!.lowercased(),
            secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            Data("drill:\(secret)".utf8).base64EncodedString(),
        ]
        for form in forms {
            #expect(!printed.contains(form), "\(form) was printed")
            for file in try FileManager.default.subpathsOfDirectory(atPath: dir) {
                guard let data = FileManager.default.contents(atPath: dir + "/" + file) else { continue }
                #expect(data.range(of: Data(form.utf8)) == nil, "\(form) is in \(file)")
            }
        }
    }

    @Test func interpolatedValuesNeverReachAShell() async throws {
        let dir = try temporaryFolder("firedrill-hostile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try Self.write("""
            firedrill: 1
            name: hostile-drill
            vars: {value: "", dir: "\(dir)"}
            phases:
              - name: echo
                steps:
                  - {name: print it, run: [printf, "%s", "${value}"]}
                  - {name: use it as a path, run: [test, "!", -e, "${dir}/${value}"]}
            """, in: dir, name: "hostile")
        let values = [
            #"it's "quoted" \ and 'single'"#, "a; touch \(dir)/PWNED", "$(touch \(dir)/PWNED)", "`touch \(dir)/PWNED`",
            "line one\nline two\n", "| touch \(dir)/PWNED &", "${value} $$ $HOME *", "--help", "-n",
        ]
        for (index, value) in values.enumerated() {
            let db = "\(dir)/r\(index).db"
            let finished = try await FiredrillProcess.run(["run", scenario, "--var", "value=\(value)", "--db", db, "--quiet"], directory: dir)
            #expect(finished.status == 0, "\(value): \(finished.output)")
            let (_, _, machine) = try Self.onlyRun(db)
            #expect(machine.state.attempts.first?.report?.stdout?.text == value, "\(value) came out changed")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/PWNED"), "a value reached a shell")

        // NUL cannot be passed to a program: the step fails instead of running something else.
        let nul = try Self.write("""
            firedrill: 1
            name: nul-drill
            phases:
              - name: echo
                steps:
                  - {name: print it, run: [printf, "%s", "before\\0after"]}
            """, in: dir, name: "nul")
        let finished = try await FiredrillProcess.run(["run", nul, "--db", dir + "/nul.db", "--quiet"], directory: dir)
        #expect(finished.status == 3, "\(finished.output)")
        let (_, _, machine) = try Self.onlyRun(dir + "/nul.db")
        #expect(machine.state.attempts.first?.summary?.contains("NUL byte") == true, "\(machine.state.attempts.first?.summary ?? "")")
    }

    @Test func enormousAndNonUTF8OutputIsBoundedInTheRecord() async throws {
        let dir = try temporaryFolder("firedrill-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try Self.write("""
            firedrill: 1
            name: output-drill
            phases:
              - name: noisy
                steps:
                  - name: twenty megabytes and bad bytes
                    shell: 'head -c 20000000 /dev/zero | tr "\\\\0" x; printf "\\\\377\\\\376\\\\n"; head -c 3000000 /dev/urandom >&2'
            """, in: dir, name: "output")
        let finished = try await FiredrillProcess.run(["run", scenario, "--db", dir + "/r.db", "--quiet"], directory: dir)
        #expect(finished.status == 0, "\(finished.output)")
        let (_, _, machine) = try Self.onlyRun(dir + "/r.db")
        let report = try #require(machine.state.attempts.first?.report)
        #expect(report.stdout?.totalBytes == 20_000_003)
        #expect(report.stderr?.totalBytes == 3_000_000)
        #expect((report.stdout?.keptBytes ?? .max) <= CapturedOutput.defaultLimit)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/r.db")[.size] as? Int)
        let wal = (try? FileManager.default.attributesOfItem(atPath: dir + "/r.db-wal")[.size] as? Int) ?? 0
        #expect(size + wal < 2_000_000, "the record grew to \(size + wal) bytes")
    }
}
