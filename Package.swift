// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "polytope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "polytope", targets: ["PolytopeCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Domain: request model, request language, matching, errors, backend protocols.
        .target(
            name: "PolytopeCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The MARS request language: expansion, coercion and checks of request values (pure).
        .target(
            name: "MarsLanguage",
            dependencies: ["PolytopeCore"],
            swiftSettings: swiftSettings
        ),
        // Feature extraction (pure): feature parsing and validation, grid geometry, shape selection,
        // simple-packing read plans and decoding, CoverageJSON encoding. No I/O, no ecCodes.
        .target(
            name: "FeatureExtraction",
            dependencies: ["PolytopeCore"],
            swiftSettings: swiftSettings
        ),
        // ecCodes, ECMWF's GRIB library (Debian: libeccodes-dev), as a C module.
        .systemLibrary(name: "CEcCodes", providers: [.apt(["libeccodes-dev"])]),
        // The GRIB archive: messages read with ecCodes, stored in files, indexed by MARS keys in SQLite,
        // with each field's grid and data section, for reading the values of a few points.
        .target(
            name: "GribArchive",
            dependencies: [
                "CEcCodes", "PolytopeCore", "MarsLanguage", "FeatureExtraction",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Typed configuration: YAML loading, deep merge, ${ENV} expansion, validation.
        .target(
            name: "PolytopeConfig",
            dependencies: [
                .product(name: "Yams", package: "Yams")
            ],
            swiftSettings: swiftSettings
        ),
        // What both request stores share: the row format of a stored request.
        .target(
            name: "RequestStoreSupport",
            dependencies: ["PolytopeCore"],
            swiftSettings: swiftSettings
        ),
        // The embedded request store (SQLite through GRDB).
        .target(
            name: "RequestStoreSQLite",
            dependencies: [
                "PolytopeCore", "RequestStoreSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The request store on PostgreSQL, for several hosts.
        .target(
            name: "RequestStorePostgres",
            dependencies: [
                "PolytopeCore", "RequestStoreSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Staging of results on a local filesystem.
        .target(
            name: "StagingFilesystem",
            dependencies: [
                "PolytopeCore",
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Staging in an S3-compatible object store (SigV4 signing, multipart uploads).
        .target(
            name: "StagingS3",
            dependencies: [
                "PolytopeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one outgoing HTTP client of a process (datasources, federation, S3, Auth-o-tron).
        .target(
            name: "OutboundHTTP",
            dependencies: [
                "PolytopeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Datasources (echo, dummy, raise) and the registry that builds them from config.
        .target(
            name: "Datasources",
            dependencies: [
                "PolytopeCore", "PolytopeConfig", "MarsLanguage", "GribArchive", "FeatureExtraction", "OutboundHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // Authenticators: users from the configuration, API keys, Auth-o-tron, federation peers.
        .target(
            name: "Authentication",
            dependencies: [
                "PolytopeCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Role: dispatch waiting requests under quality-of-service limits.
        .target(
            name: "Broker",
            dependencies: [
                "PolytopeCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Role: the worker pool that claims queued requests and stages their results.
        .target(
            name: "Worker",
            dependencies: [
                "PolytopeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Role: removes expired results, revoked leftovers and orphaned staging files.
        .target(
            name: "GarbageCollector",
            dependencies: [
                "PolytopeCore", "PolytopeConfig",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP plumbing shared by the frontend and telemetry: request context, authentication
        // and error middleware, the one mapping of errors to statuses, JSON responses.
        .target(
            name: "PolytopeHTTP",
            dependencies: [
                "PolytopeCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Role: the REST API (v1, wire-compatible with polytope-client) and downloads.
        .target(
            name: "Frontend",
            dependencies: [
                "PolytopeCore", "PolytopeHTTP",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Role: health, readiness and summary routes under /telemetry/v1.
        .target(
            name: "Telemetry",
            dependencies: [
                "PolytopeCore", "PolytopeHTTP",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Composition root: turns a configuration and a set of roles into one ServiceGroup.
        .target(
            name: "PolytopeServer",
            dependencies: [
                "PolytopeCore", "PolytopeConfig", "RequestStoreSQLite", "RequestStorePostgres", "StagingFilesystem", "StagingS3", "Datasources",
                "OutboundHTTP",
                "Authentication",
                "Broker", "Worker", "GarbageCollector", "PolytopeHTTP", "Frontend", "Telemetry",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `polytope` executable: command-line parsing only.
        .executableTarget(
            name: "PolytopeCLI",
            dependencies: [
                "PolytopeServer", "PolytopeConfig", "PolytopeCore", "Authentication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared fakes and harnesses for tests.
        .target(
            name: "PolytopeTestSupport",
            dependencies: [
                "PolytopeCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/PolytopeTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PolytopeCoreTests", dependencies: ["PolytopeCore", "PolytopeTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MarsLanguageTests", dependencies: ["MarsLanguage", "PolytopeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FeatureExtractionTests",
            dependencies: ["FeatureExtraction", "PolytopeCore"],
            exclude: ["crosscheck"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GribArchiveTests", dependencies: ["GribArchive", "FeatureExtraction", "MarsLanguage", "PolytopeTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "PolytopeConfigTests", dependencies: ["PolytopeConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RequestStoreSQLiteTests",
            dependencies: ["RequestStoreSQLite", "PolytopeTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RequestStorePostgresTests",
            dependencies: ["RequestStorePostgres", "PolytopeTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StagingFilesystemTests",
            dependencies: ["StagingFilesystem", "PolytopeTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StagingS3Tests",
            dependencies: [
                "StagingS3", "OutboundHTTP", "PolytopeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PolytopeHTTPTests",
            dependencies: [
                "PolytopeHTTP", "PolytopeCore",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DatasourcesTests", dependencies: ["Datasources", "GribArchive", "FeatureExtraction", "PolytopeTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BrokerTests",
            dependencies: ["Broker", "RequestStoreSQLite", "PolytopeTestSupport", .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "Datasources", "RequestStoreSQLite", "StagingFilesystem", "PolytopeTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GarbageCollectorTests",
            dependencies: ["GarbageCollector", "RequestStoreSQLite", "StagingFilesystem", "PolytopeTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AuthenticationTests",
            dependencies: [
                "Authentication", "RequestStoreSQLite", "PolytopeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PolytopeServerTests",
            dependencies: ["PolytopeServer", "RequestStoreSQLite", "RequestStorePostgres", "StagingFilesystem", "StagingS3"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FrontendTests",
            dependencies: [
                "Frontend", "PolytopeServer", "RequestStoreSQLite", "PolytopeTestSupport", "PolytopeHTTP", "Telemetry",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
