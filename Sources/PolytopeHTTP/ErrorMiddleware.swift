import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PolytopeCore

/// Turns every error into a JSON `{"message": ...}` response with the right status
/// (`HTTPErrorMapping`), and answers a known path asked with another method with 405 and
/// `Allow` instead of Hummingbird's plain 404.
///
/// A request no route took below a front's path (`frontDocuments`) is answered in that
/// front's document instead, so that its clients can read the message: a route the server
/// lacks under `/api/retrieve/v1` is an OGC problem document, as ecmwf-datastores-client
/// expects.
///
/// Errors that are not the user's fault are logged in full and answered with a generic 500
/// message, so internals never reach clients.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let routeMethods: RouteMethods
    /// Path prefixes (`/api/retrieve/`) and the document of the front below each.
    let frontDocuments: [(prefix: String, document: ErrorDocumentMiddleware.Document)]

    package init(
        routeMethods: RouteMethods = RouteMethods(),
        frontDocuments: [(prefix: String, document: ErrorDocumentMiddleware.Document)] = []
    ) {
        self.routeMethods = routeMethods
        self.frontDocuments = frontDocuments
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
        if unmatched, let front = frontDocuments.first(where: { request.uri.path.hasPrefix($0.prefix) }) {
            return JSONResponse.encode(front.document(status, message, nil), status: status, headers: headers)
        }
        var response = JSONResponse.message(message, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
