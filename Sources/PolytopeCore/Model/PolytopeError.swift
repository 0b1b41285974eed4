/// An error whose message is meant for the user who sent the request.
///
/// Only errors of this kind are shown to users verbatim; anything else is logged and reported
/// as an internal error, so that internals never leak to clients.
package protocol UserFacingError: Error {
    var userMessage: String { get }
}

/// The one error type of the domain: what went wrong (a `Code`) and a message for the user.
///
/// The frontend maps codes to HTTP statuses in one place; nothing below it speaks HTTP.
package struct PolytopeError: UserFacingError, Sendable, CustomStringConvertible {
    /// The category of an error; each maps to one HTTP status.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidRequest, unauthenticated, forbidden, notFound, conflict, unprocessable, tooLarge, tooManyRequests, timeout
            case internalError
            case unavailable
        }
        private let base: Base

        /// The request is malformed or cannot be served (HTTP 400).
        package static let invalidRequest = Code(base: .invalidRequest)
        /// No valid credentials (HTTP 401).
        package static let unauthenticated = Code(base: .unauthenticated)
        /// Valid credentials, but not allowed (HTTP 403).
        package static let forbidden = Code(base: .forbidden)
        /// No such thing, or not the caller's (HTTP 404).
        package static let notFound = Code(base: .notFound)
        /// The thing is not in a state that allows the operation (HTTP 409).
        package static let conflict = Code(base: .conflict)
        /// Well-formed, but contradicts what the caller sent before, e.g. an idempotency key
        /// reused for a different request (HTTP 422).
        package static let unprocessable = Code(base: .unprocessable)
        /// The request body is over a configured limit (HTTP 413).
        package static let tooLarge = Code(base: .tooLarge)
        /// The caller must slow down: a rate or queue limit (HTTP 429).
        package static let tooManyRequests = Code(base: .tooManyRequests)
        /// The client took too long to send its request (HTTP 408).
        package static let timeout = Code(base: .timeout)
        /// A fault of the service, not of the caller (HTTP 500).
        package static let internalError = Code(base: .internalError)
        /// A backend is temporarily unreachable (HTTP 503).
        package static let unavailable = Code(base: .unavailable)

        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    /// Seconds after which trying again makes sense (`Retry-After`), for 429 and 503.
    package var retryAfter: Int?
    /// The underlying error, for logs only.
    package var cause: (any Error)?

    package init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    package var userMessage: String { message }

    package var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }

    package static func invalidRequest(_ message: String) -> PolytopeError { .init(.invalidRequest, message) }
    package static func notFound(_ message: String) -> PolytopeError { .init(.notFound, message) }
    package static func forbidden(_ message: String) -> PolytopeError { .init(.forbidden, message) }
}
