import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// `/api/v1/collections` and `/api/v1/user`: what the caller may use and who they are.
struct AccountController {
    let store: any FrontendStore
    let catalog: CollectionCatalog

    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.get("collections", use: collections)
        group.get("user", use: user)
    }

    @Sendable func collections(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        JSONResponse.encode(["message": catalog.names(visibleTo: try context.requireUser())])
    }

    /// Every value is a string: polytope-client joins them as text.
    @Sendable func user(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let count = try await store.requestCount(ofUser: user.owner)
        return JSONResponse.encode([
            "username": user.username,
            "realm": user.realm,
            "roles": user.roles.joined(separator: ", "),
            "live requests": "\(count)",
        ])
    }
}
