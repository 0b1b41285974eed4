import Hummingbird
import NIOCore
import PolytopeCore

/// The request context of every route: Hummingbird's core storage plus the authenticated user.
public struct PolytopeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`; nil on routes that need no authentication.
    public var user: User?
    /// The name of the authenticator that accepted the user (`plain`, `api-key`, `auth-o-tron`).
    public var authenticatedBy: String?
    /// The connection the request came on (to wait for a response to be flushed).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.user = nil
        self.authenticatedBy = nil
        self.channel = source.channel
    }

    /// The authenticated user; throws if the route was reached without authentication.
    public func requireUser() throws -> User {
        guard let user else { throw PolytopeError(.unauthenticated, "Authentication is required.") }
        return user
    }
}
