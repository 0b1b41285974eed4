import Hummingbird
import Logging
import PolytopeCore
import PolytopeHTTP

/// Answers errors of the CDS / OGC API - Processes routes as RFC 7807 problem documents
/// (`type`, `title` = the v1 message, `status`), which cdsapi and ecmwf-datastores-client
/// print; statuses and messages are those of the v1 API.
struct ProcessesErrorMiddleware: RouterMiddleware {
    typealias Context = PolytopeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message, headers) = HTTPErrorMapping.describe(error)
            if status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error).prefix(512))"])
            }
            let body: JSONValue = .object([
                "type": .string(Self.problemType(for: status)),
                "title": .string(message),
                "status": .number(Double(status.code)),
            ])
            return JSONResponse.encode(body, status: status, headers: headers)
        }
    }

    /// The OGC exception type of a status.
    static func problemType(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"
        case 401, 403: "unauthorized"
        default: "about:blank"
        }
    }
}
