import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import Synchronization

/// Authenticates every request of the routes it guards, from the `Authorization` header.
///
/// The header may carry up to `Credential.maximumPerHeader` credentials separated by commas
/// (polytope-client sends `EmailKey a@b:KEY, Basic ...` when it has both); the request is
/// accepted if any one is valid. Failed sign-ins are counted per client address and per
/// user (`FailedLoginLimiter`): past the limit, sign-ins are refused with 429 before any
/// credential is checked. Work queued for a client that has disconnected is dropped.
/// Credentials are never logged.
package struct AuthenticationMiddleware: RouterMiddleware {
    package typealias Context = PolytopeRequestContext

    let authenticators: [any Authenticator]
    let throttle: LoginThrottle
    let metrics: PolytopeMetrics
    /// Whether a request without credentials is told to send `PRIVATE-TOKEN` (the CDS and EDR
    /// fronts) rather than `Authorization`. Every route reads `PRIVATE-TOKEN: <key>` (cdsapi,
    /// ecmwf-datastores-client) as `Authorization: Bearer <key>` when there is no
    /// `Authorization` header, so that the links those fronts hand out (`/api/v1/requests/<id>`)
    /// can be followed with the same key.
    private(set) var asksForPrivateToken = false

    /// The `PRIVATE-TOKEN` header of the CDS / OGC API - Processes clients.
    package static let privateToken = HTTPField.Name("PRIVATE-TOKEN")!

    /// The schemes the authenticators accept, each once; `WWW-Authenticate` of a refusal, and
    /// the schemes as its message lists them.
    private let schemes: [String]

    /// Whether a credential of `scheme` can be accepted (some authenticator reads it).
    package func accepts(scheme: String) -> Bool { schemes.contains { $0.lowercased() == scheme.lowercased() } }
    private let challenge: String
    private let schemeList: String

    package init(authenticators: [any Authenticator], throttle: LoginThrottle = LoginThrottle(), metrics: PolytopeMetrics = PolytopeMetrics()) {
        self.authenticators = authenticators
        self.throttle = throttle
        self.metrics = metrics
        var schemes: [String] = []
        for scheme in authenticators.flatMap(\.schemes) where !schemes.contains(scheme) { schemes.append(scheme) }
        self.schemes = schemes
        challenge = schemes.map { $0 == "Basic" ? "Basic realm=\"polytope\", charset=\"UTF-8\"" : $0 }.joined(separator: ", ")
        schemeList = schemes.joined(separator: ", ")
    }

    /// A middleware with the same failed-sign-in limiter and metrics that accepts only what
    /// `authenticators` accept (the web page's session keys).
    package func authenticating(with authenticators: [any Authenticator]) -> AuthenticationMiddleware {
        AuthenticationMiddleware(authenticators: authenticators, throttle: throttle, metrics: metrics)
    }

    /// The same middleware (same authenticators and failed-sign-in limiter) that asks a
    /// request without credentials for `PRIVATE-TOKEN`, for the CDS and EDR fronts.
    package func askingForPrivateToken() -> AuthenticationMiddleware {
        var copy = self
        copy.asksForPrivateToken = true
        return copy
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let channel = context.channel
        let (user, authenticator) = try await CallerConnection.$current.withValue(ChannelLiveness(channel: channel)) {
            try await authenticate(request, address: channel.remoteAddress?.ipAddress)
        }
        context.user = user
        context.authenticatedBy = authenticator
        context.logger[metadataKey: "user"] = "\(user.username)"
        context.caller.username = user.username
        return try await next(request, context)
    }

    private func authenticate(_ request: Request, address: String?) async throws -> (User, String) {
        let credentials: [Credential]
        if let header = request.headers[.authorization], !header.isEmpty {
            credentials = Credential.parse(header: header)
        } else if let token = request.headers[Self.privateToken], !token.isEmpty {
            credentials = [Credential(scheme: "Bearer", value: token.trimmed)]
        } else if asksForPrivateToken {
            throw AuthenticationFailure(
                message: "Missing API key; send it as 'PRIVATE-TOKEN: <key>' (the key of 'polytope login' or POST /api/v1/auth/keys).",
                challenge: challenge
            )
        } else {
            throw AuthenticationFailure(
                message:
                    "Missing Authorization header; expected 'Authorization: <scheme> <credentials>' with a scheme this server accepts: \(schemeList).",
                challenge: challenge
            )
        }
        guard credentials.count <= Credential.maximumPerHeader else {
            throw AuthenticationFailure(
                message: "The Authorization header carries \(credentials.count) credentials; at most \(Credential.maximumPerHeader) are accepted.",
                challenge: challenge
            )
        }
        return try await verify(credentials, address: address)
    }

    /// The user one of `credentials` belongs to, and the authenticator that accepted it, with
    /// the failed-sign-in limiter applied as for a header (the web page's sign-in form and
    /// session cookie come through here).
    /// - Throws: `AuthenticationFailure` (401), or `PolytopeError` 429 when throttled.
    package func verify(_ credentials: [Credential], address: String?) async throws -> (User, String) {
        let users = credentials.compactMap(\.claimedUser)
        if case .refuse(let kind, let seconds) = throttle.decide(address: address, users: users) {
            metrics.authenticationThrottled(by: kind)
            let whom = kind == "user" ? "for this user" : "from this address"
            var error = PolytopeError(.tooManyRequests, "Too many failed sign-ins \(whom); try again in \(seconds) s.")
            error.retryAfter = seconds
            throw error
        }
        // Remembered users first: an Auth-o-tron user's `Basic` credential must not cost the
        // local-user check's password hash on every request.
        for credential in credentials {
            for authenticator in authenticators where authenticator.schemes.contains(where: credential.isScheme) {
                if let user = authenticator.rememberedUser(credential) { return try accepted(user, by: authenticator.name) }
            }
        }
        var understood = false
        var uncounted: [Credential] = []
        for credential in credentials {
            var checked = false
            for authenticator in authenticators where authenticator.schemes.contains(where: credential.isScheme) {
                (understood, checked) = (true, true)
                let user: User?
                do {
                    user = try await authenticator.authenticate(credential)
                } catch let refused as CredentialRefused {
                    throw AuthenticationFailure(message: refused.message, challenge: challenge)
                } catch let error as PolytopeError where error.code == .unavailable {
                    throw error
                } catch is CancellationError {
                    throw PolytopeError(.timeout, "The client closed the connection before its credentials were checked.")
                } catch {
                    throw PolytopeError(.unavailable, "Authentication is unavailable right now; please try again later.", cause: error)
                }
                if let user { return try accepted(user, by: authenticator.name) }
            }
            if checked, credential.isGuessable {
                // A wrong password counts at once, whatever the header's other credentials: else
                // a user's own key beside it would carry unlimited guesses at another user's
                // password (the answer naming whoever signed in), and three in one header would
                // count as one.
                throttle.recordFailure(address: address, users: credential.claimedUser.map { [$0] } ?? [])
                metrics.authenticationFailed(scheme: "basic")
            } else {
                uncounted.append(credential)
            }
        }
        if !understood {
            let given = credentials.map(\.scheme).joined(separator: ", ")
            throw AuthenticationFailure(
                message: "Unsupported authorization scheme '\(given.prefix(40))'; this server accepts: \(schemeList).",
                challenge: challenge
            )
        }
        // Keys are not guessable: a wrong one (or one of a scheme nobody here reads) counts
        // only when no credential is good, so that a client sending a stale key before its
        // password (polytope-client with an old ~/.ecmwfapirc) is not throttled.
        if !uncounted.isEmpty {
            throttle.recordFailure(address: address, users: uncounted.compactMap(\.claimedUser))
        }
        for credential in uncounted {
            // Labelled only by schemes this server accepts: a client's made-up ones must not add metric series.
            let known = schemes.first(where: credential.isScheme)
            metrics.authenticationFailed(scheme: known?.lowercased() ?? "other")
        }
        throw AuthenticationFailure(message: "Invalid credentials.", challenge: challenge)
    }

    /// `user`, unless their requests could not be told from another realm's user's.
    private func accepted(_ user: User, by authenticator: String) throws -> (User, String) {
        guard user.hasValidOwner else {
            throw AuthenticationFailure(
                message: "User '\(user.username.prefix(64))' of realm '\(user.realm.prefix(64))' cannot be served: a realm may not contain '/', "
                    + "nor may the name of a user of realm local.",
                challenge: challenge)
        }
        return (user, authenticator)
    }
}

