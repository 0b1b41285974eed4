import PolytopeCore

/// Why an answer cannot be written: fields without the keys a coverage needs, or values that
/// do not fit the plan (a field delivered twice, values not matching their selection) — faults
/// of the service — or fields of one coverage on different grids, which the request asked for
/// together and must ask for separately.
package struct CoverageEncodingError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    /// Whose the fault is.
    package enum Kind: Hashable, Sendable {
        /// The service's (HTTP 500): the details are for the logs.
        case internalFault
        /// The request's (HTTP 400): fields of one MultiPoint or Trajectory coverage lie on
        /// different grids; the message says which and what to do.
        case fieldsOnDifferentGrids
    }

    package var kind: Kind
    package var message: String

    package init(_ message: String, kind: Kind = .internalFault) {
        self.message = message
        self.kind = kind
    }

    package var description: String { message }
}

extension CoverageEncodingError {
    /// What the user sees: for a fault of the service, that it is one (details in the logs);
    /// for fields on different grids, the message itself.
    package var userMessage: String {
        switch kind {
        case .internalFault: "the CoverageJSON answer cannot be written; the operator has the details in the logs"
        case .fieldsOnDifferentGrids: message
        }
    }

    /// An internal error (HTTP 500) carrying this one for the logs, or a bad request (HTTP 400)
    /// for fields on different grids.
    package var polytopeError: PolytopeError {
        switch kind {
        case .internalFault: PolytopeError(.internalError, userMessage, cause: self)
        case .fieldsOnDifferentGrids: .invalidRequest(message)
        }
    }
}
