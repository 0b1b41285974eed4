import Hummingbird
import PolytopeCore

/// Builds the router every HTTP role adds its routes to.
public enum HTTPRouting {
    /// An empty router whose every route answers errors as JSON, writes an access log and
    /// counts requests in `metrics`.
    public static func makeRouter(metrics: PolytopeMetrics) -> Router<PolytopeRequestContext> {
        let router = Router(context: PolytopeRequestContext.self)
        router.add(middleware: ErrorMiddleware(metrics: metrics))
        return router
    }
}
