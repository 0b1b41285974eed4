import PolytopeCore

/// Why a grid description cannot be used: a grid type, scanning mode or combination of keys
/// this engine does not read, or keys that contradict each other.
package struct GridGeometryError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var userMessage: String { message }
    package var description: String { message }
}

extension GridGeometryError {
    /// A request that cannot be served (HTTP 400): features cannot be cut from this grid.
    package var polytopeError: PolytopeError { .invalidRequest("features cannot be extracted from this data: \(message)") }
}
