import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// What the frontend needs from the rest of the system.
package struct FrontendDependencies: Sendable {
    package var store: any FrontendStore
    package var staging: any StagingArea
    /// Set when a processed request's poll redirects straight to staging (presigned URLs)
    /// rather than to `/api/v1/downloads`.
    package var directDownloads: (any DirectDownloadStaging)?
    package var catalog: CollectionCatalog
    /// Authentication of every `/api/v1` route but `test` (shared with telemetry).
    package var authentication: AuthenticationMiddleware
    /// Issues API keys; nil when API keys are turned off.
    package var keyIssuer: (any APIKeyIssuing)?
    /// Issues and checks the web page's session keys (accepting no other key); nil: no web page.
    package var webSessionKeys: (any APIKeyIssuing & Authenticator)?
    /// Signalled after each accepted request, so the broker reacts at once.
    package var dispatchNeeded: WakeSignal
    /// Holds long polls until their request changes; nil: polls are never held.
    package var heldPolls: HeldPolls?
    package var wallClock: any WallClock
    package var metrics: PolytopeMetrics
    /// What the web page reads beyond the frontend's slice of the store (a user's newest
    /// requests, the system view); nil: no web page.
    package var overview: (any TelemetryStore & WorkerRegistry)?

    package init(
        store: any FrontendStore,
        staging: any StagingArea,
        directDownloads: (any DirectDownloadStaging)? = nil,
        catalog: CollectionCatalog,
        authentication: AuthenticationMiddleware,
        keyIssuer: (any APIKeyIssuing)? = nil,
        webSessionKeys: (any APIKeyIssuing & Authenticator)? = nil,
        dispatchNeeded: WakeSignal,
        heldPolls: HeldPolls? = nil,
        wallClock: any WallClock = SystemWallClock(),
        metrics: PolytopeMetrics = PolytopeMetrics(),
        overview: (any TelemetryStore & WorkerRegistry)? = nil
    ) {
        self.overview = overview
        self.store = store
        self.staging = staging
        self.directDownloads = directDownloads
        self.catalog = catalog
        self.authentication = authentication
        self.keyIssuer = keyIssuer
        self.webSessionKeys = webSessionKeys
        self.dispatchNeeded = dispatchNeeded
        self.heldPolls = heldPolls
        self.wallClock = wallClock
        self.metrics = metrics
    }
}

/// Adds the REST API of polytope-client, the CDS / OGC API - Processes front, the OGC API -
/// EDR front and the web page to a router made by `HTTPRouting.makeRouter`.
package enum FrontendRouter {
    /// The paths below which a request no route took is answered as a front answers its
    /// errors (for `ErrorMiddleware`): the Processes front's, the EDR front's unless it is at
    /// the root, and the web page's.
    package static func frontErrors(configuration: FrontendConfiguration) -> [FrontErrors] {
        var fronts: [FrontErrors] = []
        if let prefix = configuration.processesPrefix {
            fronts += ProcessesErrors.frontPaths(prefix: prefix).map { FrontErrors(prefix: $0, document: ProcessesErrors.middleware.document) }
        }
        if let prefix = configuration.edrPrefix, !prefix.isEmpty {
            fronts.append(FrontErrors(prefix: "/\(prefix)/", document: EDRErrors.middleware.document))
        }
        if configuration.webPage {
            let pages = WebPages(paths: WebPaths(publicURL: configuration.publicURL))
            fronts.append(FrontErrors(prefix: "/ui/") { status, message, headers in WebPageMiddleware.problemPage(pages, status, message, headers) })
        }
        return fronts
    }

    /// Adds `/api/v1`: the REST API of polytope-client.
    package static func addAPIRoutes(
        to router: Router<PolytopeRequestContext>,
        dependencies: FrontendDependencies,
        configuration: FrontendConfiguration
    ) {
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
        let api = router.group("api/v1")
        api.get("test") { _, _ in JSONResponse.message("Polytope server is alive") }
        let authenticated = api.group().add(middleware: dependencies.authentication)
        let requests = RequestsController(
            store: dependencies.store,
            staging: dependencies.staging,
            directDownloads: dependencies.directDownloads,
            catalog: dependencies.catalog,
            dispatchNeeded: dependencies.dispatchNeeded,
            heldPolls: dependencies.heldPolls,
            wallClock: dependencies.wallClock,
            metrics: dependencies.metrics,
            configuration: configuration,
            urls: PublicURL(configured: configuration.publicURL, signer: configuration.downloadLinks, wallClock: dependencies.wallClock),
            standing: QueueStanding(
                store: dependencies.store, catalog: dependencies.catalog, maximumActive: configuration.maximumActive,
                wallClock: dependencies.wallClock)
        )
        requests.addRoutes(to: authenticated)
        let downloads = api.group().add(
            middleware: DownloadAccessMiddleware(
                authentication: dependencies.authentication, signer: configuration.downloadLinks, wallClock: dependencies.wallClock))
        let downloadsController = DownloadsController(requests: requests, staging: dependencies.staging, metrics: dependencies.metrics)
        downloadsController.addRoutes(to: downloads)
        UploadsController(
            requests: requests, store: dependencies.store, staging: dependencies.staging, dispatchNeeded: dependencies.dispatchNeeded,
            wallClock: dependencies.wallClock, configuration: configuration
        ).addRoutes(to: authenticated)
        AccountController(store: dependencies.store, catalog: dependencies.catalog).addRoutes(to: authenticated)
        if let prefix = configuration.processesPrefix {
            ProcessesController(requests: requests, prefix: prefix, newestFirst: dependencies.overview)
                .addRoutes(to: router, authentication: dependencies.authentication)
        }
        if let prefix = configuration.edrPrefix {
            EDRController(requests: requests, downloads: downloadsController, prefix: prefix, wait: configuration.edrWait)
                .addRoutes(to: router, authentication: dependencies.authentication)
        }
        if let issuer = dependencies.keyIssuer {
            AuthKeysController(issuer: issuer).addRoutes(to: authenticated)
        }
        if configuration.webPage, let overview = dependencies.overview, let sessionKeys = dependencies.webSessionKeys {
            let system = SystemOverview(
                store: dependencies.store, overview: overview, staging: dependencies.staging, catalog: dependencies.catalog,
                maximumActive: configuration.maximumActive, wallClock: dependencies.wallClock)
            let sessions = WebSessions(
                authentication: dependencies.authentication, sessionKeys: sessionKeys, lifetime: configuration.webSessionLifetime,
                paths: WebPaths(publicURL: configuration.publicURL))
            WebController(requests: requests, sessions: sessions, overview: overview, system: system, adminRoles: configuration.adminRoles)
                .addRoutes(to: router)
        }
    }
}
