import Hummingbird
import NIOCore
import PolytopeCore
import Synchronization

/// The request context of every route: Hummingbird's core storage plus the authenticated user.
package struct PolytopeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`; nil on routes that need no authentication.
    package var user: User?
    /// The name of the authenticator that accepted the user (`plain`, `api-key`, `auth-o-tron`).
    package var authenticatedBy: String?
    /// The request id whose download a signed link grants (no user then).
    package var grantedDownload: String?
    /// Whether the client asked `HEAD` of a `GET` route (`HeadAnsweringResponder`), which
    /// then runs as a `GET`.
    package var answersHead = false

    /// The method the client sent (for the access log and the metrics): `HEAD` where
    /// `HeadAnsweringResponder` runs it as a `GET`.
    package func clientMethod(of request: Request) -> HTTPRequest.Method {
        answersHead ? .head : request.method
    }
    /// The connection the request came on (to wait for a response to be flushed).
    package let channel: any Channel
    /// Who made the request, for the access log: written by the authentication middleware,
    /// read by the outer middleware that writes the log line (which holds an earlier copy of
    /// this context, so it needs a shared box).
    package let caller = Caller()

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.user = nil
        self.authenticatedBy = nil
        self.grantedDownload = nil
        self.channel = source.channel
    }

    /// A shared, thread-safe slot for the authenticated user's name.
    package final class Caller: Sendable {
        private let name = Mutex<String?>(nil)

        package var username: String? {
            get { name.withLock { $0 } }
            set { name.withLock { $0 = newValue } }
        }
    }

    /// The authenticated user; throws if the route was reached without authentication.
    package func requireUser() throws -> User {
        guard let user else { throw PolytopeError(.unauthenticated, "Authentication is required.") }
        return user
    }
}
