import PolytopeCore

/// Why an answer cannot be written: fields without the keys a coverage needs, or values that
/// do not fit the plan (a field delivered twice, values not matching their selection).
package struct CoverageEncodingError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}

extension CoverageEncodingError {
    /// What the user sees: a fault of the service (HTTP 500), details in the logs.
    package var userMessage: String { "the CoverageJSON answer cannot be written; the operator has the details in the logs" }

    /// An internal error (HTTP 500) carrying this one for the logs.
    package var polytopeError: PolytopeError { PolytopeError(.internalError, userMessage, cause: self) }
}
