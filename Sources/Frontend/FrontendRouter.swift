import Hummingbird
import Logging
import PolytopeCore

/// What the frontend needs from the rest of the system.
public struct FrontendDependencies: Sendable {
    public var store: any RequestStore
    public var staging: any StagingArea
    public var catalog: CollectionCatalog
    public var authenticators: [any Authenticator]
    /// Signalled after each accepted request, so the broker reacts at once.
    public var requestArrived: WakeSignal
    public var wallClock: any WallClock

    public init(
        store: any RequestStore,
        staging: any StagingArea,
        catalog: CollectionCatalog,
        authenticators: [any Authenticator],
        requestArrived: WakeSignal,
        wallClock: any WallClock = SystemWallClock()
    ) {
        self.store = store
        self.staging = staging
        self.catalog = catalog
        self.authenticators = authenticators
        self.requestArrived = requestArrived
        self.wallClock = wallClock
    }
}

/// Builds routers: the outer one carries the error middleware; the REST API is added with
/// `addAPIRoutes`, and other roles (telemetry) add their own groups.
public enum FrontendRouter {
    /// An empty router whose every route answers errors as JSON and writes an access log.
    public static func makeRouter() -> Router<PolytopeRequestContext> {
        let router = Router(context: PolytopeRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        return router
    }

    /// Adds `/api/v1`: the REST API of polytope-client.
    public static func addAPIRoutes(
        to router: Router<PolytopeRequestContext>,
        dependencies: FrontendDependencies,
        configuration: FrontendConfiguration
    ) {
        let api = router.group("api/v1")
        api.get("test") { _, _ in JSONResponse.message("Polytope server is alive") }
        let authenticated = api.group().add(middleware: AuthenticationMiddleware(authenticators: dependencies.authenticators))
        let requests = RequestsController(
            store: dependencies.store,
            staging: dependencies.staging,
            catalog: dependencies.catalog,
            requestArrived: dependencies.requestArrived,
            wallClock: dependencies.wallClock,
            configuration: configuration,
            urls: PublicURL(configured: configuration.publicURL)
        )
        requests.addRoutes(to: authenticated)
        DownloadsController(requests: requests, staging: dependencies.staging).addRoutes(to: authenticated)
        AccountController(store: dependencies.store, catalog: dependencies.catalog).addRoutes(to: authenticated)
    }
}
