import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PolytopeCore
import PolytopeHTTP

/// Sessions of the web page.
///
/// Signing in (user and password, or an API key, checked as the API checks credentials)
/// issues a short-lived API key labelled `web session`, kept only in an `HttpOnly`,
/// `SameSite=Strict` cookie whose path is the page's (`/ui`, or under the public URL's path):
/// the page's scripts never see it, it is never in a URL or in local storage, and the page
/// accepts no other key. It authenticates as any key does (the user as they are *now*;
/// refused once they are removed, and counted by the failed-sign-in limiter). It works with
/// API keys turned off too; the API then refuses it. Signing out revokes it. Forms that change
/// anything carry a token derived from the session key (`csrfToken`), and a browser's
/// request from another origin is refused.
struct WebSessions: Sendable {
    static let cookieName = "polytope_session"
    /// The header the page's script sends when it fetches a page to update it in place.
    static let fragmentHeader = HTTPField.Name("X-Polytope-Fragment")!

    /// Checks sign-in credentials, as the API does.
    let authentication: AuthenticationMiddleware
    /// Issues session keys and revokes them.
    let issuer: any APIKeyIssuing
    /// Checks session keys (only those), with the API's failed-sign-in limiter.
    let sessionAuthentication: AuthenticationMiddleware
    let lifetime: Duration
    /// Where the page lives as browsers see it (the cookie's path, the sign-in page).
    var paths = WebPaths()

    init(authentication: AuthenticationMiddleware, sessionKeys: any APIKeyIssuing & Authenticator, lifetime: Duration, paths: WebPaths = WebPaths()) {
        self.authentication = authentication
        self.issuer = sessionKeys
        self.sessionAuthentication = authentication.authenticating(with: [sessionKeys])
        self.lifetime = lifetime
        self.paths = paths
    }

    /// Checks what the sign-in form gave (an API key, else user and password) and starts a
    /// session: the user and the session key for the cookie.
    /// - Throws: `AuthenticationFailure`, or `PolytopeError` 429 when sign-ins are throttled.
    ///
    /// A session started with an API key ends when that key does: it expires no later, and is
    /// revoked with it (`web session via key <id>`). A session's own key starts no other. A
    /// user keeps at most `maximumSessionsPerUser` sessions; the oldest end first.
    func signIn(username: String, password: String, apiKey: String, address: String?) async throws -> (user: User, key: String) {
        let credential: Credential
        if !apiKey.isEmpty {
            credential = Credential(scheme: "Bearer", value: apiKey)
        } else {
            credential = Credential(scheme: "Basic", value: Data("\(username):\(password)".utf8).base64EncodedString())
        }
        let (user, _) = try await authentication.verify([credential], address: address)
        // An API key of this server (not an Auth-o-tron token) bounds the session it starts.
        let startedWith = apiKey.isEmpty ? nil : try await issuer.record(ofKey: apiKey)
        if startedWith?.isWebSession == true {
            throw AuthenticationFailure(
                message: "A web page session's key cannot start another session; sign in with your password or an API key.",
                challenge: "Bearer")
        }
        var lifetime = self.lifetime
        if let startedWith {
            lifetime = min(lifetime, .seconds(max(1, Int(startedWith.expiresAt.timeIntervalSinceNow))))
        }
        let label = APIKeyRecord.webSessionLabel(startedWithKey: startedWith?.id)
        let (key, _) = try await issuer.issueKey(for: user, label: label, lifetime: lifetime)
        _ = try await issuer.revokeOldSessions(of: user, keeping: Self.maximumSessionsPerUser)
        return (user, key)
    }

    /// The most sessions a user keeps: a new one ends the oldest beyond it (a browser per
    /// device, and a few forgotten ones).
    static let maximumSessionsPerUser = 20

    /// The user of a session key.
    func user(ofSession key: String, address: String?) async throws -> User {
        try await sessionAuthentication.verify([Credential(scheme: "Bearer", value: key)], address: address).0
    }

    func signOut(session key: String) async throws {
        try await issuer.revokeKey(key)
    }

    /// The `Set-Cookie` value that holds a session.
    func cookie(holding key: String, secure: Bool) -> String {
        "\(Self.cookieName)=\(key); Path=\(paths.ui); Max-Age=\(Int(lifetime.timeInterval)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that removes the session cookie.
    func clearedCookie(secure: Bool) -> String {
        "\(Self.cookieName)=; Path=\(paths.ui); Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The session key the browser sent, if any.
    static func sessionKey(of request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, !value.isEmpty, value.utf8.count <= 256 else { return nil }
        return value
    }

    /// The anti-forgery token of the forms of a session: a hash of the session key, so
    /// another site can neither read nor compute it.
    static func csrfToken(session key: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array("polytope-web-form\u{0}\(key)".utf8)).prefix(18)))
    }

    /// Whether a browser's request comes from a page of this server (see the static form).
    func isSameOrigin(_ request: Request) -> Bool {
        Self.isSameOrigin(request, publicOrigin: paths.publicOrigin)
    }

    /// Whether a browser's request comes from a page of this server: no `Origin` (not a
    /// cross-origin browser request), the origin of the public URL (the proxy's), or one
    /// whose host is the request's own `Host`.
    static func isSameOrigin(_ request: Request, publicOrigin: String? = nil) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        if let publicOrigin, origin.lowercased() == publicOrigin { return true }
        guard let host = request.head.authority, let url = URL(string: origin), let originHost = url.host else {
            return false
        }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }

    /// Whether the browser reached the server over HTTPS (directly or through a proxy that
    /// says so), so that cookies are marked `Secure`.
    static func isSecure(_ request: Request, publicURL: String?) -> Bool {
        if let publicURL { return publicURL.lowercased().hasPrefix("https://") }
        return request.head.scheme == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

/// Puts the user of the session cookie in the context of the web page's routes; without a
/// valid session, a page is redirected to the sign-in form (a script's update gets 401).
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = PolytopeRequestContext
    let sessions: WebSessions
    let publicURL: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = WebSessions.sessionKey(of: request) else { return signInFirst(request, clearing: false) }
        let user: User
        do {
            user = try await sessions.user(ofSession: key, address: context.channel.remoteAddress?.ipAddress)
        } catch is AuthenticationFailure {
            return signInFirst(request, clearing: true)
        }
        var context = context
        context.user = user
        context.authenticatedBy = "web-session"
        context.logger[metadataKey: "user"] = "\(user.username)"
        context.caller.username = user.username
        return try await next(request, context)
    }

    private func signInFirst(_ request: Request, clearing: Bool) -> Response {
        var response: Response
        if request.headers[WebSessions.fragmentHeader] != nil {
            response = Response(status: .unauthorized)
        } else {
            response = Response(status: .seeOther, headers: [.location: sessions.paths.signIn])
        }
        if clearing {
            response.headers[.setCookie] = sessions.clearedCookie(secure: WebSessions.isSecure(request, publicURL: publicURL))
        }
        return response
    }
}
