import Foundation
import Hummingbird
import Logging
import PolytopeCore
import PolytopeHTTP

/// `POST /api/v1/auth/keys`: issues an API key to the caller (what `polytope login` calls).
///
/// The caller must prove who they are with something other than an API key (a password, or
/// an Auth-o-tron credential), so that a leaked key cannot be used to mint more keys.
struct AuthKeysController {
    let issuer: any APIKeyIssuing

    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.post("auth/keys", use: issue)
    }

    @Sendable func issue(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        guard context.authenticatedBy != "api-key" else {
            throw PolytopeError.forbidden("An API key cannot be used to create API keys; log in with your password (polytope login).")
        }
        // A peer speaks for its users call by call; a key would outlive the peer's say-so.
        guard context.authenticatedBy != "peer" else {
            throw PolytopeError.forbidden("A peer server cannot create API keys for its users; they sign in to this server themselves.")
        }
        let (key, record) = try await issuer.issueKey(for: user, label: "polytope login")
        context.logger.info("API key issued", metadata: ["key-id": "\(record.id)"])
        return JSONResponse.encode(["key": key, "expires": record.expiresAt.formatted(Date.ISO8601FormatStyle())])
    }
}
