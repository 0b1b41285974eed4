import Hummingbird
import NIOCore
import PolytopeCore
import Synchronization

/// The request context of every route: Hummingbird's core storage plus the authenticated user.
public struct PolytopeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`; nil on routes that need no authentication.
    public var user: User?
    /// The name of the authenticator that accepted the user (`plain`, `api-key`, `auth-o-tron`).
    public var authenticatedBy: String?
    /// The connection the request came on (to wait for a response to be flushed).
    public let channel: any Channel
    /// Who made the request, for the access log: written by the authentication middleware,
    /// read by the outer middleware that writes the log line (which holds an earlier copy of
    /// this context, so it needs a shared box).
    public let caller = Caller()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.user = nil
        self.authenticatedBy = nil
        self.channel = source.channel
    }

    /// A shared, thread-safe slot for the authenticated user's name.
    public final class Caller: Sendable {
        private let name = Mutex<String?>(nil)

        public var username: String? {
            get { name.withLock { $0 } }
            set { name.withLock { $0 = newValue } }
        }
    }

    /// The authenticated user; throws if the route was reached without authentication.
    public func requireUser() throws -> User {
        guard let user else { throw PolytopeError(.unauthenticated, "Authentication is required.") }
        return user
    }
}
