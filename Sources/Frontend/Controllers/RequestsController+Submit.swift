import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

extension RequestsController {
    /// `POST /api/v1/requests/<collection>`: checks, records and answers a submission; with an
    /// `Idempotency-Key`, a repeat gives back the first request; in a collection with
    /// `reuse-results`, an identical retrieval is answered from an earlier staged result.
    @Sendable func submit(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let name = try context.parameters.require("name")
        let collection = try usableCollection(name, by: user)
        // Admission (max-waiting-per-user) is checked before the body is read, unless the
        // submission may be answered without adding a waiting request: a retry with the
        // Idempotency-Key of an accepted submission, or a retrieval that an earlier staged
        // result answers (`reuse-results`). The store's `record` admits those, in the step that
        // finds them new.
        let admitsLater = request.headers[.idempotencyKey] != nil || collection.reuseResults != nil
        if !admitsLater { try await standing.admit(user, collection: collection, retryAfter: configuration.retryAfterSeconds) }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maximumBodySize {
            throw tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        }
        let body = try SubmissionBody(json: buffer, parser: RequestTextParser(limits: configuration.requestLimits))
        let idempotencyKey = try IdempotentSubmit.key(request.headers, collection: name, body: buffer)
        if let idempotencyKey {
            // A repeat is answered before the body is checked again, so that it gets its first
            // answer (or 422 for another body) whatever has changed since.
            let since = IdempotencyKey.oldestCounted(at: wallClock.now())
            if let earlier = try await store.idempotentSubmission(username: user.owner, key: idempotencyKey.key, since: since) {
                return try await replay(earlier, key: idempotencyKey, request: request, context: context)
            }
        }
        if body.verb == .archive && !body.sourceURL.isEmpty && !configuration.allowsArchiveSource(body.sourceURL) {
            let allowed = configuration.archiveSources.isEmpty ? "none" : configuration.archiveSources.joined(separator: ", ")
            throw PolytopeError.invalidRequest(
                "This server fetches archive data only from URLs starting with: \(allowed) (server.archive-sources); "
                    + "upload the data instead (\"url\": \"\", as polytope archive does with a local file).")
        }
        // An archive request waits for its data (`POST /api/v1/uploads/<id>`) before the broker sees it.
        // With a `url`, a worker fetches the data itself.
        let status: RequestStatus = body.verb == .archive && body.sourceURL.isEmpty ? .uploading : .waiting
        let record = try newRecord(
            verb: body.verb, text: body.text, document: body.document, in: collection, by: user, status: status,
            sourceURL: body.verb == .archive && !body.sourceURL.isEmpty ? body.sourceURL : nil)
        let (id, selectedDatasource) = (record.id, record.datasource)
        switch try await recordSubmission(record, in: collection, idempotencyKey: idempotencyKey, logger: context.logger) {
        case .reused(let reused):
            return JSONResponse.encode(
                ["id": reused.id.description, "status": reused.status.rawValue, "message": reused.userMessage],
                status: .accepted,
                headers: [.location: urls.request(reused.id, for: request), .retryAfter: "0"]
            )
        case .repeated(let earlier):
            guard let idempotencyKey else { throw PolytopeError(.internalError, "the store took a submission without a key for a repeat") }
            return try await replay(earlier, key: idempotencyKey, request: request, context: context)
        case .recorded:
            break
        }
        InjectedFault.crashAfterSubmitCommit.strikeIfArmed()
        metrics.requestSubmitted(collection: name, datasource: selectedDatasource)
        if status == .uploading {
            let upload = urls.upload(id, for: request)
            context.logger.info("archive request accepted; waiting for its data", metadata: ["request-id": "\(id)", "collection": "\(name)"])
            return JSONResponse.encode(
                ["id": id.description, "status": status.rawValue, "message": "Request \(id) accepted; upload the data to \(upload)."],
                status: .accepted,
                headers: [.location: upload, .retryAfter: "\(configuration.retryAfterSeconds)"]
            )
        }
        dispatchNeeded.signal()
        context.logger.info(
            "request accepted",
            metadata: ["request-id": "\(id)", "collection": "\(name)", "datasource": "\(selectedDatasource)"]
        )
        let location = urls.request(id, for: request)
        return JSONResponse.encode(
            ["id": id.description, "status": RequestStatus.waiting.rawValue, "message": "Request \(id) accepted; poll \(location) for its status."],
            status: .accepted,
            headers: [.location: location, .retryAfter: "\(configuration.retryAfterSeconds)"]
        )
    }

    /// What became of a submission the store was asked to record.
    private enum Recorded {
        /// Recorded as submitted: it will run.
        case recorded
        /// Recorded as processed with an earlier identical request's staged result.
        case reused(RequestRecord)
        /// Not recorded: the user's earlier submission under the same Idempotency-Key.
        case repeated(IdempotentSubmission)
    }

