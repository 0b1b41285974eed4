import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// `/api/v1/requests`: submit, poll, list and revoke requests.
///
/// Users only ever see their own requests; a request of someone else, an unknown id and a
/// revoked request all answer the same 404.
struct RequestsController {
    let store: any FrontendStore
    let staging: any StagingArea
    let directDownloads: (any DirectDownloadStaging)?
    let catalog: CollectionCatalog
    let dispatchNeeded: WakeSignal
    let heldPolls: HeldPolls?
    let wallClock: any WallClock
    let metrics: PolytopeMetrics
    let configuration: FrontendConfiguration
    let urls: PublicURL
    /// Explains waits and checks `max-waiting-per-user`.
    let standing: QueueStanding

    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.get("requests", use: list)
        group.post("requests/:name", use: submit)
        group.get("requests/:name", use: pollOrList)
        group.delete("requests/:name", use: revoke)
    }

    // MARK: Poll

    /// `GET /requests/<collection>` lists; `GET /requests/<id>` polls.
    @Sendable func pollOrList(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let name = try context.parameters.require("name")
        if catalog[name] != nil {
            return try await listResponse(user: user, collection: name, request: request)
        }
        let mark = heldPolls?.mark()
        var record = try await ownRequest(name, of: user)
        let wait = try PollWait(request: request, maximum: configuration.maximumPollWait)
        if let wait, let heldPolls, let mark, [.waiting, .queued, .processing, .uploading].contains(record.status) {
            await heldPolls.wait(for: record.id, toLeave: record.status, readAfter: mark, timeout: wait.duration, channel: context.channel)
            record = try await ownRequest(name, of: user)
        }
        var response = try await statusResponse(for: record, request: request)
        if let wait, wait.preferred { response.headers[.preferenceApplied] = "wait=\(wait.seconds)" }
        return response
    }

    /// The answer to a poll: 202 while the request runs, 303 to its data once processed (200
    /// for an archive request, which has no data to download), 400 when it failed.
    func statusResponse(for record: RequestRecord, request: Request) async throws -> Response {
        switch record.status {
        case .processed where record.verb == .archive:
            return JSONResponse.encode(["status": "processed", "message": record.userMessage])
        case .processed:
            let result = record.result
            let location = downloadLocation(of: record, for: request)
            return JSONResponse.encode(
                RedirectBody(
                    id: record.id.description, location: location, contentLength: result?.contentLength ?? 0, contentType: result?.contentType ?? ""),
                status: .seeOther,
                headers: [.location: location]
            )
        case .failed:
            return JSONResponse.message("Request failed with error:\n\(record.userMessage)", status: .badRequest)
        case .waiting, .queued, .processing, .uploading:
            let location = record.status == .uploading ? urls.upload(record.id, for: request) : urls.request(record.id, for: request)
            var body: [String: JSONValue] = ["status": .string(record.status.rawValue)]
            var message = progressMessage(for: record)
            if record.status == .waiting {
                let explanation = try await standing.explain(record)
                message = explanation.message + (record.userMessage.isEmpty ? "" : "\n" + record.userMessage)
                body["queue"] = explanation.fields
            }
            body["message"] = .string(message)
            return JSONResponse.encode(
                body,
                status: .accepted,
                headers: [.location: location, .retryAfter: "\(configuration.retryAfterSeconds)"]
            )
        case .revoked:
            return JSONResponse.message("Request \(record.id) not found.", status: .notFound)
        }
    }

    /// Where a processed request's result is downloaded: a presigned staging URL with direct
    /// downloads, else `/api/v1/downloads/<id>` (a capability URL when links are signed).
    func downloadLocation(of record: RequestRecord, for request: Request) -> String {
        if let directDownloads, let result = record.result {
            let fileName = "\(record.id)\(DownloadsController.fileExtension(for: result.contentType))"
            return directDownloads.directDownloadURL(key: result.key, contentType: result.contentType, fileName: fileName)
        }
        return urls.download(record.id, for: request)
    }

    private func progressMessage(for record: RequestRecord) -> String {
        var message = progressLine(for: record)
        if !record.userMessage.isEmpty { message += "\n" + record.userMessage }
        return message
    }

    /// What a request that is not waiting is doing now, in one line.
    func progressLine(for record: RequestRecord) -> String {
        var message: String
        switch record.status {
        case .uploading: message = "Request waiting for its data to be uploaded."
        case .waiting: message = "Request waiting for a free place under the collection's limits."
        case .queued: message = "Request queued for the next free worker."
        case .processing:
            message = "Request being processed by datasource '\(record.datasource)' (attempt \(record.attempts))"
            message += record.stagedBytes > 0 ? "; \(ByteSize.describe(record.stagedBytes)) staged so far." : "."
        default: message = "Request \(record.status.rawValue)."
        }
        return message
    }

    /// The 303 body of the reference server; polytope-client does not read it, but scripts do.
    struct RedirectBody: Encodable {
        var id: String
        var location: String
        var contentLength: Int64
        var contentType: String
    }

    // MARK: List

    @Sendable func list(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        try await listResponse(user: try context.requireUser(), collection: nil, request: request)
    }

    /// The user's requests, oldest first, streamed from the store page by page: all of them
    /// (as polytope-client reads them), or with `?limit=&after=` one page and the `next` cursor.
    private func listResponse(user: User, collection: String?, request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let pagination = try ListPagination(limit: parameters.get("limit"), after: parameters.get("after"))
        let (store, urls, waits) = (store, urls, WaitingListExplainer(standing: standing))
        let list = PagedJSONList<RequestSummary, RequestListCursor>(token: \.token) { after, limit in
            let page = try await store.requests(ofUser: user.owner, collection: collection, after: after, limit: limit)
            let explanations = try await waits.explain(page.records)
            return (
                page.records.map { RequestSummary($0, downloadURL: urls.download($0.id, for: request), waiting: explanations[$0.id]) },
                page.next
            )
        }
        return try await list.response(after: pagination.after, limit: pagination.limit)
    }

    // MARK: Revoke

    @Sendable func revoke(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let name = try context.parameters.require("name")
        let now = wallClock.now()
        if name == "all" {
            let revocations = try await store.revokeAll(ofUser: user.owner, at: now)
            if revocations.contains(where: { $0.previousStatus == .queued }) { dispatchNeeded.signal() }
            await removeResults(of: revocations, logger: context.logger)
            metrics.requestsRevoked(revocations.count)
            context.logger.info("requests revoked", metadata: ["count": "\(revocations.count)"])
            return JSONResponse.message("Successfully revoked \(revocations.count) requests.")
        }
        guard let id = RequestIdentifier(name), let revocation = try await store.revoke(id: id, ofUser: user.owner, at: now) else {
            throw try await missing(name, of: user)
        }
        if revocation.previousStatus == .queued { dispatchNeeded.signal() }  // its slot is free now
        await removeResults(of: [revocation], logger: context.logger)
        metrics.requestsRevoked(1)
        context.logger.info("request revoked", metadata: ["request-id": "\(id)", "previous-status": "\(revocation.previousStatus)"])
        if revocation.previousStatus == .processing {
            return JSONResponse.message(
                "Request \(id) revoked. It was already being processed: it will run to completion and its result will be discarded."
            )
        }
        return JSONResponse.message("Request \(id) revoked.")
    }

    private func removeResults(of revocations: [Revocation], logger: Logger) async {
        for result in revocations.flatMap(\.orphanedObjects) {
            do {
                try await staging.delete(key: result.key)
            } catch {
                logger.warning("removing a revoked result failed; the garbage collector will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: Helpers

    /// The caller's request `name`, or the uniform 404.
    func ownRequest(_ name: String, of user: User) async throws -> RequestRecord {
        guard let id = RequestIdentifier(name), let record = try await store.request(id: id), record.user.owner == user.owner,
            record.status != .revoked
        else {
            throw try await missing(name, of: user)
        }
        return record
    }

    /// The 404 for a request the caller cannot see: it says so when the garbage collector
    /// removed the caller's own request, and is the same uniform message otherwise.
    private func missing(_ name: String, of user: User) async throws -> PolytopeError {
        if let id = RequestIdentifier(name), let expired = try await store.expiryDate(of: id, ofUser: user.owner) {
            let when = expired.formatted(Date.ISO8601FormatStyle())
            return PolytopeError.notFound("Request \(id) has expired and its data was removed (at \(when)); please submit it again.")
        }
        return notFound(name)
    }

    private func notFound(_ name: String) -> PolytopeError {
        PolytopeError.notFound("Request \(name.prefix(64)) not found.")
    }
}

/// One request as listed by `GET /api/v1/requests`: `id`, `status` and `verb` are strings
/// (polytope-client requires it); the rest helps people and scripts.
struct RequestSummary: Encodable, Sendable {
    var id: String
    var status: String
    var verb: String
    var collection: String
    var datasource: String
    var user_request: String
    var user_message: String
    var timestamp: Double
    var last_modified: Double
    var attempts: Int
    var status_history: [String: Double]
    var content_length: Int64?
    var content_type: String?
    var url: String?
    /// Why a waiting request waits (see `WaitingExplanation.fields`).
    var queue: JSONValue?

    init(_ record: RequestRecord, downloadURL: String, waiting: WaitingExplanation? = nil) {
        id = record.id.description
        status = record.status.rawValue
        verb = record.verb.rawValue
        collection = record.collection
        datasource = record.datasource
        user_request = record.requestText
        user_message = record.userMessage
        timestamp = record.createdAt.timeIntervalSince1970
        last_modified = record.updatedAt.timeIntervalSince1970
        attempts = record.attempts
        var history: [String: Double] = [:]
        for change in record.statusHistory where history[change.status.rawValue] == nil {
            history[change.status.rawValue] = change.at.timeIntervalSince1970
        }
        status_history = history
        content_length = record.result?.contentLength
        content_type = record.result?.contentType
        url = record.status == .processed ? downloadURL : nil
        if let waiting {
            user_message = waiting.message + (record.userMessage.isEmpty ? "" : "\n" + record.userMessage)
            queue = waiting.fields
        }
    }
}
