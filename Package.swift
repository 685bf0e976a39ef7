// swift-tools-version: 6.2
import PackageDescription

/// The Swift runtime and Foundation linked into the release `firedrill` itself: it starts in half
/// the time (no symbol lookups across a dozen shared libraries), and every drill, report and
/// check is a process of its own. Foundation's own static libraries are named after it, as
/// `swift build --static-swift-stdlib` would (that flag cannot be set from here).
let staticSwiftRuntime = ["-static-stdlib", "-lCoreFoundation", "-l_FoundationCShims", "-l_FoundationCollections", "-l_FoundationICU", "-lstdc++"]

let package = Package(
    name: "Firedrill",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "firedrill", targets: ["firedrill"]),
        .executable(name: "firedrill-sample-service", targets: ["firedrill-sample-service"]),
        .executable(name: "firedrill-bench", targets: ["firedrill-bench"]),
        .library(name: "FiredrillCore", targets: ["FiredrillCore"]),
        .library(name: "FiredrillRuntime", targets: ["FiredrillRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure: scenario model and its action kinds (read from a YAML tree), validation, the drill
        // state machine, measurement, retrospective. No I/O.
        .target(name: "FiredrillCore", dependencies: [.product(name: "Yams", package: "Yams")]),
        // What Swift cannot call: prctl (variadic) for the process-table fallback, and vfork, which starts
        // a step's command and enters its cgroup before the program runs.
        .target(name: "FiredrillSystemShims"),
        // Effects: YAML loading, executor, drivers, clocks, SQLite store, progress output.
        .target(
            name: "FiredrillRuntime",
            dependencies: [
                "FiredrillCore",
                "FiredrillSystemShims",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The shared record: the store contract on PostgreSQL, for runners on many hosts.
        .target(
            name: "FiredrillPostgres",
            dependencies: [
                "FiredrillRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Reports from the record: the report model, its SVG timeline, Mustache templates.
        .target(
            name: "FiredrillReports",
            dependencies: ["FiredrillCore", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .target(
            name: "FiredrillCommands",
            dependencies: [
                "FiredrillRuntime",
                "FiredrillPostgres",
                "FiredrillReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                // `firedrill serve`: the drill room and the evidence room in a browser.
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "firedrill",
            dependencies: ["FiredrillCommands", "firedrill-sample-service"],
            linkerSettings: [.unsafeFlags(staticSwiftRuntime, .when(platforms: [.linux], configuration: .release))]
        ),
        // The demo's target system: a real HTTP service holding data on disk, with backups.
        .target(
            name: "FiredrillSampleService",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "firedrill-sample-service", dependencies: ["FiredrillSampleService"]),
        // Speed and accuracy figures (docs/PERFORMANCE.md): `swift run -c release firedrill-bench`.
        .executableTarget(
            name: "firedrill-bench",
            dependencies: [
                "FiredrillRuntime", "FiredrillPostgres", "FiredrillSampleService", "FiredrillTestSupport", "firedrill-sample-service", "firedrill",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // A scripted driver, a manual clock and an in-memory store for tests.
        .target(name: "FiredrillTestSupport", dependencies: ["FiredrillRuntime"]),
        .testTarget(name: "FiredrillCoreTests", dependencies: ["FiredrillCore", "FiredrillTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "FiredrillReportsTests", dependencies: ["FiredrillReports", "FiredrillCore", "FiredrillTestSupport"]),
        .testTarget(
            name: "FiredrillRuntimeTests",
            dependencies: [
                "FiredrillRuntime", "FiredrillPostgres", "FiredrillTestSupport", "FiredrillSampleService", "firedrill-sample-service",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "FiredrillSampleServiceTests",
            dependencies: ["FiredrillSampleService", "firedrill-sample-service", "FiredrillTestSupport"]
        ),
        .testTarget(
            name: "FiredrillCommandsTests",
            dependencies: [
                "FiredrillCommands", "FiredrillPostgres", "FiredrillSampleService", "FiredrillTestSupport", "firedrill",
                "firedrill-sample-service", "firedrill-bench",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)
