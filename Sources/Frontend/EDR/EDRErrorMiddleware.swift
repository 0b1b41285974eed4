import Hummingbird
import Logging
import PolytopeCore
import PolytopeHTTP

/// Answers errors of the OGC API - EDR routes as EDR exceptions (`{"code": ..., "description":
/// ...}`, the description being the v1 message); statuses and headers (`WWW-Authenticate`,
/// `Retry-After`) are those of the v1 API.
struct EDRErrorMiddleware: RouterMiddleware {
    typealias Context = PolytopeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message, headers) = HTTPErrorMapping.describe(error)
            if status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error).prefix(512))"])
            }
            return Self.exception(status, message, headers: headers)
        }
    }

    /// An EDR exception document with `status`.
    static func exception(_ status: HTTPResponse.Status, _ description: String, headers: HTTPFields = [:]) -> Response {
        let body: JSONValue = .object(["code": .string(code(for: status)), "description": .string(description)])
        return JSONResponse.encode(body, status: status, headers: headers)
    }

    /// The exception code of a status (OGC API - Common's names where there is one).
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "InvalidParameterValue"
        case 401: "NotAuthenticated"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 413: "RequestTooLarge"
        case 429: "TooManyRequests"
        case 503: "ServiceUnavailable"
        default: status.code >= 500 ? "ServerError" : "Error"
        }
    }
}
