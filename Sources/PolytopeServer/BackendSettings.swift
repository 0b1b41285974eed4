import Foundation
import Logging
import OutboundHTTP
import PolytopeConfig
import PolytopeCore
import RequestStorePostgres
import RequestStoreSQLite
import ServiceLifecycle
import StagingFilesystem
import StagingS3

/// Which request store to use, from the `store` section.
///
/// ```yaml
/// store: {type: sqlite, durability: normal}                      # the default, in <data-dir>
/// store: {type: postgres, url: "postgres://polytope@db:5432/polytope", password: "${PGPASSWORD}"}
/// ```
package enum StoreSettings: Sendable {
    case sqlite(SQLiteRequestStore.Configuration)
    case postgres(PostgresRequestStore.Configuration)

    /// Whether commits survive a power loss (results are then fsynced by default too).
    var isPowerLossSafe: Bool {
        switch self {
        case .sqlite(let configuration): return configuration.durability == .full
        case .postgres: return true
        }
    }

    init(_ section: ConfigReader?, dataDirectory: String) {
        let type = section?.choice("type", ["sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"], default: "sqlite") ?? "sqlite"
        guard type == "postgres", let section else {
            self = .sqlite(
                SQLiteRequestStore.Configuration(
                    path: section?.string("path") ?? "\(dataDirectory)/polytope.sqlite",
                    durability: section?.choice("durability", ["normal": .normal, "full": .full], default: .normal) ?? .normal,
                    busyTimeout: section?.duration("busy-timeout", default: .seconds(30)) ?? .seconds(30),
                    checkpointsInBackground: true
                )
            )
            return
        }
        let url = section.string("url") ?? ""
        let schema = section.string("schema", default: "public")
        if schema.isEmpty || schema.count > 63 || !schema.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
            || schema.first!.isNumber
        {
            section.report(
                "a schema name is 1 to 63 lowercase letters, digits and underscores, not starting with a digit; found \"\(schema)\"", key: "schema")
        }
        guard var configuration = PostgresRequestStore.Configuration(url: url, schema: schema) else {
            section.report("expected a URL such as postgres://user@host:5432/database, found \"\(ConfigNode.maskingURLPassword(url))\"", key: "url")
            self = .sqlite(SQLiteRequestStore.Configuration(path: "\(dataDirectory)/polytope.sqlite"))
            return
        }
        if let password = section.string("password") { configuration.password = password }
        configuration.maximumConnections = section.int("max-connections", default: configuration.maximumConnections, range: 1...1000)
        configuration.connectTimeout = section.duration("connect-timeout", default: configuration.connectTimeout, minimum: .milliseconds(100))
        configuration.queryTimeout = section.duration("query-timeout", default: configuration.queryTimeout, minimum: .seconds(1))
        configuration.tls = section.choice(
            "tls", ["disable": .disable, "prefer": .prefer, "require": .require], default: PostgresRequestStore.Configuration.TLSMode.prefer
        )
        self = .postgres(configuration)
    }

    /// Opens the store. The returned services (PostgreSQL's pool and notification listener)
    /// must run for the store to work; the in-process signals get woken by other processes.
    /// - Parameter watchInterest: on SQLite, when other processes' commits are watched for.
    func makeStore(
        dispatchNeeded: WakeSignal, workQueued: WakeSignal, requestsChanged: WakeSignal = WakeSignal(),
        watchInterest: SQLiteChangeWatcher.Interest = .init(always: true), metrics: PolytopeMetrics = PolytopeMetrics(), logger: Logger
    ) throws -> (store: any RequestStoreBackend, services: [any Service]) {
        switch self {
        case .sqlite(let configuration):
            try StartupDirectory.create(URL(fileURLWithPath: configuration.path).deletingLastPathComponent().path, for: "the directory of store.path")
            let store = try SQLiteRequestStore(configuration: configuration, committed: requestsChanged, logger: logger)
            let checkpointer: [any Service] =
                configuration.checkpointsInBackground ? [SQLiteCheckpointer(path: configuration.path, logger: logger)] : []
            let watcher = SQLiteChangeWatcher(
                store: store, dispatchNeeded: dispatchNeeded, workQueued: workQueued, requestsChanged: requestsChanged,
                interest: watchInterest, logger: logger)
            return (store, checkpointer + [watcher])
        case .postgres(let configuration):
            let store = PostgresRequestStore(configuration: configuration, logger: logger, metrics: metrics)
            let bridge = PostgresNotificationBridge(
                store: store, dispatchNeeded: dispatchNeeded, workQueued: workQueued, requestsChanged: requestsChanged, logger: logger)
            return (store, [store, bridge])
        }
    }
}

