import Hummingbird
import PolytopeHTTP

/// Authenticates requests that carry credentials and lets the others through anonymously,
/// for routes that answer everyone but show more to users they know (telemetry's summary
/// and metrics). Wrong credentials are refused as on any guarded route.
struct OptionalAuthentication: RouterMiddleware {
    typealias Context = PolytopeRequestContext

    let authentication: AuthenticationMiddleware

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil else { return try await next(request, context) }
        return try await authentication.handle(request, context: context, next: next)
    }
}
