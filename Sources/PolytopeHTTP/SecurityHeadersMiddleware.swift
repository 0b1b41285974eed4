import HTTPTypes
import Hummingbird

/// Adds the security headers every response carries: no MIME sniffing, no framing, and
/// `Cache-Control: no-store` unless the route set its own caching.
package struct SecurityHeadersMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    private static let frameOptions = HTTPField.Name("X-Frame-Options")!

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        return response
    }
}
