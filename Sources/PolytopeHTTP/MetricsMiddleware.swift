import Hummingbird
import PolytopeCore

/// Counts every request and its duration in the metrics, by method, route template (never
/// the raw path, so ids do not multiply the series) and status.
package struct MetricsMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let metrics: PolytopeMetrics

    package init(metrics: PolytopeMetrics) {
        self.metrics = metrics
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // No route took it: Hummingbird's not-found responder names itself "NotFound".
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.httpRequest(
            method: context.clientMethod(of: request).rawValue, route: route, status: response.status.code,
            duration: ContinuousClock.now - start)
        return response
    }
}
