import PolytopeCore

/// Why packed values cannot be read: parameters out of range, or bytes that do not match the plan.
package struct SimplePackingError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

extension SimplePackingError {
    /// What the user sees: a fault of the data or the service (HTTP 500), details in the logs.
    package var userMessage: String { "the packed values of a field cannot be decoded; the operator has the details in the logs" }

    /// An internal error (HTTP 500) carrying this one for the logs.
    package var polytopeError: PolytopeError { PolytopeError(.internalError, userMessage, cause: self) }
}
