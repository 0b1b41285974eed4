import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PolytopeCore

/// The outermost middleware: turns every error into a JSON `{"message": ...}` response with
/// the right status, adds the security headers to every response, writes one access-log
/// line per request and counts it in the metrics.
///
/// Errors that are not the user's fault are logged in full and answered with a generic 500
/// message, so internals never reach clients.
package struct ErrorMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let metrics: PolytopeMetrics
    let routeMethods: RouteMethods

    package init(metrics: PolytopeMetrics, routeMethods: RouteMethods = RouteMethods()) {
        self.metrics = metrics
        self.routeMethods = routeMethods
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(for: error, request: request, context: context)
        }
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.httpRequest(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        var metadata: Logger.Metadata = ["status": "\(response.status.code)", "duration-ms": "\(Double(elapsed.nanoseconds) / 1e6)"]
        if let user = context.caller.username { metadata["user"] = "\(user)" }
        context.logger.info("\(request.method) \(request.uri.path) \(response.status.code)", metadata: metadata)
        return response
    }

    private func errorResponse(for error: any Error, request: Request, context: Context) -> Response {
        // No route took the request (Hummingbird's not-found responder names itself "NotFound").
        if context.endpointPath == nil || context.endpointPath == "NotFound", let error = error as? HTTPError, error.status == .notFound {
            let allowed = routeMethods.allowed(for: request.uri.path)
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