/// Where results are staged, from the `staging` section.
///
/// ```yaml
/// staging: {type: filesystem}                                   # the default, in <data-dir>
/// staging: {type: s3, endpoint: "http://s3:8333", bucket: polytope, downloads: presigned}
/// ```
package enum StagingSettings: Sendable {
    case filesystem(FilesystemStaging.Configuration)
    /// S3-compatible storage; `presignedDownloads` sends polls straight to the store.
    case s3(S3Staging.Configuration, presignedDownloads: Bool)

    init(_ section: ConfigReader?, dataDirectory: String, syncByDefault: Bool) {
        let type = section?.choice("type", ["filesystem": "filesystem", "s3": "s3"], default: "filesystem") ?? "filesystem"
        guard type == "s3", let section else {
            self = .filesystem(
                FilesystemStaging.Configuration(
                    root: section?.string("path") ?? "\(dataDirectory)/staging",
                    syncWrites: section?.bool("sync-writes", default: syncByDefault) ?? syncByDefault
                )
            )
            return
        }
        self = Self.s3(section)
    }

    private static func s3(_ section: ConfigReader) -> StagingSettings {
        func required(_ key: String, example: String) -> String {
            if let value = section.string(key), !value.isEmpty { return value }
            section.report("S3 staging needs '\(key)', for example \(key): \(example)")
            return ""
        }
        let endpoint = required("endpoint", example: "http://s3.example.int:8333")
        if !endpoint.isEmpty, URL(string: endpoint)?.host == nil || !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            section.report("expected an http(s) URL such as http://s3.example.int:8333, found \"\(endpoint)\"", key: "endpoint")
        }
        let client = S3Client.Configuration(
            endpoint: endpoint,
            bucket: required("bucket", example: "polytope"),
            region: section.string("region", default: "us-east-1"),
            accessKey: required("access-key", example: "${S3_ACCESS_KEY}"),
            secretKey: required("secret-key", example: "${S3_SECRET_KEY}"),
            timeout: section.duration("timeout", default: .seconds(300), minimum: .seconds(1))
        )
        var prefix = section.string("prefix", default: "")
        if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
        let partSize = section.byteCount("part-size", default: 8 << 20)
        if partSize < 5 << 20 || partSize > 5 << 30 {
            section.report("S3 upload parts must be between 5M and 5G, found \(partSize) bytes", key: "part-size")
        }
        let expiry = section.duration("presigned-expiry", default: .seconds(3600), minimum: .seconds(1))
        if expiry > .seconds(7 * 86_400) {
            section.report("S3 presigned URLs are valid for at most 7d", key: "presigned-expiry")
        }
        let publicEndpoint = section.string("public-endpoint")
        if let publicEndpoint, URL(string: publicEndpoint)?.host == nil {
            section.report("expected an http(s) URL, found \"\(publicEndpoint)\"", key: "public-endpoint")
        }
        let configuration = S3Staging.Configuration(
            client: client, prefix: prefix, partSize: Int(min(max(partSize, 5 << 20), 5 << 30)), presignedExpiry: min(expiry, .seconds(7 * 86_400)),
            publicEndpoint: publicEndpoint
        )
        let presigned = section.choice("downloads", ["proxy": false, "presigned": true], default: false)
        return .s3(configuration, presignedDownloads: presigned)
    }

    /// The staging area, and the same area when polls should redirect straight to it.
    func makeStaging(http: SharedHTTPClient) throws -> (staging: any StagingArea, directDownloads: (any DirectDownloadStaging)?) {
        switch self {
        case .filesystem(let configuration):
            try StartupDirectory.create(configuration.root, for: "staging.path")
            return (try FilesystemStaging(configuration: configuration), nil)
        case .s3(let configuration, let presigned):
            let staging = try S3Staging(configuration: configuration, http: http.client)
            return (staging, presigned ? staging : nil)
        }
    }
}

/// Runs `body` while the services a store needs are running.
func withServices<Result: Sendable>(_ services: [any Service], _ body: () async throws -> Result) async throws -> Result {
    guard !services.isEmpty else { return try await body() }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services { group.addTask { try await service.run() } }
        defer { group.cancelAll() }
        return try await body()
    }
}
