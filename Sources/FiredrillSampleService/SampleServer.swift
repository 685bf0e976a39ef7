import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The running service: HTTP on 127.0.0.1, the write store, periodic backups and the heartbeat,
/// in one service group that shuts down gracefully on SIGTERM or SIGINT.
struct SampleServer {
    /// Sent with /health replies, so `start` can tell its own daemon from whatever else holds the port.
    static let pidHeader = HTTPField.Name("X-Firedrill-Pid")!

    let options: ServiceOptions

    func run() async throws {
        let pid = getpid()
        let truth = try TruthLog.appending(to: options.log)
        let store = try WriteStore(directory: options.data)
        try DurableFile.makeDirectory(options.backups)
        let pidfile = options.pidfile.map(Pidfile.init(path:))
        try pidfile?.write(pid)
        defer { pidfile?.remove(ifItNames: pid) }

        var logger = Logger(label: "firedrill-sample-service")
        logger.logLevel = .info
        truth.record("started", [
            "port": .int(options.port), "seq": .int(store.latest), "heartbeat_ns": .uint(options.heartbeat.nanoseconds),
        ])
        Console.say("firedrill-sample-service pid \(pid) starting on 127.0.0.1:\(options.port), latest seq \(store.latest) in \(store.path)")

        let application = Application(
            router: Self.router(store: store, truth: truth, pid: pid, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: options.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                truth.record("listening", ["port": .int(port)])
                Console.say("listening on 127.0.0.1:\(port)")
            },
            logger: logger
        )
        let backups = BackupService(
            store: store, directory: options.backups, interval: options.backupEvery.duration, truth: truth, logger: logger
        )
        let heartbeat = HeartbeatService(interval: options.heartbeat.duration, truth: truth)
        // Graceful shutdown runs in reverse order: backups stop, the server drains its requests, and the
        // heartbeat goes last, so its `stopping` is the final line and no `alive` gap hides a live server.
        let group = ServiceGroup(configuration: .init(
            services: [heartbeat, application, backups],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        Console.say("stopped")
    }

    static func router(store: WriteStore, truth: TruthLog, pid: pid_t, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in
            var response = text(.ok, "ok")
            response.headers[pidHeader] = String(pid)
            return response
        }
        router.get("latest") { _, _ in
            text(.ok, String(store.latest))
        }
        // For Prometheus to scrape (the metrics-store lab): the newest write, as a gauge.
        router.get("metrics") { _, _ in
            let exposition = """
                # HELP firedrill_sample_latest_seq Highest sequence number written to the sample service.
                # TYPE firedrill_sample_latest_seq gauge
                firedrill_sample_latest_seq \(store.latest)

                """
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: exposition))
            )
        }
        router.post("write") { request, _ in
            guard let seq = request.uri.queryParameters["seq"].flatMap({ Int($0) }), seq >= 0 else {
                return text(.badRequest, "seq must be a non-negative integer")
            }
            do {
                try store.append(seq, truth: truth)
            } catch {
                logger.error("write \(seq) failed: \(error)")
                return text(.internalServerError, "write failed: \(error)")
            }
            return text(.ok, "ok \(seq)")
        }
        return router
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}
