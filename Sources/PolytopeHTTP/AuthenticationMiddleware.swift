import Hummingbird
import Logging
import PolytopeCore

/// Authenticates every request of the routes it guards, from the `Authorization` header.
///
/// The header may carry several credentials separated by commas (polytope-client sends
/// `EmailKey a@b:KEY, Basic ...` when it has both); the request is accepted if any one is
/// valid. Credentials are never logged.
package struct AuthenticationMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let authenticators: [any Authenticator]

    package init(authenticators: [any Authenticator]) {
        self.authenticators = authenticators
    }

    var acceptedSchemes: [String] {
        var schemes: [String] = []
        for scheme in authenticators.flatMap(\.schemes) where !schemes.contains(scheme) { schemes.append(scheme) }
        return schemes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let (user, authenticator) = try await authenticate(request)
        context.user = user
        context.authenticatedBy = authenticator
        context.logger[metadataKey: "user"] = "\(user.username)"
        context.caller.username = user.username
        return try await next(request, context)
    }

    private func authenticate(_ request: Request) async throws -> (User, String) {
        let schemes = acceptedSchemes
        let challenge = schemes.map { $0 == "Basic" ? "Basic realm=\"polytope\", charset=\"UTF-8\"" : $0 }.joined(separator: ", ")
        let schemeList = schemes.joined(separator: ", ")
        guard let header = request.headers[.authorization], !header.isEmpty else {
            throw AuthenticationFailure(
                message:
                    "Missing Authorization header; expected 'Authorization: <scheme> <credentials>' with a scheme this server accepts: \(schemeList).",
                challenge: challenge
            )
        }
        let credentials = Credential.parse(header: header)
        var understood = false
        for credential in credentials {
            for authenticator in authenticators where authenticator.schemes.contains(where: credential.isScheme) {
                understood = true
                do {
                    if let user = try await authenticator.authenticate(credential) { return (user, authenticator.name) }
                } catch {
                    throw PolytopeError(.unavailable, "Authentication is unavailable right now; please try again later.", cause: error)
                }
            }
        }
        if !understood {
            let given = credentials.map(\.scheme).joined(separator: ", ")
            throw AuthenticationFailure(
                message: "Unsupported authorization scheme '\(given.prefix(40))'; this server accepts: \(schemeList).",
                challenge: challenge
            )
        }
        throw AuthenticationFailure(message: "Invalid credentials.", challenge: challenge)
    }
}