/// The failed-sign-in limiter of one process, shared by every authenticated route.
package final class LoginThrottle: Sendable {
    private let limiter: Mutex<FailedLoginLimiter>
    private let wallClock: any WallClock

    package init(policy: FailedLoginLimiter.Policy = FailedLoginLimiter.Policy(), wallClock: any WallClock = SystemWallClock()) {
        limiter = Mutex(FailedLoginLimiter(policy: policy))
        self.wallClock = wallClock
    }

    func decide(address: String?, users: [String]) -> FailedLoginLimiter.Decision {
        let now = wallClock.now()
        return limiter.withLock { $0.decide(address: address, users: users, at: now) }
    }

    func recordFailure(address: String?, users: [String]) {
        let now = wallClock.now()
        limiter.withLock { $0.recordFailure(address: address, users: users, at: now) }
    }
}

/// A request's connection as `CallerConnection` sees it.
private struct ChannelLiveness: ConnectionLiveness {
    let channel: any Channel
    /// A channel that was never active is a test harness's; only a real connection can close.
    let wasActive: Bool

    init(channel: any Channel) {
        self.channel = channel
        self.wasActive = channel.isActive
    }

    var isOpen: Bool { !wasActive || (channel.isActive && !ClientDepartures.hasDeparted(channel)) }
}
