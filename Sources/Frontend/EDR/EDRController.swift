import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP
import ServiceLifecycle

/// The OGC API - EDR front: `<prefix>`, `<prefix>/conformance`, `<prefix>/collections`,
/// `<prefix>/collections/<c>` and the data queries `<prefix>/collections/<c>/position|area|
/// cube|trajectory|radius`, over the collections that have a `FeatureDatasource`.
///
/// A query is a feature request (`EDRQuery`) submitted through the same path as
/// `/api/v1/requests` (same store, limits, broker and workers; the job is a request, listed
/// there). The answer waits for it, up to `wait`: 200 with the CoverageJSON, streamed from
/// staging, or 202 with the request's v1 URL to poll.
struct EDRController {
    let requests: RequestsController
    let downloads: DownloadsController
    /// The path prefix, without slashes (`edr`), or empty.
    let prefix: String
    /// How long a query waits for its answer before 202.
    let wait: Duration

    /// Adds the routes; `authentication` guards all but the landing page and conformance.
    func addRoutes(to router: Router<PolytopeRequestContext>, authentication: AuthenticationMiddleware) {
        let root = prefix.isEmpty ? router.group() : router.group(RouterPath(prefix))
        let front = root.group().add(middleware: EDRErrors.middleware)
        front.get("", use: landingPage)
        front.get("conformance") { _, _ in JSONResponse.encode(["conformsTo": EDRDocuments.conformance]) }
        let authenticated = front.group().add(middleware: authentication.askingForPrivateToken())
        authenticated.get("collections", use: listCollections)
        authenticated.get("collections/:collection", use: describeCollection)
        for kind in EDRQuery.Kind.allCases {
            authenticated.get("collections/:collection/\(kind.rawValue)") { request, context in
                try await query(kind, request: request, context: context)
            }
        }
        authenticated.get("collections/:collection/corridor") { _, _ -> Response in
            let offered = EDRQuery.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw PolytopeError.invalidRequest(
                "Corridor queries are not supported; a trajectory query with within= gives the grid points along a path (queries: \(offered)).")
        }
    }

    /// `<base><prefix>`.
    func baseURL(for request: Request) -> String {
        requests.urls.base(for: request) + (prefix.isEmpty ? "" : "/\(prefix)")
    }

    // MARK: Metadata

    @Sendable func landingPage(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        JSONResponse.encode(EDRDocuments.landingPage(base: baseURL(for: request), openAPI: requests.urls.base(for: request) + "/openapi.yaml"))
    }

    @Sendable func listCollections(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let base = baseURL(for: request)
        var collections: [JSONValue] = []
        for name in requests.catalog.names(visibleTo: user) {
            guard let collection = requests.catalog[name], let datasource = featureDatasource(of: collection, for: user) else { continue }
            collections.append(EDRDocuments.collection(name, catalog: try await datasource.featureCatalog(), base: base))
        }
        let links: [JSONValue] = [ProcessJob.link("\(base)/collections", rel: "self")]
        return JSONResponse.encode(JSONValue.object(["collections": .array(collections), "links": .array(links)]))
    }

    @Sendable func describeCollection(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (collection, datasource) = try featureCollection(try context.parameters.require("collection"), for: user)
        return JSONResponse.encode(
            EDRDocuments.collection(collection.name, catalog: try await datasource.featureCatalog(), base: baseURL(for: request)))
    }

    /// The first feature datasource of `collection` that `user` may use.
    private func featureDatasource(of collection: CollectionDefinition, for user: User) -> (any FeatureDatasource)? {
        for route in collection.routes where route.access.admits(user) {
            if let datasource = route.datasource as? any FeatureDatasource { return datasource }
        }
        return nil
    }

