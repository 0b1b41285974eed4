import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP
import Prometheus

/// Settings of the telemetry role.
package struct TelemetryConfiguration: Sendable {
    /// Roles that may see every user's requests under `/telemetry/v1/requests`.
    package var adminRoles: [String]
    /// Whether `summary` and `metrics` need credentials (health and readiness never do).
    package var requiresAuthentication: Bool
    /// Worker pools silent for longer than this are not counted.
    package var workerStaleAfter: Duration

    package init(adminRoles: [String] = ["admin"], requiresAuthentication: Bool = false, workerStaleAfter: Duration = .seconds(30)) {
        self.adminRoles = adminRoles
        self.requiresAuthentication = requiresAuthentication
        self.workerStaleAfter = workerStaleAfter
    }
}

/// `/telemetry/v1`: liveness, readiness, a summary, Prometheus metrics, and (for admins)
/// every user's requests.
///
/// `health` says the process answers; `ready` also checks that the store answers (and has
/// room: a full disk is named) and that staging can be written, so that a load balancer only
/// sends traffic to working instances. `summary` and `metrics` name a collection only to
/// callers allowed to see it (`CollectionVisibility`); for others its figures are only in
/// totals.
package struct TelemetryRoutes: Sendable {
    /// What the telemetry routes read.
    package struct Dependencies: Sendable {
        package var store: any RequestStoreBackend
        package var staging: any StagingArea
        /// The configured collections: who may see each one's figures.
        package var catalog: CollectionCatalog
        /// Authentication of the routes that need it (shared with the frontend, so failed
        /// sign-ins are counted once per process).
        package var authentication: AuthenticationMiddleware
        package var registry: PrometheusCollectorRegistry
        package var metrics: PolytopeMetrics
        package var roles: [String]
        package var wallClock: any WallClock
        /// The broker's `max-active`, to explain waits it causes.
        package var maximumActive: Int?

        package init(
            store: any RequestStoreBackend, staging: any StagingArea, catalog: CollectionCatalog, authentication: AuthenticationMiddleware,
            registry: PrometheusCollectorRegistry, metrics: PolytopeMetrics, roles: [String], wallClock: any WallClock = SystemWallClock(),
            maximumActive: Int? = nil
        ) {
            self.maximumActive = maximumActive
            self.store = store
            self.staging = staging
            self.catalog = catalog
            self.authentication = authentication
            self.registry = registry
            self.metrics = metrics
            self.roles = roles
            self.wallClock = wallClock
        }
    }

    let dependencies: Dependencies
    let configuration: TelemetryConfiguration
    /// The store's statistics, which `summary` and `metrics` show to anyone: counted at most
    /// every 250 ms (longer on a store where counting is slow).
    let statistics: ThrottledReading<RequestStatistics>
    /// Whether staging takes writes, which `ready` tells anyone: a probe object written and
    /// deleted (two requests on S3), so a success is reused for a second. A failure is not:
    /// the next caller probes again.
    let stagingWritable: ThrottledReading<Void>

    package init(dependencies: Dependencies, configuration: TelemetryConfiguration) {
        self.dependencies = dependencies
        self.configuration = configuration
        let store = dependencies.store
        self.statistics = ThrottledReading { try await store.statistics() }
        let staging = dependencies.staging
        self.stagingWritable = ThrottledReading(minimumInterval: .seconds(1)) { try await staging.checkWritable() }
    }

    package func addRoutes(to router: Router<PolytopeRequestContext>) {
        let open = router.group("telemetry/v1")
        open.get("health") { _, _ in
            JSONResponse.encode(["status": "ok", "message": "Polytope is alive", "roles": dependencies.roles.joined(separator: ",")])
        }
        open.get("ready") { _, context in try await ready(logger: context.logger) }

        let authenticated = router.group("telemetry/v1").add(middleware: dependencies.authentication)
        let optionallyAuthenticated = router.group("telemetry/v1").add(
            middleware: OptionalAuthentication(authentication: dependencies.authentication))
        let overview = configuration.requiresAuthentication ? authenticated : optionallyAuthenticated
        overview.get("summary") { _, context in try await summary(visibility: visibility(for: context)) }
        overview.get("metrics") { _, context in try await metricsText(visibility: visibility(for: context)) }
        authenticated.get("requests") { request, context in try await requests(request, context: context) }
        authenticated.get("requests/:id") { _, context in try await request(context: context) }
    }

    // MARK: Health

    private func ready(logger: Logger) async throws -> Response {
        var checks: [String: String] = [:]
        var healthy = true
        do {
            try await dependencies.store.checkHealth()
            checks["request-store"] = "ok"
        } catch let error as PolytopeError where error.cause is DiskFull {
            healthy = false
            checks["request-store"] = "disk full"
            checks["message"] = error.message
            logger.error("readiness: the request store's disk is full", metadata: ["error": "\(error)"])
        } catch {
            healthy = false
            checks["request-store"] = "unreachable"
            logger.error("readiness: request store check failed", metadata: ["error": "\(error)"])
        }
        do {
            try await stagingWritable.value()
            checks["staging"] = "ok"
        } catch {
            healthy = false
            checks["staging"] = "not writable"
            logger.error("readiness: staging check failed", metadata: ["error": "\(error)"])
        }
        checks["status"] = healthy ? "ready" : "not ready"
        return JSONResponse.encode(checks, status: healthy ? .ok : .serviceUnavailable)
    }

    // MARK: Summary and metrics

    struct Summary: Encodable {
        var requestsByStatus: [String: Int]
        var requestsByCollection: [String: [String: Int]]
        var queueDepth: Int
        var oldestWaitingSeconds: Double?
        var workers: Workers
    }

    struct Workers: Encodable {
        var slots: Int
        var busy: Int
        var idle: Int
        /// Each pool by name (`host:pid:random`), for administrators only; nil (left out) for others.
        var pools: [WorkerStatus]?
    }

    private func visibility(for context: PolytopeRequestContext) -> CollectionVisibility {
        CollectionVisibility(catalog: dependencies.catalog, adminRoles: configuration.adminRoles, caller: context.user)
    }

    private func summary(visibility: CollectionVisibility) async throws -> Response {
        let statistics = try await statistics.value()
        let now = dependencies.wallClock.now()
        let pools = try await dependencies.store.workers(seenSince: now.addingTimeInterval(-configuration.workerStaleAfter.timeInterval))
        let slots = pools.reduce(0) { $0 + $1.slots }
        let busy = pools.reduce(0) { $0 + $1.busy }
        let byStatus = statistics.byStatus
        let summary = Summary(
            requestsByStatus: byStatus,
            requestsByCollection: statistics.byCollection.filter { visibility.shows($0.key) },
            queueDepth: byStatus["waiting", default: 0] + byStatus["queued", default: 0],
            oldestWaitingSeconds: statistics.oldestWaitingSince.map { now.timeIntervalSince($0) },
            workers: Workers(slots: slots, busy: busy, idle: slots - busy, pools: visibility.isAdministrator ? pools : nil)
        )
        return JSONResponse.encode(summary)
    }

    private func metricsText(visibility: CollectionVisibility) async throws -> Response {
        let collections = dependencies.catalog.collections.map(\.name)
        dependencies.metrics.storeContents(try await statistics.value(), collections: collections)
        let text = MetricsTextFilter.filter(dependencies.registry.emitToString(), shows: visibility.shows)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    // MARK: Requests, for admins

    private func requireAdmin(_ context: PolytopeRequestContext) throws {
        let user = try context.requireUser()
        guard user.hasAnyRole(configuration.adminRoles) else {
            throw PolytopeError.forbidden(
                "Every user's requests are shown to administrators only (roles: \(configuration.adminRoles.joined(separator: ", ")))."
            )
        }
    }

    private func requests(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        try requireAdmin(context)
        var query = RequestQuery()
        if let status = request.uri.queryParameters.get("status") {
            guard let parsed = RequestStatus(rawValue: status), parsed != .revoked else {
                throw PolytopeError.invalidRequest("Unknown status '\(status.prefix(32))'; use waiting, queued, processing, processed or failed.")
            }
            query.status = parsed
        }
        query.username = request.uri.queryParameters.get("user")
        query.collection = request.uri.queryParameters.get("collection")
        let pagination = try ListPagination(limit: request.uri.queryParameters.get("limit"), after: request.uri.queryParameters.get("after"))
        let (store, filter) = (dependencies.store, query)
        let standing = QueueStanding(
            store: store, catalog: dependencies.catalog, maximumActive: dependencies.maximumActive, wallClock: dependencies.wallClock)
        let waits = WaitingListExplainer(standing: standing, oneUser: false)
        let list = PagedJSONList<AdminRequestView, RequestListCursor>(token: \.token) { after, limit in
            var page = filter
            page.after = after
            page.limit = limit
            let found = try await store.requests(matching: page)
            let explanations = try await waits.explain(found.records)
            return (found.records.map { AdminRequestView($0, waiting: explanations[$0.id]) }, found.next)
        }
        return try await list.response(after: pagination.after, limit: pagination.limit ?? query.limit)
    }

    private func request(context: PolytopeRequestContext) async throws -> Response {
        try requireAdmin(context)
        let name = try context.parameters.require("id")
        guard let id = RequestIdentifier(name), let record = try await dependencies.store.request(id: id), record.status != .revoked else {
            throw PolytopeError.notFound("Request \(name.prefix(64)) not found.")
        }
        return JSONResponse.encode(["message": AdminRequestView(record)])
    }
}

/// A request as operators see it: its owner, where it is, and its whole history.
struct AdminRequestView: Encodable, Sendable {
    struct Change: Encodable, Sendable {
        var status: String
        var at: String
    }

    var id: String
    var user: String
    var status: String
    var verb: String
    var collection: String
    var datasource: String
    var attempts: Int
    var userMessage: String
    var request: String
    /// The request as the datasource runs it (normalised, defaults and patch applied), in MARS form.
    var normalised: String
    var createdAt: String
    var updatedAt: String
    var worker: String?
    var contentLength: Int64?
    var contentType: String?
    var history: [Change]
    /// Why a waiting request waits (as its owner sees it in polls).
    var queue: JSONValue?
    var waitingReason: String?

    init(_ record: RequestRecord, waiting: WaitingExplanation? = nil) {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        id = record.id.description
        user = record.user.owner
        status = record.status.rawValue
        verb = record.verb.rawValue
        collection = record.collection
        datasource = record.datasource
        attempts = record.attempts
        userMessage = record.userMessage
        request = record.requestText
        normalised = record.normalisedRequest.marsText
        createdAt = record.createdAt.formatted(format)
        updatedAt = record.updatedAt.formatted(format)
        worker = record.lease?.owner
        contentLength = record.result?.contentLength
        contentType = record.result?.contentType
        history = record.statusHistory.map { Change(status: $0.status.rawValue, at: $0.at.formatted(format)) }
        queue = waiting?.fields
        waitingReason = waiting?.message
    }
}
