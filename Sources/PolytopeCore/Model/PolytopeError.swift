/// An error whose message is meant for the user who sent the request.
///
/// Only errors of this kind are shown to users verbatim; anything else is logged and reported
/// as an internal error, so that internals never leak to clients.
public protocol UserFacingError: Error {
    var userMessage: String { get }
}

/// The one error type of the domain: what went wrong (a `Code`) and a message for the user.
///
/// The frontend maps codes to HTTP statuses in one place; nothing below it speaks HTTP.
public struct PolytopeError: UserFacingError, Sendable, CustomStringConvertible {
    /// The category of an error; each maps to one HTTP status.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidRequest, unauthenticated, forbidden, notFound, conflict, tooLarge, internalError, unavailable
        }
        private let base: Base

        /// The request is malformed or cannot be served (HTTP 400).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// No valid credentials (HTTP 401).
        public static let unauthenticated = Code(base: .unauthenticated)
        /// Valid credentials, but not allowed (HTTP 403).
        public static let forbidden = Code(base: .forbidden)
        /// No such thing, or not the caller's (HTTP 404).
        public static let notFound = Code(base: .notFound)
        /// The thing is not in a state that allows the operation (HTTP 409).
        public static let conflict = Code(base: .conflict)
        /// The request body is over a configured limit (HTTP 413).
        public static let tooLarge = Code(base: .tooLarge)
        /// A fault of the service, not of the caller (HTTP 500).
        public static let internalError = Code(base: .internalError)
        /// A backend is temporarily unreachable (HTTP 503).
        public static let unavailable = Code(base: .unavailable)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The underlying error, for logs only.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var userMessage: String { message }

    public var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }

    public static func invalidRequest(_ message: String) -> PolytopeError { .init(.invalidRequest, message) }
    public static func notFound(_ message: String) -> PolytopeError { .init(.notFound, message) }
    public static func forbidden(_ message: String) -> PolytopeError { .init(.forbidden, message) }
}
