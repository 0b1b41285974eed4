import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// The web page: `/` and `/ui/...`. Users sign in, follow their requests as they change,
/// download and revoke them, and submit new ones; admins see the system. Pages are rendered
/// on the server (`WebPages`) on the same engine as the API: same store, limits, checks and
/// download links.
struct WebController {
    let requests: RequestsController
    let sessions: WebSessions
    /// Lists a user's requests newest first.
    let overview: any TelemetryStore
    let system: SystemOverview
    let adminRoles: [String]

    /// The page's HTML, with links under `sessions.paths`.
    var pages: WebPages { WebPages(paths: sessions.paths, offersKeys: sessions.authentication.accepts(scheme: "Bearer")) }
    var paths: WebPaths { sessions.paths }

    /// What the page may load and do: its own script and styles only, no inline code, no
    /// framing, forms posted only to this server.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    /// How many of a user's newest requests the list shows.
    static let listedRequests = 50

    func addRoutes(to router: Router<PolytopeRequestContext>) {
        let landing = Response(status: .seeOther, headers: [.location: paths.requests])
        router.get("") { _, _ in landing }
        let ui = router.group("ui").add(middleware: WebPageMiddleware(pages: pages))
        ui.get("assets/style.css") { _, _ in Self.asset(WebAssets.style, type: "text/css; charset=utf-8") }
        ui.get("assets/app.js") { _, _ in Self.asset(WebAssets.script, type: "text/javascript; charset=utf-8") }
        ui.get("assets/icon.svg") { _, _ in Self.asset(WebAssets.icon, type: "image/svg+xml") }
        ui.get("sign-in") { _, _ in page(pages.signIn(error: nil, username: ""), title: "Sign in") }
        ui.post("sign-in", use: signIn)
        let signedIn = ui.group().add(middleware: WebSessionMiddleware(sessions: sessions, publicURL: requests.configuration.publicURL))
        signedIn.get("") { _, _ in landing }
        signedIn.get("requests", use: listRequests)
        signedIn.post("requests/:name/revoke", use: revoke)
        signedIn.get("submit", use: submitForm)
        signedIn.post("submit", use: submit)
        signedIn.get("system", use: systemView)
        signedIn.post("sign-out", use: signOut)
    }

    // MARK: Sign in and out

    @Sendable func signIn(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let form = try await WebForm(request)
        guard sessions.isSameOrigin(request) else { throw WebForm.foreignOrigin }
        let (username, password, apiKey) = (form["username"].trimmed, form["password"], form["api_key"].trimmed)
        // Both a password and a key: which one signs in would be a guess (a wrong password
        // beside a valid key signed in as the key's user without a word).
        let problem =
            !apiKey.isEmpty && !password.isEmpty
            ? "Enter a password or an API key, not both."
            : apiKey.isEmpty && (username.isEmpty || password.isEmpty) ? "Enter your user name and password, or an API key." : nil
        if let problem {
            return page(pages.signIn(error: problem, username: username), title: "Sign in", status: .badRequest)
        }
        do {
            let (user, key) = try await sessions.signIn(
                username: username, password: password, apiKey: apiKey, address: context.channel.remoteAddress?.ipAddress)
            context.logger.info("signed in to the web page", metadata: ["user": "\(user.username)"])
            let secure = WebSessions.isSecure(request, publicURL: requests.configuration.publicURL)
            return Response(status: .seeOther, headers: [.location: paths.requests, .setCookie: sessions.cookie(holding: key, secure: secure)])
        } catch let failure as AuthenticationFailure {
            return page(pages.signIn(error: failure.message, username: username), title: "Sign in", status: .unauthorized)
        } catch let error as PolytopeError where error.code == .tooManyRequests {
            var response = page(pages.signIn(error: error.message, username: username), title: "Sign in", status: .tooManyRequests)
            response.headers[.retryAfter] = error.retryAfter.map(String.init)
            return response
        }
    }

    @Sendable func signOut(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        try await WebForm(request).requireSameSite(request, sessions: sessions)
        if let key = WebSessions.sessionKey(of: request) { try await sessions.signOut(session: key) }
        let secure = WebSessions.isSecure(request, publicURL: requests.configuration.publicURL)
        return Response(status: .seeOther, headers: [.location: paths.signIn, .setCookie: sessions.clearedCookie(secure: secure)])
    }

    // MARK: My requests

    @Sendable func listRequests(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let position = try WebPages.ListPosition(after: request.uri.queryParameters.get("after"))
        let page = try await overview.requests(matching: RequestQuery(username: user.owner, after: position.after, limit: Self.listedRequests))
        let explanations = try await WaitingListExplainer(standing: requests.standing, oneUser: false).explain(page.records)
        let now = requests.wallClock.now()
        let rows = page.records.map { record in
            WebPages.RequestRow(
                id: record.id.description, collection: record.collection, status: record.status.rawValue,
                detail: detail(of: record, waiting: explanations[record.id]), requestText: WebPages.RequestRow.titleText(of: record.requestText),
                size: record.status == .processed ? record.result?.contentLength : nil, ageSeconds: now.timeIntervalSince(record.createdAt),
                downloadURL: record.status == .processed && record.verb == .retrieve ? requests.downloadLocation(of: record, for: request) : nil)
        }
        let parameters = request.uri.queryParameters
        var notice: String?
        // Acceptance only of a request listed here: a link cannot announce another's. (A
        // revoked request is gone from the list, so its notice cannot be checked that way.)
        if let id = parameters.get("submitted"), rows.contains(where: { $0.id == id }) { notice = "Request \(id) accepted." }
        if let id = parameters.get("revoked").flatMap(RequestIdentifier.init) { notice = "Request \(id) revoked." }
        let csrf = csrfToken(request)
        return self.page(
            pages.requests(rows, csrf: csrf, notice: notice, position: position, older: page.next), title: "My requests", context: context,
            request: request, current: paths.requests)
    }

