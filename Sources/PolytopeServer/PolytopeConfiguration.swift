import Authentication
import Broker
import Datasources
import Foundation
import Frontend
import GarbageCollector
import OutboundHTTP
import PolytopeConfig
import PolytopeCore
import RequestStoreSQLite
import StagingFilesystem
import Telemetry
import Worker

/// The whole configuration of a polytope process, parsed and validated once at start-up.
///
/// Each component receives only its own section (`BrokerConfiguration`, ...). The YAML
/// layout is documented in `docs/configuration.md`; `polytope.yaml` is a working example.
package struct PolytopeConfiguration: Sendable {
    /// Where the HTTP server listens and where local data lives.
    package struct Server: Sendable {
        package var host: String
        package var port: Int
        package var dataDirectory: String
        /// The largest request head (request line and headers) accepted; larger ones get 431.
        package var maximumHeaderSize: Int
        /// Connections with no complete request for this long are closed (slow clients).
        package var idleTimeout: Duration
        /// Open connections at most, in total (nil: fitted to the descriptor limit at start)
        /// and from one client address.
        package var maximumConnections: Int?
        package var maximumConnectionsPerAddress: Int
        /// Request bodies slower than this many bytes per second over `bodyRateWindow` get 408.
        package var minimumBodyRate: Int
        package var bodyRateWindow: Duration
    }

    /// Log verbosity and line format.
    package struct Logging: Sendable {
        package var level: String
        package var format: LogFormat
    }

    package var server: Server
    package var logging: Logging
    package var store: StoreSettings
    package var staging: StagingSettings
    package var frontend: FrontendConfiguration
    /// Signed download URLs (the signer itself is made when the server starts).
    package var downloadLinks: DownloadLinkSettings
    package var broker: BrokerConfiguration
    package var worker: WorkerPoolConfiguration
    package var garbageCollector: GarbageCollectorConfiguration
    package var telemetry: TelemetryConfiguration
    package var authentication: AuthenticationSettings
    package var catalog: CollectionCatalog
    /// The process's one outgoing HTTP client (made on first use; the server runs it as a
    /// service that shuts it down at exit).
    package let httpClient = SharedHTTPClient()

    /// The default HTTP port, documented in the README.
    package static let defaultPort = 8080

    /// The accepted log levels, least severe first.
    package static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Values given on the command line, which win over the files.
    package struct Overrides: Sendable {
        package var host: String?
        package var port: Int?
        package var dataDirectory: String?
        package var logLevel: String?
        package var logFormat: LogFormat?

        package init(host: String? = nil, port: Int? = nil, dataDirectory: String? = nil, logLevel: String? = nil, logFormat: LogFormat? = nil) {
            self.host = host
            self.port = port
            self.dataDirectory = dataDirectory
            self.logLevel = logLevel
            self.logFormat = logFormat
        }
    }

    /// Loads, merges and validates configuration files.
    /// - Throws: `ConfigError` listing every problem with its file, line and key path.
    package static func load(
        files: [String],
        overrides: Overrides = Overrides(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (PolytopeConfiguration, ConfigNode) {
        let (root, variables) = try ConfigLoader(environment: environment).loadNotingVariables(files: files)
        let reader = ConfigReader(root: root, diagnostics: ConfigDiagnostics(referencedVariables: variables))
        let configuration = PolytopeConfiguration(reader: reader, overrides: overrides)
        try reader.finish()
        return (configuration, root)
    }

    /// Reads every section; problems are collected in the reader's diagnostics.
    init(reader: ConfigReader, overrides: Overrides) {
        // Every key is read even when the command line overrides it, so that it is validated.
        let serverSection = reader.section("server")
        let dataDirectory = [overrides.dataDirectory, serverSection?.string("data-dir")].compactMap { $0 }.first ?? "./data"
        let configuredHost = serverSection?.string("host")
        let configuredPort = serverSection?.int("port", range: 0...65535)
        server = Server(
            host: overrides.host ?? configuredHost ?? "127.0.0.1",
            port: overrides.port ?? configuredPort ?? Self.defaultPort,
            dataDirectory: dataDirectory,
            maximumHeaderSize: Int(serverSection?.byteCount("max-header-size", default: 32 * 1024) ?? 32 * 1024),
            idleTimeout: serverSection?.duration("idle-timeout", default: .seconds(60), minimum: .seconds(1)) ?? .seconds(60),
            maximumConnections: serverSection?.int("max-connections", range: 1...10_000_000),
            maximumConnectionsPerAddress: serverSection?.int("max-connections-per-address", default: 128, range: 1...10_000_000) ?? 128,
            minimumBodyRate: Int(serverSection?.byteCount("min-body-rate", default: 1024) ?? 1024),
            bodyRateWindow: serverSection?.duration("body-rate-window", default: .seconds(10), minimum: .milliseconds(100)) ?? .seconds(10)
        )
        frontend = FrontendConfiguration(
            maximumBodySize: Int(serverSection?.byteCount("max-body-size", default: 1 << 20) ?? 1 << 20),
            maximumUploadSize: serverSection?.byteCount("max-upload-size", default: 10 << 30) ?? 10 << 30,
            publicURL: serverSection?.string("public-url").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            retryAfterSeconds: serverSection?.int("retry-after", default: 1, range: 0...3600) ?? 1
        )
        if let publicURL = frontend.publicURL {
            // Location headers and links are built on it: it must be absolute.
            let url = URL(string: publicURL)
            if url == nil || !["http", "https"].contains(url?.scheme?.lowercased() ?? "") || (url?.host ?? "").isEmpty || url?.query != nil {
                serverSection?.report(
                    "expected the absolute http(s) URL clients reach this server at, such as https://polytope.example.int; found \"\(ConfigNode.maskingURLPassword(publicURL))\"",
                    key: "public-url")
                frontend.publicURL = nil
            }
        }
        downloadLinks = DownloadLinkSettings(serverSection?.section("download-links"))
        let pollWait = serverSection?.duration("max-poll-wait", default: .seconds(60)) ?? .seconds(60)
        if pollWait > .seconds(60) { serverSection?.report("at most 60s (a proxy would cut longer polls)", key: "max-poll-wait") }
        frontend.maximumPollWait = min(pollWait, .seconds(60))
        frontend.processesPrefix = Self.frontPrefix(serverSection, key: "processes-prefix", default: frontend.processesPrefix)
        frontend.webPage = serverSection?.bool("web-page", default: true) ?? true
        frontend.webSessionLifetime =
            serverSection?.duration("web-session-lifetime", default: frontend.webSessionLifetime, minimum: .seconds(60))
            ?? frontend.webSessionLifetime
        frontend.edrPrefix = Self.frontPrefix(serverSection, key: "edr-prefix", default: frontend.edrPrefix)
        if frontend.edrPrefix == "", frontend.webPage {
            serverSection?.report(
                "an empty prefix puts the EDR landing page at /, where the web page starts; choose a prefix or set web-page: false",
                key: "edr-prefix")
            frontend.edrPrefix = "edr"
        }
        let edrWait = serverSection?.duration("edr-wait", default: .seconds(30)) ?? .seconds(30)
        if edrWait > .seconds(60) { serverSection?.report("at most 60s (a proxy would cut longer waits)", key: "edr-wait") }
        frontend.edrWait = min(edrWait, .seconds(60))
        let limits = RequestLimits()
        frontend.requestLimits = RequestLimits(
            maximumNesting: serverSection?.int("max-request-nesting", default: limits.maximumNesting, range: 1...256) ?? limits.maximumNesting,
            maximumValues: serverSection?.int("max-request-values", default: limits.maximumValues, range: 1...10_000_000) ?? limits.maximumValues,
            maximumKeys: serverSection?.int("max-request-keys", default: limits.maximumKeys, range: 1...1_000_000) ?? limits.maximumKeys
        )
        for prefix in serverSection?.strings("archive-sources") ?? [] {
            // "scheme://host/..." with the host closed by a slash, so no other host can match.
            guard let url = URL(string: prefix), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                prefix.dropFirst((url.scheme?.count ?? 0) + 3).contains("/")
            else {
                serverSection?.report(
                    "archive sources are http(s) URL prefixes that go at least to the host and a slash, such as https://data.example.int/; found \"\(prefix)\"",
                    key: "archive-sources")
                continue
            }
            frontend.archiveSources.append(prefix)
        }

        let loggingSection = reader.section("logging")
        let levels = Self.logLevels
        var level = loggingSection?.string("level")?.lowercased() ?? "info"
        if !levels.contains(level) {
            loggingSection?.report("expected one of \(levels.joined(separator: ", ")), found \"\(level)\"", key: "level")
            level = "info"
        }
        let format = loggingSection?.choice("format", ["text": LogFormat.text, "json": .json], default: .text) ?? .text
        logging = Logging(level: overrides.logLevel ?? level, format: overrides.logFormat ?? format)

        store = StoreSettings(reader.section("store"), dataDirectory: dataDirectory)
        staging = StagingSettings(reader.section("staging"), dataDirectory: dataDirectory, syncByDefault: store.isPowerLossSafe)

        broker = Self.brokerConfiguration(reader.section("broker"))
        worker = Self.workerConfiguration(reader.section("worker"))
        worker.maximumArchiveSize = frontend.maximumUploadSize
        worker.maximumAttempts = broker.maximumAttempts
        frontend.maximumActive = broker.maximumActive
        garbageCollector = Self.garbageCollectorConfiguration(reader.section("garbage-collector"))
        telemetry = Self.telemetryConfiguration(reader.section("telemetry"))
        frontend.adminRoles = telemetry.adminRoles
        authentication = AuthenticationSettings(reader.section("authentication"))
        catalog = CollectionCatalogReader(factory: DatasourceFactory(http: httpClient)).read(
            collections: reader.section("collections"), sharedDatasources: reader.section("datasources"))
        if reader.node["collections"] == nil {
            reader.report("no collections are configured; add a 'collections' section (see polytope.yaml)")
        } else if case .mapping(let entries)? = reader.node["collections"]?.value, entries.isEmpty {
            reader.report("no collections are configured; 'collections' is empty", key: "collections")
        }
    }

    private static func brokerConfiguration(_ section: ConfigReader?) -> BrokerConfiguration {
        let defaults = BrokerConfiguration()
        guard let section else { return defaults }
        return BrokerConfiguration(
            pollInterval: section.duration("poll-interval", default: defaults.pollInterval, minimum: .milliseconds(10)),
            maximumAttempts: section.int("max-attempts", default: defaults.maximumAttempts, range: 1...100),
            pageSize: section.int("page-size", default: defaults.pageSize, range: 1...100_000),
            maximumActive: section.int("max-active", range: 1...Int.max),
            queuePolicy: section.choice("policy", ["fifo": QueuePolicy.fifo, "fair-share": .fairShare], default: defaults.queuePolicy),
            takeover: section.duration("takeover", default: defaults.takeover, minimum: .seconds(1)),
            brokerID: section.string("id") ?? defaults.brokerID
        )
    }

    private static func workerConfiguration(_ section: ConfigReader?) -> WorkerPoolConfiguration {
        let defaults = WorkerPoolConfiguration()
        guard let section else { return defaults }
        let configuration = WorkerPoolConfiguration(
            slots: section.int("slots", default: defaults.slots, range: 1...1024),
            leaseDuration: section.duration("lease", default: defaults.leaseDuration, minimum: .seconds(1)),
            heartbeatInterval: section.duration("heartbeat", default: defaults.heartbeatInterval, minimum: .milliseconds(100)),
            pollInterval: section.duration("poll-interval", default: defaults.pollInterval, minimum: .milliseconds(10)),
            shutdownGracePeriod: section.duration("shutdown-grace", default: defaults.shutdownGracePeriod),
            workerID: section.string("id") ?? defaults.workerID
        )
        if configuration.heartbeatInterval * 2 > configuration.leaseDuration {
            section.report(
                "heartbeat (\(configuration.heartbeatInterval)) must be at most half the lease (\(configuration.leaseDuration))", key: "heartbeat")
        }
        return configuration
    }

    private static func garbageCollectorConfiguration(_ section: ConfigReader?) -> GarbageCollectorConfiguration {
        let defaults = GarbageCollectorConfiguration()
        guard let section else { return defaults }
        var threshold = defaults.stagingThreshold
        if section.contains("threshold") {
            switch section.string("threshold")?.lowercased() {
            case nil, "none", "off": threshold = nil
            default: threshold = section.byteCount("threshold", default: defaults.stagingThreshold ?? 0)
            }
        }
        return GarbageCollectorConfiguration(
            interval: section.duration("interval", default: defaults.interval, minimum: .seconds(1)),
            maximumAge: section.duration("age", default: defaults.maximumAge, minimum: .seconds(1)),
            stagingThreshold: threshold,
            orphanGracePeriod: section.duration("orphan-grace", default: defaults.orphanGracePeriod),
            abandonedWriteAge: section.duration("abandoned-upload-age", default: defaults.abandonedWriteAge),
            expiryNoteAge: section.duration("expiry-note-age", default: defaults.expiryNoteAge),
            uploadTimeout: section.duration("upload-timeout", default: defaults.uploadTimeout, minimum: .seconds(1))
        )
    }

    /// The first path segments of the web page, telemetry and the API definition, which no
    /// front's prefix may start with (their routes would collide).
    static let reservedFirstSegments: Set<Substring> = ["ui", "telemetry", "openapi.yaml"]

    /// The path prefix of a second front (`processes-prefix`, `edr-prefix`) without its outer
    /// slashes, nil for `none`; one that would overlap `/api/v1`, the web page, telemetry or
    /// `/openapi.yaml` is reported and `fallback` kept.
    private static func frontPrefix(_ section: ConfigReader?, key: String, default fallback: String?) -> String? {
        guard let prefix = section?.string(key) else { return fallback }
        if prefix == "none" { return nil }
        let segments = prefix.split(separator: "/")
        let trimmed = segments.joined(separator: "/")
        if segments.contains(where: { $0 == "v1" || $0 == ".." }) || trimmed.hasPrefix("api/v1") {
            section?.report("must not overlap /api/v1; found \"\(prefix)\"", key: key)
            return fallback
        }
        if let first = segments.first, reservedFirstSegments.contains(first) {
            section?.report(
                "must not start with \(reservedFirstSegments.sorted().joined(separator: ", ")): the web page, telemetry and the API "
                    + "definition are there; found \"\(prefix)\"", key: key)
            return fallback
        }
        return trimmed
    }

    private static func telemetryConfiguration(_ section: ConfigReader?) -> TelemetryConfiguration {
        let defaults = TelemetryConfiguration()
        guard let section else { return defaults }
        return TelemetryConfiguration(
            adminRoles: section.strings("admin-roles") ?? defaults.adminRoles,
            requiresAuthentication: section.bool("require-authentication", default: defaults.requiresAuthentication),
            workerStaleAfter: section.duration("worker-stale-after", default: defaults.workerStaleAfter, minimum: .seconds(1))
        )
    }
}

extension PolytopeConfiguration {
    /// A short human summary: collections with their datasources, and users.
    package var summaryLines: [String] {
        let collections = catalog.collections.map { "\($0.name) (\($0.routes.map(\.name).joined(separator: ", ")))" }
        return [
            "  listen: http://\(server.host):\(server.port), data in \(server.dataDirectory)",
            "  collections: \(collections.joined(separator: "; "))",
            "  users: \(authentication.accounts.map(\.user.username).joined(separator: ", "))",
        ]
    }

    /// What is valid but probably not meant: `config check` prints it and `serve` logs it
    /// as warnings.
    package var warnings: [String] {
        var warnings: [String] = []
        if authentication.accounts.allSatisfy(\.disabled), authentication.authOTron == nil, authentication.peers.isEmpty {
            warnings.append(
                "no one can sign in with a password: authentication.users has no enabled user, and neither auth-o-tron nor peers "
                    + "is configured; only API keys made with `polytope keys create --realm ... --roles ...` will be accepted")
        }
        for collection in catalog.collections {
            guard let window = collection.reuseResults, window * 2 > garbageCollector.maximumAge else { continue }
            // A shared request is as old as the result it shares, so it expires with it.
            warnings.append(
                "collections.\(collection.name).reuse-results (\(HumanDuration.format(window))) is more than half of "
                    + "garbage-collector.age (\(HumanDuration.format(garbageCollector.maximumAge))): a result shared near the end of "
                    + "the window expires soon after it is handed out")
        }
        return warnings
    }
}
