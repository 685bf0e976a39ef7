import FiredrillCore
import FiredrillPostgres
import FiredrillRuntime
import FiredrillSampleService
import FiredrillTestSupport
import Foundation
import Testing

/// Runners sharing one PostgreSQL record, as real processes: two runners on two hosts (network
/// namespaces with hostnames of their own) handing one run over through its lease, and a
/// runner whose database server is killed under it in the middle of a drill. Each test makes a
/// cluster of its own (`TestPostgres.start()`): one kills its postmaster, the other needs its
/// Unix socket, and the shared one must survive both.
@Suite(.serialized) struct PostgresRunnerTests {
    // MARK: - Two hosts, one run

    /// A drill whose outage lasts until the test lets it end (a file appears), so the runner can be
    /// killed while it probes, at no instant left to chance.
    struct HostsLab {
        let dir: String
        var scenario: String { dir + "/two-hosts.yaml" }
        var target: String { dir + "/target.sh" }

        init() throws {
            dir = try temporaryFolder("firedrill-hosts")
            try ExecutableScript.write("""
                #!/bin/sh
                # Counts its own invocations, and which host made each.
                dir=$(dirname "$0")
                case "$1" in
                  inject) touch "$dir/down"; echo "inject $(hostname)" >> "$dir/invocations.log" ;;
                  restore) rm -f "$dir/down"; echo "restore $(hostname)" >> "$dir/invocations.log" ;;
                  undo) rm -f "$dir/down"; echo "undo $(hostname)" >> "$dir/invocations.log" ;;
                  health) [ ! -e "$dir/down" ] ;;
                  *) exit 2 ;;
                esac
                """, to: target)
            try """
                firedrill: 1
                name: two-hosts
                title: One run driven from two hosts
                objectives: {rto: 5m}
                vars: {target: "\(target)", dir: "\(dir)"}
                steady_state:
                  - name: target healthy
                    run: ["${target}", health]
                phases:
                  - name: disaster
                    steps:
                      - name: take the target down
                        run: ["${target}", inject]
                        mark: disaster
                        timeout: 10s
                        rollback:
                          - name: bring the target back
                            run: ["${target}", undo]
                            idempotent: true
                  - name: outage
                    steps:
                      - name: the outage lasts
                        wait_for: {run: ["test", "-e", "${dir}/go"], every: 200ms}
                        timeout: 3m
                  - name: restore
                    steps:
                      - name: restore the target
                        run: ["${target}", restore]
                        timeout: 10s
                      - name: a pause
                        sleep: 100ms
                      - name: and a no-op
                        run: ["true"]
                  - name: verify
                    steps:
                      - name: target answers
                        wait_for: {run: ["${target}", health], every: 100ms, consecutive: 2}
                        timeout: 30s
                        mark: recovered
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        func invocations() -> [String] {
            ((try? String(contentsOfFile: dir + "/invocations.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func letTheOutageEnd() { _ = FileManager.default.createFile(atPath: dir + "/go", contents: nil) }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// A host of its own: a network namespace (nothing but its own loopback) and, per runner, a
    /// UTS namespace with its own hostname. The database is reached through its Unix socket,
    /// which a filesystem path reaches from any network namespace.
    struct Host {
        let namespace: String
        let hostname: String

        /// `firedrill ARGS` on this host. `ip netns exec` mounts a /sys of the namespace's own, without
        /// the cgroup2 hierarchy: it is mounted again there (in that mount namespace only), so steps
        /// are contained in cgroups as on any host.
        func firedrill(_ arguments: [String], environment: [String: String], directory: String) throws -> FiredrillProcess.Running {
            let script = "ip link set lo up; mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null; hostname \"$0\" && exec \"$@\""
            return try FiredrillProcess.Running(["netns", "exec", namespace, "unshare", "--uts", "sh", "-c", script, hostname, FiredrillProcess.path]
                                                    + arguments, environment: environment, directory: directory, executable: Namespaces.ip ?? "/usr/sbin/ip")
        }
    }

    enum Namespaces {
        static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
        static let unshare = ["/usr/bin/unshare", "/bin/unshare", "/usr/sbin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }

        /// Why two hosts cannot be made here; nil when they can (a namespace is made and removed to find out).
        static let problem: String? = {
            guard getuid() == 0 else { return "network namespaces need root" }
            guard let ip else { return "ip (iproute2) is not installed" }
            guard unshare != nil else { return "unshare (util-linux) is not installed" }
            let probe = "fd-probe-" + UUID().uuidString.prefix(8).lowercased()
            let added = command(ip, ["netns", "add", probe])
            guard added.status == 0 else { return "`ip netns add` failed: \(added.output)" }
            defer { command(ip, ["netns", "delete", probe]) }
            let inside = command(ip, ["netns", "exec", probe, "unshare", "--uts", "sh", "-c", "hostname fd-probe-host && hostname"])
            guard inside.status == 0, inside.output.contains("fd-probe-host") else {
                return "`ip netns exec NS unshare --uts` failed: \(inside.output)"
            }
            return nil
        }()

        static var available: Bool {
            guard let problem else { return true }
            FileHandle.standardError.write(Data("PostgresRunnerTests: two hosts cannot be made here, skipped: \(problem)\n".utf8))
            return false
        }

        static func add(_ name: String) throws {
            let added = command(ip ?? "/usr/sbin/ip", ["netns", "add", name])
            guard added.status == 0 else { throw TestPostgresError("ip netns add \(name): \(added.output)") }
        }

        static func delete(_ name: String) { command(ip ?? "/usr/sbin/ip", ["netns", "delete", name]) }
    }

    /// Every test here makes clusters of its own: PostgreSQL's programs are all it needs.
    static var postgresAvailable: Bool {
        guard !TestPostgres.canStartClusters else { return true }
        FileHandle.standardError.write(Data("PostgresRunnerTests: PostgreSQL is missing, skipped: \(TestPostgres.unavailableReason)\n".utf8))
        return false
    }

    @Test(.enabled("PostgreSQL is missing (see the reason printed)") { PostgresRunnerTests.postgresAvailable },
          .enabled("ip netns or unshare is unavailable (see the reason printed)") { Namespaces.available },
          .timeLimit(.minutes(4)))
    func aRunnerOnAnotherHostTakesTheRunOverOnlyOnceItsLeaseExpired() async throws {
        let server = try await TestPostgres.started()
        defer { Self.discard(server) }
        let database = try server.createDatabase("hosts")
        let socketDirectory = try #require(server.socketDirectory)
        let viaSocket = "postgres://postgres@/\(database)?host=\(socketDirectory)&port=\(server.port)&sslmode=disable"
        // The URL runners on other hosts use: the socket's folder and port from the query.
        let parsed = try PostgresLocation(url: viaSocket, environment: [:])
        #expect(parsed.host == socketDirectory && parsed.port == server.port && parsed.user == "postgres" && parsed.database == database
                && parsed.sslMode == .disable && parsed.password == nil, "\(parsed)")

        let lab = try HostsLab()
        defer { lab.remove() }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let a = Host(namespace: "fd-a-\(suffix)", hostname: "runner-a")
        let b = Host(namespace: "fd-b-\(suffix)", hostname: "runner-b")
        defer { Namespaces.delete(a.namespace); Namespaces.delete(b.namespace) }
        try Namespaces.add(a.namespace)
        try Namespaces.add(b.namespace)
        let environment = ["FIREDRILL_LEASE_TTL_S": "3"]

        let runnerA = try a.firedrill(["run", lab.scenario, "--db", viaSocket], environment: environment, directory: lab.dir)
        defer { kill(runnerA.pid, SIGKILL) }
        // A has injected and probes the outage.
        let store = try PostgresStore(url: server.url(database: database))
        let runID = try await Self.eventually("runner A to start probing the outage") { () -> String? in
            guard let run = try store.runs(scenario: "two-hosts").first else { return nil }
            return try Self.dispatched(in: store.events(of: run.id)).contains { $0.contains("\(lab.dir)/go") } ? run.id : nil
        }
        #expect(lab.invocations() == ["inject runner-a"])
        let holder = try #require(try store.run(runID)?.runner, "the run has no holder")
        #expect(holder.host == "runner-a" && holder.pid == runnerA.pid, "held by \(holder), runner A is pid \(runnerA.pid)")

        // (a) While A is alive, B is refused, --force or not: A renews its lease.
        for force in [false, true] {
            let refused = await Self.wait(for: try b.firedrill(["resume", runID, "--db", viaSocket] + (force ? ["--force"] : []),
                                                               environment: environment, directory: lab.dir), limit: 60, "B's resume to be refused")
            #expect(refused.status == 2, "B's resume\(force ? " --force" : "") while A runs: exit \(refused.status): \(refused.output)")
            #expect(refused.stderr.contains("on runner-a") && refused.stderr.contains("renewed its lease")
                    && refused.stderr.contains("its lease expires in"), "\(refused.stderr)")
        }
        #expect(lab.invocations() == ["inject runner-a"], "B ran something: \(lab.invocations())")

        // (b) A dies.
        kill(runnerA.pid, SIGKILL)
        let killedA = await Self.wait(for: runnerA, limit: 30, "runner A to die")
        let killedAt = Date()
        #expect(killedA.signaled && killedA.status == SIGKILL, "\(killedA.output)")

        // (c) Before its lease expired, B is still refused: nobody can tell a dead runner from a slow one.
        let events = try store.events(of: runID)
        let expiry = try server.psql("SELECT (EXTRACT(EPOCH FROM expires_at) * 1e9)::bigint FROM leases WHERE run_id = '\(runID)'", database: database)
        let expiresAtNs = try #require(Int64(expiry.trimmingCharacters(in: .whitespacesAndNewlines)), "A's lease: '\(expiry)'")
        let early = try b.firedrill(["resume", runID, "--db", viaSocket], environment: environment, directory: lab.dir)
        defer { kill(early.pid, SIGKILL) }
        // Refused, it exits at once. Started too late (a loaded machine took the lease's last 2 s or more to
        // start it), it has taken the run over and waits for the outage to end: then only the instant of
        // its takeover, checked below, can tell whether it waited for the expiry.
        let startedLate = try await Self.eventually("B's first resume to be refused or to take over") { () -> Bool? in
            if !early.process.isRunning { return false }
            return try store.events(of: runID).contains { $0.event.type == "run_resumed" } ? true : nil
        }
        let takeover: FiredrillProcess.Finished
        if startedLate {
            print("PostgresRunnerTests: B's first resume started \(Date().timeIntervalSince(killedAt)) s after A died, once A's lease had expired: the refusal before the expiry is not checked this time")
            lab.letTheOutageEnd()
            takeover = await Self.wait(for: early, limit: 90, "B's resume to end")
        } else {
            let refused = await early.wait()
            #expect(refused.status == 2, "B's resume \(Date().timeIntervalSince(killedAt)) s after A died: exit \(refused.status): \(refused.output)")
            #expect(refused.stderr.contains("on runner-a") && refused.stderr.contains("its lease expires in"), "\(refused.stderr)")
            let expiresIn = try #require(Self.seconds(after: "its lease expires in ", in: refused.stderr), "\(refused.stderr)")
            #expect(expiresIn <= 3, "a lease of 3 s expires in \(expiresIn) s")
            await pause(expiresIn + 0.5)
            // Once it expired, B takes the run over without --force and carries it to its end.
            lab.letTheOutageEnd()
            takeover = await Self.wait(for: try b.firedrill(["resume", runID, "--db", viaSocket], environment: environment, directory: lab.dir),
                                       limit: 90, "B's resume to end")
        }
        #expect(takeover.status == 0, "B's resume after the lease expired: exit \(takeover.status): \(takeover.output)")
        #expect(takeover.stdout.contains("took run \(runID) over from pid \(runnerA.pid) on runner-a, since ")
                && takeover.stdout.contains("(its lease expired)"), "\(takeover.stdout)")
        #expect(takeover.stdout.contains("completed"), "\(takeover.stdout)")

        // (d) The record shows both runners, once each, and no event twice.
        let record = try #require(try store.run(runID))
        let all = try store.events(of: runID)
        #expect(record.status == .completed)
        #expect(Array(all.prefix(events.count)) == events, "the events A recorded changed")
        #expect(all.map(\.seq) == Array(1...all.count), "sequence numbers \(all.map(\.seq))")
        #expect(Self.attemptsStartedTwice(in: all).isEmpty, "attempts started twice: \(Self.attemptsStartedTwice(in: all))")
        guard case .runStarted(let started)? = all.first?.event else { Issue.record("no run_started first"); return }
        #expect(started.runner == RunnerIdentity(pid: runnerA.pid, host: "runner-a"), "run_started by \(String(describing: started.runner))")
        let resumes = all.compactMap { if case .runResumed(let by) = $0.event { by } else { nil } }
        #expect(resumes.count == 1 && resumes.first?.host == "runner-b", "run_resumed by \(resumes)")
        // Taken over no sooner than the lease expired, by the server's clock (this machine's, as the runners').
        let resumedAt = try #require(all.first { $0.event.type == "run_resumed" }?.wallNs)
        #expect(resumedAt >= expiresAtNs, "B took the run over \(Double(expiresAtNs - resumedAt) / 1e9) s before A's lease expired")
        #expect(all.filter { $0.event.type == "run_ended" }.count == 1)
        #expect(record.runner == nil, "the lease was not given back: \(String(describing: record.runner))")
        #expect(lab.invocations() == ["inject runner-a", "restore runner-b"], "\(lab.invocations())")

        let verified = try await FiredrillProcess.run(["verify", "--db", server.url(database: database)], directory: lab.dir)
        #expect(verified.status == 0, "\(verified.output)")
        let status = try await FiredrillProcess.run(["status", runID, "--db", server.url(database: database)], directory: lab.dir)
        #expect(status.status == 0 && status.stdout.contains("completed"), "\(status.output)")
    }

    // MARK: - The postmaster dies mid-drill

    /// The sample service killed and started again, with an outage that lasts until the test
    /// lets it end: the database server is killed while the runner probes it.
    struct OutageLab {
        let dir: String
        let port: Int
        var scenario: String { dir + "/pg-outage.yaml" }
        var truthLog: String { dir + "/service.log" }

        init(service: String) throws {
            dir = try temporaryFolder("firedrill-pgdown")
            port = try LoopbackPort.free()
            let start = """
                ["${service}", "start", "--port", "${port}", "--data", "${dir}/data", "--backups", "${dir}/backups",
                          "--backup-every", "2s", "--log", "${dir}/service.log", "--pidfile", "${dir}/service.pid"]
                """
            try """
                firedrill: 1
                name: pg-outage
                title: The sample service's outage, with the record's server lost in the middle
                objectives: {rto: 5m}
                vars: {service: "\(service)", port: "\(port)", dir: "\(dir)", url: "http://127.0.0.1:\(port)"}
                setup:
                  - name: start the sample service
                    run: \(start)
                    timeout: 30s
                steady_state:
                  - name: service healthy
                    http: {url: "${url}/health", status: 200, timeout: 2s}
                phases:
                  - name: disaster
                    steps:
                      - name: kill the service
                        kill: {pidfile: "${dir}/service.pid", signal: KILL}
                        mark: disaster
                  - name: detect
                    steps:
                      - name: health check fails
                        wait_for: {http: {url: "${url}/health", status: 200, timeout: 1s}, expect: fail, every: 100ms}
                        timeout: 30s
                        mark: detected
                  - name: hold
                    steps:
                      - name: the outage lasts
                        wait_for: {run: ["test", "-e", "${dir}/go"], every: 100ms}
                        timeout: 3m
                  - name: restore
                    steps:
                      - name: restart the service
                        run: \(start)
                        timeout: 1m
                  - name: verify
                    steps:
                      - name: service answers again
                        wait_for: {http: {url: "${url}/health", status: 200, timeout: 1s}, every: 100ms, consecutive: 3}
                        timeout: 1m
                        mark: recovered
                rollback:
                  - name: bring the service back
                    shell: >
                      pid=$(cat "${dir}/service.pid" 2>/dev/null);
                      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then exit 0; fi;
                      "${service}" start --port "${port}" --data "${dir}/data" --backups "${dir}/backups" --backup-every 2s
                      --log "${dir}/service.log" --pidfile "${dir}/service.pid"
                    timeout: 1m
                    idempotent: true
                teardown:
                  - name: stop the sample service
                    run: ["${service}", "stop", "--pidfile", "${dir}/service.pid"]
                    timeout: 30s
                    on_failure: continue
                """.write(toFile: scenario, atomically: true, encoding: .utf8)
        }

        /// The pids that logged `started` in the truth log, in order.
        func starts() -> [Int32] {
            ((try? String(contentsOfFile: truthLog, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? TruthEvent(line: $0) }.filter { $0.event == "started" }.map(\.pid)
        }

        func letTheOutageEnd() { _ = FileManager.default.createFile(atPath: dir + "/go", contents: nil) }

        func remove() {
            for pid in processes(mentioning: dir) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test(.enabled("PostgreSQL is missing (see the reason printed)") { PostgresRunnerTests.postgresAvailable },
          .timeLimit(.minutes(4)))
    func thePostmasterKilledMidDrillStopsTheRunAndResumeCarriesItOn() async throws {
        let service = try #require(BuiltProducts.path(of: "firedrill-sample-service"), "the sample service is built for these tests")
        let server = try await TestPostgres.started()
        defer { Self.discard(server) }
        let database = try server.createDatabase("pgdown")
        let url = server.url(database: database)
        let lab = try OutageLab(service: service)
        defer { lab.remove() }

        let runner = try FiredrillProcess.Running(["run", lab.scenario, "--db", url], directory: lab.dir)
        defer { kill(runner.pid, SIGKILL) }
        let (runID, before) = try await {
            let store = try PostgresStore(url: url)
            return try await Self.eventually("the runner to probe the outage") { () -> (String, [RecordedEvent])? in
                guard let run = try store.runs(scenario: "pg-outage").first else { return nil }
                let events = try store.events(of: run.id)
                // A few polls of the outage recorded: the kill lands while it probes.
                let polls = events.filter { if case .probeSampled = $0.event { true } else { false } }
                guard Self.dispatched(in: events).contains(where: { $0.contains("\(lab.dir)/go") }), polls.count >= 8 else { return nil }
                return (run.id, events)
            }
        }()
        let startsBefore = lab.starts()

        // The database server dies as a crashed one does, its backends with it.
        let killedAtMonoNs = Self.monotonicNow()
        try await server.killingPostmaster()
        let stopped = await Self.wait(for: runner, limit: 60, "the runner to stop once its server was killed")
        #expect(!stopped.signaled && stopped.status == 70, "exit \(stopped.status): \(stopped.output)")
        #expect(stopped.stderr.contains("the connection to the server at 127.0.0.1:\(server.port) was lost"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("run \(runID) stopped here and dispatched nothing further"), "\(stopped.stderr)")
        // Mid-drill nothing is owed yet, but the operator who finds the service down learns what an abort would run.
        #expect(stopped.stderr.contains("rollbacks owed if it is aborted instead (`firedrill abort \(runID) --by NAME`): bring the service back"),
                "\(stopped.stderr)")
        #expect(stopped.stderr.contains("firedrill resume \(runID)"), "\(stopped.stderr)")
        #expect(!stopped.stderr.contains(server.adminPassword), "the password was shown")
        // Nothing of the drill is left running, and no step started after the kill: the service was not started again.
        await waitForNoProcesses(mentioning: lab.dir, limit: 5)
        #expect(processes(mentioning: lab.dir).isEmpty, "left running: \(processes(mentioning: lab.dir))")
        #expect(lab.starts() == startsBefore, "the service was started again while the record could not be written")

        // The server comes back (crash recovery): the record holds what was acknowledged, no more.
        try await server.restarting()
        let backAtMonoNs = Self.monotonicNow()
        let store = try PostgresStore(url: url)
        let stoppedWith = try store.events(of: runID)
        #expect(Array(stoppedWith.prefix(before.count)) == before, "what was acknowledged before the kill changed")
        let lastStarted = try #require(Self.dispatched(in: stoppedWith).last)
        #expect(lastStarted.contains("\(lab.dir)/go"), "a step after the outage's probe was dispatched: \(lastStarted)")

        // Carried on, the run ends as an uninterrupted one does.
        lab.letTheOutageEnd()
        let resumed = await Self.wait(for: try FiredrillProcess.Running(["resume", runID, "--db", url], directory: lab.dir), limit: 90,
                                      "the resumed run to end")
        #expect(resumed.status == 0, "resume: exit \(resumed.status): \(resumed.output)")
        #expect(resumed.stdout.contains("took run \(runID) over from pid \(runner.pid)"), "\(resumed.stdout)")

        let record = try #require(try store.run(runID))
        let events = try store.events(of: runID)
        #expect(record.status == .completed, "\(record.status)")
        #expect(events.map(\.seq) == Array(1...events.count), "sequence numbers \(events.map(\.seq))")
        #expect(Self.attemptsStartedTwice(in: events).isEmpty, "attempts started twice: \(Self.attemptsStartedTwice(in: events))")
        #expect(events.filter { $0.event.type == "run_resumed" }.count == 1)
        #expect(events.filter { $0.event.type == "run_ended" }.count == 1)
        // The service was killed once and started twice (setup, restore): no injection ran twice.
        let kills = Self.dispatchedActions(in: events).filter { $0.as(ResolvedKill.self) != nil }
        #expect(kills.count == 1, "kill dispatched \(kills.count) times")
        #expect(lab.starts().count == 2, "the truth log's starts: \(lab.starts())")
        let verified = try await FiredrillProcess.run(["verify", "--db", url], directory: lab.dir)
        #expect(verified.status == 0, "\(verified.output)")

        // The RTO recorded still brackets the service's own downtime, the record's outage inside it.
        let truth = try SampleServiceTruth.analyze(logFile: lab.truthLog)
        let scenario = try ScenarioLoader.load(path: lab.scenario).scenario
        let replayed = DrillMachine.replay(scenario, events: events.map { ($0.event, $0.at) })
        let rto = try #require(DrillMeasurement(scenario: scenario, state: replayed.state).rto, "no RTO")
        func mono(_ instant: DrillInstant) -> Int64 { record.startedMonoNs + instant.nanoseconds }
        let disaster = try #require(replayed.state.mark("disaster"))
        let recovered = try #require(replayed.state.mark("recovered"))
        let recovering = try #require(replayed.state.samples.first { $0.ref == recovered.ref && $0.passed && $0.startedAt == recovered.at })
        let heartbeat = Int64(truth.heartbeatNs)
        #expect(Int64(truth.downAtMonoNs) <= mono(disaster.upper), "the service was still beating after the kill step ended")
        #expect(Int64(truth.upAtMonoNs) >= mono(recovered.lower), "a probe failed after the service was listening")
        #expect(Int64(truth.upAtMonoNs) <= mono(recovering.endedAt), "the passing probe ended before the service listened")
        #expect(rto.lower.seconds - Double(heartbeat) / 1e9 <= truth.downtimeSeconds
                && truth.downtimeSeconds <= rto.upper.seconds + Double(heartbeat) / 1e9,
                "the service was down \(truth.downtimeSeconds) s, the RTO is \(rto.value) in [\(rto.lower), \(rto.upper)]")
        #expect(record.rtoSeconds == rto.value.seconds)
        // The RTO's span holds the database's outage: the run's clock went on while no runner could record.
        #expect(mono(disaster.at) < killedAtMonoNs && backAtMonoNs < mono(recovered.at), "the database's outage is not inside the RTO")
    }

    // MARK: - The store's part

    /// Once its server is gone (a killed postmaster's backends say FATAL and go), every call on a
    /// store fails at once, saying the connection was lost, and keeps failing: postgres-nio drops
    /// a statement written to a closed connection unanswered, and the next call used to wait
    /// forever (the runner above hung in its next write instead of stopping).
    @Test(.enabled("PostgreSQL is missing (see the reason printed)") { PostgresRunnerTests.postgresAvailable },
          .timeLimit(.minutes(2)))
    func aStoreWhoseServerDiedFailsEveryCallAtOnce() async throws {
        let server = try await TestPostgres.started()
        defer { Self.discard(server) }
        let database = try server.createDatabase("lost")
        let store = try PostgresStore(url: server.url(database: database))
        #expect(try store.runs(scenario: nil).isEmpty)
        try await server.killingPostmaster()
        await pause(0.3)  // the backend's FATAL is in, and the connection closed on it
        for call in ["runs", "events", "runs again"] {
            let outcome = await Self.offThePool(limit: 15) {
                if call == "events" { _ = try store.events(of: "nothing") } else { _ = try store.runs(scenario: nil) }
            }
            guard let outcome else { Issue.record("\(call): no answer within 15 s"); continue }
            guard case .failure(let error) = outcome else { Issue.record("\(call) succeeded on a dead server"); continue }
            #expect("\(error)".contains("the connection to the server at 127.0.0.1:\(server.port) was lost"), "\(call): \(error)")
        }
        // The server back, a store opened anew works; the broken one stays broken (what was in flight is in doubt).
        try await server.restarting()
        #expect(try PostgresStore(url: server.url(database: database)).runs(scenario: nil).isEmpty)
        #expect(await Self.offThePool(limit: 15) { _ = try store.runs(scenario: nil) }.map { if case .failure = $0 { true } else { false } } == true)
    }

    // MARK: - Helpers

    /// Waits for a process; one still running after `limit` seconds is a failure, and is killed
    /// (the test's time limit would leave it running and the wait crashed).
    static func wait(for running: FiredrillProcess.Running, limit: Double, _ what: String) async -> FiredrillProcess.Finished {
        let pid = running.pid
        let watchdog = Task {
            try await Task.sleep(for: .seconds(limit))
            Issue.record("waited \(limit) s for \(what): killed")
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        return await running.wait()
    }

    /// `body` on a thread of its own, so a call that hangs cannot hold a thread of the cooperative
    /// pool; nil when it has not returned within `limit` seconds.
    static func offThePool(limit: Double, _ body: @escaping @Sendable () throws -> Void) async -> Result<Void, any Error>? {
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var result: Result<Void, any Error>?
        }
        let box = Box()
        Thread {
            let result = Result { try body() }
            box.lock.withLock { box.result = result }
        }.start()
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if let result = box.lock.withLock({ box.result }) { return result }
            await pause(0.02)
        }
        return nil
    }

    /// What each `attempt_started` of `events` set going, as the record has it: a command's argv joined.
    static func dispatched(in events: [RecordedEvent]) -> [String] {
        events.compactMap { event in
            guard case .attemptStarted(let started) = event.event else { return nil }
            return started.action?.as(ResolvedRun.self).map { $0.argv.joined(separator: " ") } ?? started.action.map { "\($0)" } ?? ""
        }
    }

    static func dispatchedActions(in events: [RecordedEvent]) -> [ResolvedAction] {
        events.compactMap { event in
            guard case .attemptStarted(let started) = event.event else { return nil }
            return started.action
        }
    }

    /// CLOCK_MONOTONIC, as the record's and the sample service's instants read it.
    static func monotonicNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The attempts (step and attempt number) whose start is in `events` more than once.
    static func attemptsStartedTwice(in events: [RecordedEvent]) -> [String] {
        var seen: [String: Int] = [:]
        for event in events {
            if case .attemptStarted(let started) = event.event { seen["\(started.ref) attempt \(started.attempt)", default: 0] += 1 }
        }
        return seen.filter { $0.value > 1 }.keys.sorted()
    }

    /// The number after `prefix` in `text` ("… expires in 2.4 s").
    static func seconds(after prefix: String, in text: String) -> Double? {
        guard let range = text.range(of: prefix) else { return nil }
        return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }

    /// Polls `body` until it gives a value (or fails the test after `limit` seconds).
    static func eventually<T>(_ what: String, limit: Double = 60, _ body: () throws -> T?) async throws -> T {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if let value = try body() { return value }
            await pause(0.05)
        }
        throw TestPostgresError("waited \(limit) s for \(what)")
    }

    /// Stops a cluster of this test's own and removes its folder.
    static func discard(_ server: TestPostgres) {
        server.stop()
        guard let data = server.dataDirectory else { return }
        let root = (data as NSString).deletingLastPathComponent
        if (root as NSString).lastPathComponent.hasPrefix("firedrill-pg-") { try? FileManager.default.removeItem(atPath: root) }
    }
}

/// A program run to its end, its output and errors together.
@discardableResult
private func command(_ program: String, _ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
