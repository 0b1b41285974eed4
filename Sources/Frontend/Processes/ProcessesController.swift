import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// The CDS / OGC API - Processes front: `<prefix>/catalogue/v1/messages`,
/// `<prefix>/retrieve/v1/...` and `<prefix>/profiles/v1/account/verification/pat`, so
/// unmodified cdsapi, ecmwf-datastores-client and ogc-api-processes-client users can retrieve.
///
/// One process per collection the caller may use; a job is a request (same id, same store,
/// limits and workers as `/api/v1/requests`). Documents are built by `ProcessJob`.
struct ProcessesController {
    let requests: RequestsController
    /// The path prefix, without slashes (`api`), or empty.
    let prefix: String
    /// Lists jobs newest first (`sortby=-created`); nil: only oldest first.
    var newestFirst: (any TelemetryStore)?

    /// The conformance classes this front implements.
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
        "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    ]

    /// Adds the routes; `authentication` guards all but the messages, landing page and conformance.
    func addRoutes(to router: Router<PolytopeRequestContext>, authentication: AuthenticationMiddleware) {
        let root = prefix.isEmpty ? router.group() : router.group(RouterPath(prefix))
        let front = root.group().add(middleware: ProcessesErrors.middleware)
        front.get("catalogue/v1/messages") { _, _ in JSONResponse.encode(["messages": [String]()]) }
        let retrieve = front.group("retrieve/v1")
        retrieve.get("", use: landingPage)
        retrieve.get("conformance") { _, _ in JSONResponse.encode(["conformsTo": Self.conformance]) }
        let authenticated = retrieve.group().add(middleware: authentication.askingForPrivateToken())
        authenticated.get("processes", use: listProcesses)
        authenticated.get("processes/:collection", use: describeProcess)
        authenticated.post("processes/:collection/execution", use: execute)
        authenticated.get("jobs", use: listJobs)
        authenticated.get("jobs/:name", use: jobStatus)
        authenticated.delete("jobs/:name", use: dismiss)
        authenticated.get("jobs/:name/results", use: results)
        // ecmwf-datastores-client's check_authentication(): 200 with who signed in, or the 401.
        let profiles = front.group("profiles/v1").add(middleware: authentication.askingForPrivateToken())
        profiles.post("account/verification/pat") { _, context in
            let user = try context.requireUser()
            return JSONResponse.encode(["id": user.username, "realm": user.realm, "roles": user.roles.joined(separator: ", ")])
        }
    }

    /// `<base><prefix>/retrieve/v1`.
    func baseURL(for request: Request) -> String {
        requests.urls.base(for: request) + Self.landingPath(prefix: prefix)
    }

    /// `[/<prefix>]/retrieve/v1`: the front's landing page below the server's root.
    static func landingPath(prefix: String) -> String {
        (prefix.isEmpty ? "" : "/\(prefix)") + "/retrieve/v1"
    }

    // MARK: Landing page and processes

