import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PolytopeCore

/// Turns every error into a JSON `{"message": ...}` response with the right status
/// (`HTTPErrorMapping`), and answers a known path asked with another method with 405 and
/// `Allow` instead of Hummingbird's plain 404.
///
/// A request no route took below a front's path (`fronts`) is answered as that front
/// answers its errors, so that its clients can read the message: a route the server lacks
/// under `/api/retrieve/v1` is an OGC problem document, as ecmwf-datastores-client expects,
/// and one under `/ui/` a page.
///
/// Errors that are not the user's fault are logged in full and answered with a generic 500
/// message, so internals never reach clients.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let routeMethods: RouteMethods
    /// Path prefixes (`/api/retrieve/`) and how the front below each answers an error.
    let fronts: [FrontErrors]

    package init(routeMethods: RouteMethods = RouteMethods(), fronts: [FrontErrors] = []) {
        self.routeMethods = routeMethods
        self.fronts = fronts
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return errorResponse(for: error, request: request, context: context)
        }
    }

    private func errorResponse(for error: any Error, request: Request, context: Context) -> Response {
        var (status, message, headers) = HTTPErrorMapping.describe(error)
        // No route took the request (Hummingbird's not-found responder names itself "NotFound").
        let unmatched = context.endpointPath == nil || context.endpointPath == "NotFound"
        if unmatched, status == .notFound {
            let allowed = routeMethods.answered(for: request.uri.path)
            if !allowed.isEmpty, !allowed.contains(request.method) {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                (status, message, headers) = (.methodNotAllowed, "\(request.method) is not allowed here; this path answers \(list).", [.allow: list])
            } else if allowed.isEmpty {
                message = "This server has nothing at \(request.uri.path.prefix(256))."
            }
        }
        if status == .internalServerError {
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
        }
        if unmatched, let front = fronts.first(where: { request.uri.path.hasPrefix($0.prefix) }) {
            return front.answer(status, message, headers)
        }
        var response = JSONResponse.message(message, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// How a front answers errors of requests below its path that no route took.
package struct FrontErrors: Sendable {
    /// The path prefix, such as `/api/retrieve/`.
    package var prefix: String
    /// The answer for a status, the message for the user and the headers (`Allow`, ...).
    package var answer: @Sendable (HTTPResponse.Status, String, HTTPFields) -> Response

    package init(prefix: String, answer: @escaping @Sendable (HTTPResponse.Status, String, HTTPFields) -> Response) {
        self.prefix = prefix
        self.answer = answer
    }

    /// Errors answered as `document` (a front's JSON error document).
    package init(prefix: String, document: @escaping ErrorDocumentMiddleware.Document) {
        self.init(prefix: prefix) { status, message, headers in
            JSONResponse.encode(document(status, message, nil), status: status, headers: headers)
        }
    }
}
