import Foundation
import Logging
import PolytopeConfig
import PolytopeCore
import RequestStorePostgres
import RequestStoreSQLite
import ServiceLifecycle
import StagingFilesystem

/// Which request store to use, from the `store` section.
///
/// ```yaml
/// store: {type: sqlite, durability: normal}                      # the default, in <data-dir>
/// store: {type: postgres, url: "postgres://polytope@db:5432/polytope", password: "${PGPASSWORD}"}
/// ```
public enum StoreSettings: Sendable {
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
        guard var configuration = PostgresRequestStore.Configuration(url: url, schema: schema) else {
            section.report("expected a URL such as postgres://user@host:5432/database, found \"\(url)\"", key: "url")
            self = .sqlite(SQLiteRequestStore.Configuration(path: "\(dataDirectory)/polytope.sqlite"))
            return
        }
        if let password = section.string("password") { configuration.password = password }
        configuration.maximumConnections = section.int("max-connections", default: configuration.maximumConnections, range: 1...1000)
        configuration.connectTimeout = section.duration("connect-timeout", default: configuration.connectTimeout, minimum: .milliseconds(100))
        configuration.tls = section.choice(
            "tls", ["disable": .disable, "prefer": .prefer, "require": .require], default: PostgresRequestStore.Configuration.TLSMode.prefer
        )
        self = .postgres(configuration)
    }

    /// Opens the store. The returned services (PostgreSQL's pool and notification listener)
    /// must run for the store to work; the in-process signals get woken by other processes.
    func makeStore(requestArrived: WakeSignal, workQueued: WakeSignal, logger: Logger) throws -> (
        store: any RequestStoreBackend, services: [any Service]
    ) {
        switch self {
        case .sqlite(let configuration):
            let store = try SQLiteRequestStore(configuration: configuration, logger: logger)
            let checkpointer = configuration.checkpointsInBackground ? [SQLiteCheckpointer(path: configuration.path, logger: logger)] : []
            return (store, checkpointer)
        case .postgres(let configuration):
            let store = PostgresRequestStore(configuration: configuration, logger: logger)
            let bridge = PostgresNotificationBridge(store: store, requestArrived: requestArrived, workQueued: workQueued, logger: logger)
            return (store, [store, bridge])
        }
    }
}

/// Where results are staged, from the `staging` section.
public enum StagingSettings: Sendable {
    case filesystem(FilesystemStaging.Configuration)

    init(_ section: ConfigReader?, dataDirectory: String, syncByDefault: Bool) {
        let type = section?.choice("type", ["filesystem": "filesystem"], default: "filesystem") ?? "filesystem"
        _ = type
        self = .filesystem(
            FilesystemStaging.Configuration(
                root: section?.string("path") ?? "\(dataDirectory)/staging",
                syncWrites: section?.bool("sync-writes", default: syncByDefault) ?? syncByDefault
            )
        )
    }

    func makeStaging() throws -> any StagingArea {
        switch self {
        case .filesystem(let configuration): return try FilesystemStaging(configuration: configuration)
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