    @Sendable func landingPage(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let base = baseURL(for: request)
        let body: JSONValue = .object([
            "title": .string("Polytope"),
            "description": .string("Polytope collections as OGC API - Processes: one process per collection, a job per request."),
            "links": .array([
                ProcessJob.link(base, rel: "self", title: "this document"),
                ProcessJob.link("\(base)/conformance", rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", title: "conformance"),
                ProcessJob.link("\(base)/processes", rel: "http://www.opengis.net/def/rel/ogc/1.0/processes", title: "processes"),
                ProcessJob.link("\(base)/jobs", rel: "http://www.opengis.net/def/rel/ogc/1.0/job-list", title: "jobs"),
                ProcessJob.link(
                    requests.urls.base(for: request) + "/openapi.yaml", rel: "service-desc", title: "the API definition",
                    type: "application/vnd.oai.openapi;version=3.0"),
            ]),
        ])
        return JSONResponse.encode(body)
    }

    @Sendable func listProcesses(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let base = baseURL(for: request)
        let summaries = requests.catalog.names(visibleTo: user).map { processSummary($0, base: base) }
        return JSONResponse.encode(
            JSONValue.object(["processes": .array(summaries), "links": .array([ProcessJob.link("\(base)/processes", rel: "self")])]))
    }

    @Sendable func describeProcess(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let collection = try requests.usableCollection(try context.parameters.require("collection"), by: user)
        guard case .object(var description) = processSummary(collection.name, base: baseURL(for: request)) else { return Response(status: .ok) }
        description["inputs"] = .object([:])
        description["outputs"] = .object([
            "asset": .object(["title": .string("The result"), "schema": .object(["type": .string("object")])])
        ])
        return JSONResponse.encode(JSONValue.object(description))
    }

    private func processSummary(_ name: String, base: String) -> JSONValue {
        .object([
            "id": .string(name),
            "title": .string(name),
            "description": .string("Retrieve from the Polytope collection '\(name)'; the inputs are the request."),
            "version": .string("1.0.0"),
            "jobControlOptions": .array([.string("async-execute")]),
            "outputTransmission": .array([.string("reference")]),
            "links": .array([
                ProcessJob.link("\(base)/processes/\(name)", rel: "self"),
                ProcessJob.link("\(base)/processes/\(name)/execution", rel: "http://www.opengis.net/def/rel/ogc/1.0/execute", title: "execute"),
            ]),
        ])
    }

    // MARK: Execute

    /// `{"inputs": {...}}` → a retrieve request of the collection; 201 with the job status.
    @Sendable func execute(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let collection = try requests.usableCollection(try context.parameters.require("collection"), by: user)
        let configuration = requests.configuration
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maximumBodySize {
            throw requests.tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw requests.tooLarge()
        }
        let inputs = try ExecutionInputs(json: buffer, parser: RequestTextParser(limits: configuration.requestLimits))
        let record = try await requests.accept(
            verb: .retrieve, text: inputs.text, document: inputs.document, into: collection, by: user, logger: context.logger)
        context.logger.info(
            "job accepted", metadata: ["request-id": "\(record.id)", "collection": "\(collection.name)", "datasource": "\(record.datasource)"])
        let job = ProcessJob(record: record, jobsURL: "\(baseURL(for: request))/jobs")
        return JSONResponse.encode(job.statusDocument(), status: .created, headers: [.location: job.monitorURL])
    }

    // MARK: Jobs

    @Sendable func jobStatus(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let record = try await ownJob(context, of: user)
        let job = try await self.job(record, for: request)
        let after = request.uri.queryParameters.get("logStartTime").flatMap { ProcessJob.date(from: String($0)) }
        return JSONResponse.encode(job.statusDocument(logAfter: after))
    }

    /// The caller's request named in the path, if it is a job: a retrieval, as `GET /jobs`
    /// lists them (an archive request has no results to offer here).
    private func ownJob(_ context: PolytopeRequestContext, of user: User) async throws -> RequestRecord {
        let name = try context.parameters.require("name")
        let record = try await requests.ownRequest(name, of: user)
        guard record.verb == .retrieve else { throw PolytopeError.notFound("Request \(name.prefix(64)) not found.") }
        return record
    }

    private func job(_ record: RequestRecord, for request: Request) async throws -> ProcessJob {
        var message: String?
        switch record.status {
        case .waiting: message = try await requests.standing.explain(record).message
        case .queued, .processing: message = requests.progressLine(for: record)
        default: message = nil
        }
        return ProcessJob(record: record, jobsURL: "\(baseURL(for: request))/jobs", statusMessage: message)
    }

    /// The caller's jobs, one page (`?limit=`, default 100; `next` link), oldest first or
    /// with `sortby=-created` newest first, only those in the given states with `?status=`
    /// (repeatable; applied to each page, so a page may hold fewer than `limit`).
    @Sendable func listJobs(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let parameters = request.uri.queryParameters
        let pagination = try ListPagination(limit: parameters.get("limit"), after: parameters.get("after"))
        let limit = pagination.limit ?? 100
        let sortBy = parameters.get("sortby") ?? "created"
        let page: RequestPage
        switch sortBy {
        case "created":
            page = try await requests.store.requests(ofUser: user.owner, collection: nil, after: pagination.after, limit: limit)
        case "-created" where newestFirst != nil:
            page = try await newestFirst!.requests(matching: RequestQuery(username: user.owner, after: pagination.after, limit: limit))
        default:
            throw PolytopeError.invalidRequest("sortby=\(sortBy.prefix(40)) is not supported; use created (oldest first) or -created (newest first).")
        }
        let base = baseURL(for: request)
        var jobs: [JSONValue] = []
        let wanted = try Self.statusFilter(parameters.getAll("status").map { String($0) })
        for record in page.records where record.verb == .retrieve {
            let job = ProcessJob(record: record, jobsURL: "\(base)/jobs")
            if wanted.isEmpty || wanted.contains(job.status) { jobs.append(job.statusDocument()) }
        }
        // Every page's links keep the filter: the clients follow `next` as given.
        let query = "limit=\(limit)&sortby=\(sortBy)" + wanted.map { "&status=\($0.rawValue)" }.sorted().joined()
        var links = [ProcessJob.link("\(base)/jobs?\(query)" + (pagination.after.map { "&after=\($0.token)" } ?? ""), rel: "self")]
        if let next = page.next {
            links.append(ProcessJob.link("\(base)/jobs?\(query)&after=\(next.token)", rel: "next"))
        }
        return JSONResponse.encode(JSONValue.object(["jobs": .array(jobs), "links": .array(links)]))
    }

    /// The job states a `/jobs` list keeps (`?status=`, repeatable; none: every state).
    /// - Throws: 400 naming the states there are, for one that is not.
    static func statusFilter(_ values: [String]) throws -> Set<ProcessJobStatus> {
        try Set(
            values.map { value in
                guard let status = ProcessJobStatus(rawValue: value) else {
                    throw PolytopeError.invalidRequest(
                        "status=\(value.prefix(40)) is not a job state; use "
                            + ProcessJobStatus.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                return status
            })
    }

    /// 200 with the asset of a successful job; 400 with the reason of a failed one (never
    /// 5xx, which the clients retry for hours); 404 while it runs.
    @Sendable func results(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let record = try await ownJob(context, of: user)
        let job = ProcessJob(record: record, jobsURL: "\(baseURL(for: request))/jobs")
        if let document = job.resultsDocument(href: requests.downloadLocation(of: record, for: request)) {
            return JSONResponse.encode(document)
        }
        if record.status == .failed {
            let body: JSONValue = .object([
                "type": .string("job-results-failed"),
                "title": .string("The job failed."),
                "status": .number(400),
                "traceback": .string(record.userMessage.isEmpty ? "The request failed." : record.userMessage),
            ])
            return JSONResponse.encode(body, status: .badRequest)
        }
        let notReady = "Job \(record.id) has no results yet (status: \(job.status.rawValue))."
        return JSONResponse.encode(
            ProcessesErrors.problem(type: ProcessesErrors.exceptions + "result-not-ready", title: notReady, status: .notFound), status: .notFound)
    }

    /// Dismisses a job. A job that has not finished is revoked (as `DELETE /api/v1/requests/<id>`);
    /// a successful one keeps its result until it expires, because `cdsapi.Client(delete=True)`
    /// dismisses before it downloads.
    @Sendable func dismiss(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        var record = try await ownJob(context, of: user)
        if record.status != .processed {
            _ = try await requests.revoke(request, context: context)
        }
        record.status = .revoked
        context.logger.info("job dismissed", metadata: ["request-id": "\(record.id)"])
        return JSONResponse.encode(ProcessJob(record: record, jobsURL: "\(baseURL(for: request))/jobs").statusDocument())
    }
}
