import Hummingbird
import PolytopeCore

/// Builds the router every HTTP role adds its routes to.
package enum HTTPRouting {
    /// An empty router whose every route writes an access log, counts requests in `metrics`,
    /// carries the security headers and answers errors as JSON. Once its routes are added,
    /// `routeMethods` must record them (``recordRoutes(of:in:)``) for wrong methods to be
    /// answered 405. Requests no route took below a prefix of `fronts` are answered as that
    /// front answers errors.
    package static func makeRouter(
        metrics: PolytopeMetrics, routeMethods: RouteMethods = RouteMethods(), fronts: [FrontErrors] = []
    ) -> Router<PolytopeRequestContext> {
        let router = Router(context: PolytopeRequestContext.self)
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorMiddleware(routeMethods: routeMethods, fronts: fronts))
        return router
    }

    /// Records the routes of `router` in `routeMethods`.
    package static func recordRoutes(of router: Router<PolytopeRequestContext>, in routeMethods: RouteMethods) {
        routeMethods.record(router.routes.map { (path: "\($0.path)", method: $0.method) })
    }
}