    private func detail(of record: RequestRecord, waiting: WaitingExplanation?) -> String {
        switch record.status {
        case .waiting:
            let reason = waiting?.message ?? requests.progressLine(for: record)
            return record.userMessage.isEmpty ? reason : reason + "\n" + record.userMessage
        case .queued, .processing, .uploading:
            return requests.progressLine(for: record) + (record.userMessage.isEmpty ? "" : "\n" + record.userMessage)
        case .processed:
            return record.userMessage.isEmpty ? "Ready to download." : record.userMessage
        case .failed, .revoked:
            return record.userMessage
        }
    }

    @Sendable func revoke(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        try await WebForm(request).requireSameSite(request, sessions: sessions)
        let name = try context.parameters.require("name")
        guard let id = RequestIdentifier(name) else { throw PolytopeError.notFound("Request \(name.prefix(64)) not found.") }
        _ = try await requests.revoke(request, context: context)
        return Response(status: .seeOther, headers: [.location: paths.requests + "?revoked=\(id)"])
    }

    // MARK: Submit

    @Sendable func submitForm(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        var form = WebPages.SubmitForm(collections: requests.catalog.names(visibleTo: user), csrf: csrfToken(request))
        form.collection = request.uri.queryParameters.get("collection") ?? form.collections.first ?? ""
        return page(pages.submit(form), title: "Submit", context: context, request: request, current: paths.ui("submit"))
    }

    /// Checks the request as `POST /api/v1/requests/<collection>` does and records it; the
    /// problems found are shown next to the field they concern.
    @Sendable func submit(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let fields = try await WebForm(request, limit: requests.configuration.maximumBodySize)
        try fields.requireSameSite(request, sessions: sessions)
        var form = WebPages.SubmitForm(collections: requests.catalog.names(visibleTo: user), csrf: csrfToken(request))
        form.collection = fields["collection"]
        form.requestText = fields["request"]
        let collection: CollectionDefinition
        do {
            collection = try requests.usableCollection(form.collection, by: user)
        } catch let error as PolytopeError {
            form.collectionError = error.message
            return page(pages.submit(form), title: "Submit", context: context, request: request, current: paths.ui("submit"), status: .badRequest)
        }
        do {
            guard !form.requestText.trimmed.isEmpty else { throw PolytopeError.invalidRequest("Write a request, e.g. 'datasource: echo'.") }
            let document = try RequestTextParser(limits: requests.configuration.requestLimits).parse(form.requestText)
            let record = try await requests.accept(
                verb: .retrieve, text: form.requestText, document: document, into: collection, by: user, logger: context.logger)
            context.logger.info(
                "request accepted from the web page",
                metadata: ["request-id": "\(record.id)", "collection": "\(collection.name)", "datasource": "\(record.datasource)"])
            return Response(status: .seeOther, headers: [.location: paths.requests + "?submitted=\(record.id)"])
        } catch let error as PolytopeError {
            form.requestError = error.message
            return page(
                pages.submit(form), title: "Submit", context: context, request: request, current: paths.ui("submit"),
                status: error.code == .tooManyRequests ? .tooManyRequests : .badRequest)
        }
    }

    // MARK: The system

    @Sendable func systemView(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard user.hasAnyRole(adminRoles) else {
            throw PolytopeError.forbidden("The system view is for administrators (roles: \(adminRoles.joined(separator: ", "))).")
        }
        let snapshot = try await system.snapshot()
        return page(pages.system(snapshot), title: "The system", context: context, request: request, current: paths.ui("system"))
    }

    // MARK: Responses

    private func csrfToken(_ request: Request) -> String {
        WebSessions.sessionKey(of: request).map(WebSessions.csrfToken(session:)) ?? ""
    }

    private func page(
        _ main: String, title: String, context: PolytopeRequestContext, request: Request, current: String, status: HTTPResponse.Status = .ok
    ) -> Response {
        let user = context.user
        let frame = WebPages.Frame(
            title: title, username: user?.username, isAdmin: user?.hasAnyRole(adminRoles) ?? false, csrf: csrfToken(request), current: current,
            processesURL: requests.configuration.processesPrefix.map(paths.processes(prefix:)))
        return Self.html(pages.document(frame, main: main), status: status)
    }

    private func page(_ main: String, title: String, status: HTTPResponse.Status = .ok) -> Response {
        Self.html(pages.document(WebPages.Frame(title: title), main: main), status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400, immutable"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