    /// Records `record` in one store step with its checks: its Idempotency-Key, the
    /// collection's `reuse-results` (a retrieval identical to one whose result is still
    /// staged and young enough is recorded as processed with that result), then the
    /// collection's `max-waiting-per-user`.
    /// - Throws: the 429 of the waiting limit.
    private func recordSubmission(_ record: RequestRecord, in collection: CollectionDefinition, idempotencyKey: IdempotencyKey? = nil, logger: Logger)
        async throws -> Recorded
    {
        let reuse = ResultReuse(of: record, window: collection.reuseResults, datasource: collection.route(named: record.datasource)?.datasource)
        let maximum = collection.limits.maximumWaitingPerUser
        let submission = NewSubmission(record, idempotencyKey: idempotencyKey, reuse: reuse, admittingUpTo: maximum)
        switch try await store.record(submission) {
        case .recorded:
            return .recorded
        case .repeated(let earlier):
            return .repeated(earlier)
        case .refused:
            throw QueueStanding.waitingLimitRefusal(
                maximum: maximum ?? 0, collection: collection.name, retryAfter: configuration.retryAfterSeconds)
        case .reused(let source):
            metrics.requestSubmitted(collection: record.collection, datasource: record.datasource)
            metrics.resultReused(collection: record.collection, datasource: record.datasource)
            logger.info(
                "request answered from an earlier identical request's result",
                metadata: ["request-id": "\(record.id)", "reused-from": "\(source)", "collection": "\(record.collection)"])
            return .reused(try await store.request(id: record.id) ?? reuse?.answered ?? record)
        }
    }

    /// The answer to a submission whose Idempotency-Key gave `earlier`: that request's id
    /// and status, as when it was accepted (202, to be polled), or 422 for a different body.
    private func replay(_ earlier: IdempotentSubmission, key: IdempotencyKey, request: Request, context: PolytopeRequestContext) async throws
        -> Response
    {
        try IdempotentSubmit.checkSameSubmission(earlier, key)
        guard let record = try await store.request(id: earlier.id), record.status != .revoked else {
            throw PolytopeError(.conflict, "Request \(earlier.id), submitted with this Idempotency-Key, was revoked; use a new key.")
        }
        metrics.idempotentReplay(collection: record.collection)
        context.logger.info("submission repeated with its Idempotency-Key; answered with the first request", metadata: ["request-id": "\(record.id)"])
        let location = record.status == .uploading ? urls.upload(record.id, for: request) : urls.request(record.id, for: request)
        return JSONResponse.encode(
            [
                "id": record.id.description, "status": record.status.rawValue,
                "message": "Request \(record.id) accepted; poll \(location) for its status.",
            ],
            status: .accepted,
            headers: [.location: location, .retryAfter: "\(configuration.retryAfterSeconds)", .idempotentReplayed: "true"]
        )
    }

    /// The collection `name` if `user` may submit to it; 404 naming the collections they may
    /// use, or 403.
    func usableCollection(_ name: String, by user: User) throws -> CollectionDefinition {
        guard let collection = catalog[name] else {
            throw PolytopeError.notFound(
                "Collection '\(name.prefix(128))' not found; available collections: \(catalog.names(visibleTo: user).joined(separator: ", ")).")
        }
        guard collection.admits(user) else {
            throw PolytopeError.forbidden(
                "You are not allowed to use collection '\(name)'; it requires \(collection.access).")
        }
        return collection
    }

    /// A new request with the datasource the collection selects for it (not stored yet).
    /// - Throws: `PolytopeError.invalidRequest` when no datasource of the collection accepts it.
    func newRecord(
        verb: Verb, text: String, document: RequestDocument, in collection: CollectionDefinition, by user: User,
        status: RequestStatus = .waiting, sourceURL: String? = nil, considering considered: (DatasourceRoute) -> Bool = { _ in true }
    ) throws -> RequestRecord {
        let id = RequestIdentifier()
        let offered = DatasourceRequest(id: id, user: user, verb: verb, collection: collection.name, text: text, document: document)
        let selection = try collection.select(offered, considering: considered)
        var record = RequestRecord(
            id: id, user: user, verb: verb, collection: collection.name, datasource: selection.route.name, status: status,
            requestText: text, normalisedRequest: selection.document, createdAt: wallClock.now()
        )
        record.sourceURL = sourceURL
        return record
    }

    /// Selects a datasource for the request, stores it with `status` and wakes the broker for a
    /// waiting one (what the web page, the CDS and the EDR fronts share with this one). A
    /// retrieval that an earlier staged result answers (the collection's `reuse-results`) is
    /// stored as processed with it, whatever the user's waiting limit; any other is admitted as
    /// it is stored (`max-waiting-per-user`: 429).
    /// - Throws: `PolytopeError.invalidRequest` when no datasource of the collection accepts it.
    func accept(
        verb: Verb, text: String, document: RequestDocument, into collection: CollectionDefinition, by user: User,
        status: RequestStatus = .waiting, sourceURL: String? = nil, considering considered: (DatasourceRoute) -> Bool = { _ in true },
        logger: Logger
    ) async throws -> RequestRecord {
        let record = try newRecord(
            verb: verb, text: text, document: document, in: collection, by: user, status: status, sourceURL: sourceURL, considering: considered)
        switch try await recordSubmission(record, in: collection, logger: logger) {
        case .reused(let reused): return reused
        case .recorded, .repeated: break
        }
        metrics.requestSubmitted(collection: collection.name, datasource: record.datasource)
        if status == .waiting { dispatchNeeded.signal() }
        return record
    }

    func tooLarge() -> PolytopeError {
        PolytopeError(.tooLarge, "The request body is larger than the limit of \(configuration.maximumBodySize) bytes.")
    }
}
