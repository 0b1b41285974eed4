import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PolytopeCore

/// Turns every error into a JSON `{"message": ...}` response with the right status
/// (`HTTPErrorMapping`), and answers a known path asked with another method with 405 and
/// `Allow` instead of Hummingbird's plain 404.
///
/// Errors that are not the user's fault are logged in full and answered with a generic 500
/// message, so internals never reach clients.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let routeMethods: RouteMethods

    package init(routeMethods: RouteMethods = RouteMethods()) {
        self.routeMethods = routeMethods
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return errorResponse(for: error, request: request, context: context)
        }
    }

    private func errorResponse(for error: any Error, request: Request, context: Context) -> Response {
        // No route took the request (Hummingbird's not-found responder names itself "NotFound").
        if context.endpointPath == nil || context.endpointPath == "NotFound", let error = error as? HTTPError, error.status == .notFound {
            let allowed = routeMethods.answered(for: request.uri.path)
            if !allowed.isEmpty, !allowed.contains(request.method) {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                var response = JSONResponse.message("\(request.method) is not allowed here; this path answers \(list).", status: .methodNotAllowed)
                response.headers[.allow] = list
                return response
            }
        }
        let (status, message, headers) = HTTPErrorMapping.describe(error)
        if status == .internalServerError {
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
        }
        var response = JSONResponse.message(message, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
