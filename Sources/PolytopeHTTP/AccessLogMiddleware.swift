import Foundation
import Hummingbird
import Logging
import PolytopeCore

/// The outermost middleware: writes one access-log line per request with its method, path,
/// status, duration, and the user once authenticated. Never credentials.
package struct AccessLogMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        guard context.logger.logLevel <= .info else { return response }
        let elapsed = ContinuousClock.now - start
        var metadata: Logger.Metadata = ["status": "\(response.status.code)", "duration-ms": "\(Double(elapsed.nanoseconds) / 1e6)"]
        if let user = context.caller.username { metadata["user"] = "\(user)" }
        context.logger.info("\(context.clientMethod(of: request)) \(request.uri.path) \(response.status.code)", metadata: metadata)
        return response
    }
}
