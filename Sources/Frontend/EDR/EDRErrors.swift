import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// Errors of the OGC API - EDR routes as EDR exceptions (`{"code": ..., "description":
/// ...}`, the description being the v1 message); statuses and headers (`WWW-Authenticate`,
/// `Retry-After`) are those of the v1 API.
enum EDRErrors {
    static let middleware = ErrorDocumentMiddleware { status, description, _ in document(status, description) }

    /// The exception document for `status`.
    static func document(_ status: HTTPResponse.Status, _ description: String) -> JSONValue {
        .object(["code": .string(code(for: status)), "description": .string(description)])
    }

    /// An EDR exception document with `status`.
    static func exception(_ status: HTTPResponse.Status, _ description: String) -> Response {
        JSONResponse.encode(document(status, description), status: status)
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
