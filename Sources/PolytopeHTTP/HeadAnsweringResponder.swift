import Hummingbird

/// The router's responder, answering `HEAD` wherever a route answers `GET`, as RFC 9110
/// requires of every server: the GET's status and headers (`Content-Length` included),
/// without its body. Routes with a `HEAD` of their own (downloads, which need not open the
/// result) keep it. Outside the router, because the router picks the route by method before
/// any of its middleware runs.
package struct HeadAnsweringResponder<Base: HTTPResponder>: HTTPResponder where Base.Context == PolytopeRequestContext {
    package typealias Context = PolytopeRequestContext

    let base: Base
    let routeMethods: RouteMethods

    /// - Parameter routeMethods: the routes of the router `base` comes from.
    package init(_ base: Base, routeMethods: RouteMethods) {
        self.base = base
        self.routeMethods = routeMethods
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head, routeMethods.answersHeadAsGet(at: request.uri.path) else {
            return try await base.respond(to: request, context: context)
        }
        var head = request.head
        head.method = .get
        var context = context
        context.answersHead = true
        return try await base.respond(to: Request(head: head, body: request.body), context: context).createHeadResponse()
    }
}

extension Router where Context == PolytopeRequestContext {
    /// This router's responder, answering `HEAD` where it answers `GET` (`HeadAnsweringResponder`).
    package func buildHeadAnsweringResponder() -> HeadAnsweringResponder<RouterResponder<PolytopeRequestContext>> {
        let routeMethods = RouteMethods()
        HTTPRouting.recordRoutes(of: self, in: routeMethods)
        return HeadAnsweringResponder(buildResponder(), routeMethods: routeMethods)
    }
}
