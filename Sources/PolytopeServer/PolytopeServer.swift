import Authentication
import Broker
import Foundation
import Frontend
import GarbageCollector
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import OutboundHTTP
import PolytopeCore
import PolytopeHTTP
import Prometheus
import RequestStoreSQLite
import ServiceLifecycle
import StagingFilesystem
import Telemetry
import UnixSignals
import Worker

/// The composition root: turns a configuration and a set of roles into one `ServiceGroup`.
///
/// Every role shares one request store and one staging area per process; roles in
/// different processes share them through the SQLite file and the staging directory. The
/// group is ordered so that shutdown runs backwards: the HTTP server stops accepting first,
/// then workers drain, then the broker and garbage collector stop.
package struct PolytopeServer: Sendable {
    package let configuration: PolytopeConfiguration
    package let roles: Set<Role>
    package let store: any RequestStoreBackend
    package let staging: any StagingArea
    /// The staging area again when polls redirect straight to it (presigned S3 URLs).
    let directDownloads: (any DirectDownloadStaging)?
    /// Services the backends need (PostgreSQL's pool and notification listener); they run first.
    let backendServices: [any Service]
    let logger: Logger
    /// Signalled by the frontend when a request arrives; wakes the broker.
    let dispatchNeeded = WakeSignal()
    /// Signalled by the broker when requests are queued; wakes workers.
    let workQueued = WakeSignal()
    /// Signalled by the store when requests change status (any process); wakes held polls.
    let requestsChanged = WakeSignal()
    /// Long polls of the frontend role.
    let heldPolls: HeldPolls
    /// This process's metrics, exposed at `/telemetry/v1/metrics`.
    package let metricsRegistry = PrometheusCollectorRegistry()
    let metrics: PolytopeMetrics

    /// Authenticators in the order they are tried: configured users, API keys, Auth-o-tron.
    let authenticators: [any Authenticator]
    let keyIssuer: APIKeyAuthenticator?
    /// The web page's session keys, which the API does not accept while API keys are off.
    let webSessionKeys: APIKeyAuthenticator
    /// Threads of their own for password hashing (a service, stopped at exit).
    let passwordHashing: PasswordHashingPool
    /// Authentication of every guarded route, with this process's failed-sign-in limiter.
    let authentication: AuthenticationMiddleware

    /// Opens the store (migrating its schema) and the staging area, and loads the
    /// authentication providers.
    package init(configuration: PolytopeConfiguration, roles: Set<Role>, logger: Logger) async throws {
        var configuration = configuration
        if !InjectedFault.armed.isEmpty {
            logger.warning(
                "faults are injected (POLYTOPE_INJECT_FAULTS): this process will crash on purpose; for tests only",
                metadata: ["faults": "\(InjectedFault.armed.map(\.rawValue).sorted())"])
        }
        if roles.contains(.frontend) {
            configuration.frontend.downloadLinks = try configuration.downloadLinks.makeSigner(dataDirectory: configuration.server.dataDirectory)
            if configuration.downloadLinks.enabled, configuration.downloadLinks.secret == nil, case .postgres = configuration.store {
                logger.warning(
                    "download links are signed with a secret of this host only (data-dir/download-links.secret); set server.download-links.secret, the same on every frontend, so that a link works on all of them"
                )
            }
        }
        self.configuration = configuration
        self.roles = roles
        self.logger = logger
        let pollListeners = StatusListeners()
        let metrics = PolytopeMetrics(factory: Self.metricsFactory(registry: metricsRegistry))
        self.metrics = metrics
        let (store, backendServices) = try configuration.store.makeStore(
            dispatchNeeded: dispatchNeeded, workQueued: workQueued, requestsChanged: requestsChanged,
            watchInterest: .init(always: roles.contains(.broker) || roles.contains(.worker), statusListeners: pollListeners),
            metrics: metrics, logger: logger
        )
        self.store = store
        self.heldPolls = HeldPolls(store: store, requestsChanged: requestsChanged, listeners: pollListeners, logger: logger)
        self.backendServices = backendServices
        (self.staging, self.directDownloads) = try configuration.staging.makeStaging(http: configuration.httpClient)

        let settings = configuration.authentication
        var authenticators: [any Authenticator] = []
        passwordHashing = PasswordHashingPool(configuration: settings.passwordHashing, metrics: metrics)
        if !settings.accounts.isEmpty { authenticators.append(PlainUserAuthenticator(accounts: settings.accounts, hashing: passwordHashing)) }
        keyIssuer = settings.apiKeys.map { APIKeyAuthenticator(store: store, directory: settings.directory, configuration: $0) }
        if let keyIssuer { authenticators.append(keyIssuer) }
        webSessionKeys = APIKeyAuthenticator(
            store: store, directory: settings.directory, configuration: settings.apiKeys ?? .init(),
            acceptingOnlyWebSessions: true)
        if !settings.peers.isEmpty { authenticators.append(PeerAuthenticator(peers: settings.peers, directory: settings.directory)) }
        if let authOTron = settings.authOTron {
            authenticators.append(
                try await AuthOTronAuthenticator(configuration: authOTron, httpClient: configuration.httpClient.client, logger: logger))
        }
        self.authenticators = authenticators
        authentication = AuthenticationMiddleware(
            authenticators: authenticators, throttle: LoginThrottle(policy: settings.failedLogins), metrics: metrics)
        for user in settings.plainTextUsers {
            logger.warning(
                "user has a plain-text password in the configuration; use password-hash outside local demos", metadata: ["user": "\(user)"])
        }
    }

    /// Prometheus with histogram buckets suited to each duration we measure.
    static func metricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let seconds: [Double] = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600]
        factory.durationHistogramBuckets = [
            "polytope_queue_wait_seconds": seconds.map { .milliseconds(Int64($0 * 1000)) },
            "polytope_processing_seconds": seconds.map { .milliseconds(Int64($0 * 1000)) },
            "polytope_http_request_duration_seconds": [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10].map {
                .microseconds(Int64($0 * 1_000_000))
            },
        ]
        return factory
    }

    /// The services of the configured roles, in start order.
    /// - Parameter onServerRunning: called with the bound port once the HTTP server listens.
    package func makeServices(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        var services = makeBackgroundServices()
        if roles.contains(where: \.servesHTTP) {
            let reportKeys = roles.contains(.frontend) && keyIssuer != nil
            services.append(
                makeApplication { port in
                    if reportKeys { await reportOrphanedKeys() }
                    await onServerRunning(port)
                })
        }
        return services
    }

    /// Logs, once at start, how many valid API keys belong to users no longer configured (or
    /// disabled): they are refused, and `polytope keys list` shows them as orphaned.
    func reportOrphanedKeys() async {
        let directory = configuration.authentication.directory
        do {
            let now = Date()
            let refused = try await store.apiKeys(ofUser: nil).filter { key in
                guard key.isUsable(at: now) else { return false }
                switch directory.standing(of: key.user) {
                case .removed, .disabled: return true
                case .current, .unmanaged: return false
                }
            }
            if !refused.isEmpty {
                logger.warning(
                    "API keys of users who are no longer configured, or are disabled, are refused; see `polytope keys list` (state orphaned or disabled) and revoke them",
                    metadata: ["keys": "\(refused.count)", "users": "\(Set(refused.map(\.user.username)).sorted().joined(separator: ","))"])
            }
        } catch {
            logger.warning("could not count API keys of removed users", metadata: ["error": "\(error)"])
        }
    }

    /// The backends' services and those of the roles that do not answer HTTP (garbage
    /// collector, broker, workers).
    package func makeBackgroundServices() -> [any Service] {
        var services: [any Service] = backendServices + [configuration.httpClient, passwordHashing]
        let clock = ContinuousClock()
        if roles.contains(.garbageCollector) {
            services.append(
                GarbageCollectorService(
                    configuration: configuration.garbageCollector, store: store, staging: staging, clock: clock,
                    metrics: metrics, logger: roleLogger("gc")
                )
            )
        }
        if roles.contains(.frontend) { services.append(heldPolls) }
        if roles.contains(.broker) {
            services.append(
                BrokerService(
                    configuration: configuration.broker, store: store, collections: configuration.catalog.limits,
                    dispatchNeeded: dispatchNeeded, workQueued: workQueued, clock: clock, metrics: metrics, logger: roleLogger("broker")
                )
            )
        }
        if roles.contains(.worker) {
            services.append(
                WorkerPool(
                    configuration: configuration.worker, queue: store, registry: store, staging: staging,
                    archiveSources: HTTPArchiveSourceReader(http: configuration.httpClient), catalog: configuration.catalog,
                    workQueued: workQueued, slotFreed: dispatchNeeded, clock: clock, metrics: metrics, logger: roleLogger("worker")
                )
            )
        }
        return services
    }

    /// The HTTP application of the frontend and telemetry roles.
    package func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = makeRouter()
        let logger = roleLogger("http")
        let server = configuration.server
        let headerLimit = server.maximumHeaderSize
        let headerFields = 200
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let maximumConnections = server.maximumConnections ?? ConnectionLimits.Policy.fitting(descriptorLimit: descriptors)
        if let configured = server.maximumConnections, configured > ConnectionLimits.Policy.fitting(descriptorLimit: descriptors) {
            logger.warning(
                "server.max-connections is high for this process's descriptor limit; connections may exhaust it",
                metadata: ["max-connections": "\(configured)", "descriptor-limit": "\(descriptors)"])
        }
        let limits = ConnectionLimits(
            policy: .init(maximumConnections: maximumConnections, maximumPerAddress: server.maximumConnectionsPerAddress), logger: logger)
        let guardPolicy = HTTP1ConnectionGuard.Policy(
            minimumBodyRate: server.minimumBodyRate, bodyRateWindow: server.bodyRateWindow, maximumHeaderSize: headerLimit,
            maximumHeaderFields: headerFields)
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                limits.perAddressHandler(), HTTP1ConnectionGuard.Installer(policy: guardPolicy), FileRegionSender.Installer(),
            ],
            idleTimeout: .nanoseconds(server.idleTimeout.nanoseconds),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: headerLimit, maxHeaderListSize: headerLimit, maxHeaderFieldCount: headerFields)
        )
        logger.info(
            "connection limits", metadata: ["max-connections": "\(maximumConnections)", "per-address": "\(server.maximumConnectionsPerAddress)"])
        return Application(
            responder: router.buildHeadAnsweringResponder(),
            server: .http1(configuration: http),
            configuration: .init(
                address: .hostname(server.host, port: server.port), serverName: "polytope", availableConnectionsDelegate: limits.acceptDelegate),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? configuration.server.port)
            },
            logger: logger
        )
    }

    /// The router with the routes of the configured roles (used directly by HTTP tests).
    package func makeRouter() -> Router<PolytopeRequestContext> {
        let routeMethods = RouteMethods()
        let router = HTTPRouting.makeRouter(
            metrics: metrics, routeMethods: routeMethods,
            fronts: roles.contains(.frontend) ? FrontendRouter.frontErrors(configuration: configuration.frontend) : [])
        if roles.contains(.frontend) {
            let dependencies = FrontendDependencies(
                store: store,
                staging: staging,
                directDownloads: directDownloads,
                catalog: configuration.catalog,
                authentication: authentication,
                keyIssuer: keyIssuer,
                webSessionKeys: webSessionKeys,
                dispatchNeeded: dispatchNeeded,
                heldPolls: heldPolls,
                metrics: metrics,
                overview: store
            )
            FrontendRouter.addAPIRoutes(to: router, dependencies: dependencies, configuration: configuration.frontend)
        }
        if roles.contains(.telemetry) {
            let dependencies = TelemetryRoutes.Dependencies(
                store: store, staging: staging, catalog: configuration.catalog,
                authentication: authentication, registry: metricsRegistry, metrics: metrics, roles: roles.sorted().map(\.rawValue),
                maximumActive: configuration.broker.maximumActive
            )
            TelemetryRoutes(dependencies: dependencies, configuration: configuration.telemetry).addRoutes(to: router)
        }
        HTTPRouting.recordRoutes(of: router, in: routeMethods)
        return router
    }

    /// Runs the configured roles until SIGTERM or SIGINT. A staging area that cannot be
    /// written is reported at once, but does not stop the start: it may come up later.
    package func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await checkListenAddress()
        if !roles.isDisjoint(with: [.frontend, .worker]) {
            do {
                try await staging.checkWritable()
            } catch {
                logger.error(
                    "staging is not writable; results cannot be stored until it is (GET /telemetry/v1/ready reports it)",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        var configuration = ServiceGroupConfiguration(
            services: makeServices(onServerRunning: onServerRunning).map { .init(service: NamedService(service: $0)) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // A bounded stop whatever hangs (a download to a stalled client, a backend that
        // stopped answering): workers get their grace period, then everything a minute more;
        // then tasks are cancelled, and what still runs 15 s later is cut by ending the
        // process (ServiceLifecycle's own limit would crash it, with a backtrace). The store
        // is the source of truth, so nothing accepted is lost either way.
        let drain = self.configuration.worker.shutdownGracePeriod + .seconds(60)
        configuration.maximumGracefulShutdownDuration = drain
        configuration.maximumCancellationDuration = nil
        let group = ServiceGroup(configuration: configuration)
        let logger = logger
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask { try await Self.exit(atShutdownDeadline: drain + Self.cancellationAllowance, logger: logger) }
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Fails before any role starts when the HTTP address cannot be bound (another process
    /// has the port): otherwise workers would register, claim and be cancelled, logging
    /// errors, and leave a registration behind that telemetry counts for a while.
    private func checkListenAddress() async throws {
        let server = configuration.server
        guard roles.contains(where: \.servesHTTP), server.port != 0 else { return }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: server.host, port: server.port).get()
        try await channel.close()
    }

    /// How long tasks may take to end once cancelled at the end of the drain.
    static let cancellationAllowance = Duration.seconds(15)

    /// Once SIGTERM or SIGINT came, ends the process after `deadline` if it has not ended.
    private static func exit(atShutdownDeadline deadline: Duration, logger: Logger) async throws {
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            try await Task.sleep(for: deadline)
            logger.warning(
                "stopping now, at the shutdown deadline (worker.shutdown-grace + 75 s): what was still open, such as downloads to slow clients, was cut; nothing accepted is lost",
                metadata: ["deadline": "\(deadline)"])
            Foundation.exit(0)
        }
    }

    /// A sentence for an operator about why the service stopped with `error`.
    package func explain(_ error: any Error) -> String {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            let address = "\(configuration.server.host):\(configuration.server.port)"
            return "cannot listen on \(address): the address is already in use (is another polytope running? choose another --port)"
        }
        if let error = error as? IOError, error.errnoCode == EACCES {
            return "cannot listen on port \(configuration.server.port): permission denied (ports below 1024 need privileges)"
        }
        if error is SocketAddressError.UnknownHost || error is SocketAddressError {
            return "cannot listen on \(configuration.server.host): not an address of this machine, nor a name that resolves to one "
                + "(server.host, --host)"
        }
        return "\(error)"
    }

    private func roleLogger(_ role: String) -> Logger {
        var logger = logger
        logger[metadataKey: "role"] = "\(role)"
        return logger
    }
}
