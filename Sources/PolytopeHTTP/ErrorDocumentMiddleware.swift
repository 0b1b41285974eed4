import Hummingbird
import Logging
import PolytopeCore

/// Answers the errors of a front's routes in that front's own JSON document (OGC problem
/// documents, EDR exceptions), with the statuses, messages and headers (`WWW-Authenticate`,
/// `Retry-After`) of the v1 API (`HTTPErrorMapping`). Errors that are not the user's fault
/// are logged in full and answered with the generic 500 message.
package struct ErrorDocumentMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext
    /// The document for a status, the message for the user and the route's path template
    /// (`/api/retrieve/v1/processes/{collection}`; nil when no route took the request).
    package typealias Document = @Sendable (HTTPResponse.Status, String, String?) -> JSONValue

    package let document: Document

    package init(document: @escaping Document) {
        self.document = document
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message, headers) = HTTPErrorMapping.describe(error)
            if status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error).prefix(512))"])
            }
            return JSONResponse.encode(document(status, message, context.endpointPath), status: status, headers: headers)
        }
    }
}