    /// The collection `name` with its feature datasource; 404 (naming those there are) when
    /// `user` may not use it or it has none.
    private func featureCollection(_ name: String, for user: User) throws -> (CollectionDefinition, any FeatureDatasource) {
        if let collection = requests.catalog[name], collection.admits(user), let datasource = featureDatasource(of: collection, for: user) {
            return (collection, datasource)
        }
        let available = requests.catalog.names(visibleTo: user).filter { name in
            requests.catalog[name].flatMap { featureDatasource(of: $0, for: user) } != nil
        }
        throw PolytopeError.notFound(
            "Collection '\(name.prefix(128))' not found, or it does not extract features; "
                + "collections with features: \(available.isEmpty ? "none" : available.joined(separator: ", ")).")
    }

    // MARK: Queries

    /// Submits the query's feature request and answers it when it is done within `wait`.
    func query(_ kind: EDRQuery.Kind, request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (collection, _) = try featureCollection(try context.parameters.require("collection"), for: user)
        let query: EDRQuery
        do {
            query = try EDRQuery(kind: kind, parameters: Self.parameters(of: request.uri.query))
        } catch {
            throw PolytopeError.invalidRequest("Bad \(kind.rawValue) query: \(error.message).")
        }
        let configuration = requests.configuration
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(query.request), as: UTF8.self)
        let document = try RequestTextParser(limits: configuration.requestLimits).document(from: query.request)
        // Only datasources that extract features: another's reason ("key 'feature' must not be
        // given", from a grib-archive beside them) would answer a question the user never asked.
        var record = try await requests.accept(
            verb: .retrieve, text: text, document: document, into: collection, by: user,
            considering: { $0.datasource is any FeatureDatasource }, logger: context.logger)
        context.logger.info(
            "EDR query accepted",
            metadata: ["request-id": "\(record.id)", "collection": "\(collection.name)", "query": "\(kind.rawValue)"])
        record = try await awaitOutcome(of: record, channel: context.channel)
        switch record.status {
        case .processed:
            var response = try await downloads.serve(record, request: request, context: context)
            response.headers[.contentDisposition] = "inline; filename=\"\(record.id)-\(kind.rawValue).covjson\""
            response.headers[.location] = requests.urls.request(record.id, for: request)
            return response
        case .failed:
            return EDRErrors.exception(.badRequest, record.userMessage.isEmpty ? "The query failed." : record.userMessage)
        case .revoked:
            throw PolytopeError.notFound("Request \(record.id), made for this query, was revoked.")
        default:
            let location = requests.urls.request(record.id, for: request)
            let body: JSONValue = .object([
                "id": .string(record.id.description), "status": .string(record.status.rawValue),
                "message": .string("The extraction is still running (\(requests.progressLine(for: record))); poll \(location) for its result."),
                "links": .array([ProcessJob.link(location, rel: "monitor", title: "the request")]),
            ])
            return JSONResponse.encode(body, status: .accepted, headers: [.location: location, .retryAfter: "\(configuration.retryAfterSeconds)"])
        }
    }

    /// The request once processed, failed or revoked, or as it is when `wait` has passed, the
    /// server is stopping or the client on `channel` has gone. Held like a long poll: no reads
    /// while nothing changes.
    private func awaitOutcome(of record: RequestRecord, channel: any Channel) async throws -> RequestRecord {
        guard let heldPolls = requests.heldPolls, wait > .zero else { return record }
        var record = record
        var mark = HeldPolls.Mark.unknown
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: wait)
        while [.waiting, .queued, .processing].contains(record.status), !Task.isShuttingDownGracefully, !ClientDepartures.hasDeparted(channel) {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            await heldPolls.wait(for: record.id, toLeave: record.status, readAfter: mark, timeout: remaining, channel: channel)
            mark = heldPolls.mark()
            guard let fresh = try await requests.store.request(id: record.id) else { break }
            record = fresh
        }
        return record
    }

    /// The parameters of a query string, decoded as HTML forms encode them (`+` is a space).
    static func parameters(of query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // Text that is not valid percent-encoding is kept as it is (and then refused by the query's checks).
            let decode = { (text: Substring) in WebForm.decode(text) ?? String(text) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
