import PolytopeCore

/// Why a feature cannot be answered on a grid: each requested point outside a limited-area
/// grid, named with the grid's extent (points are never moved to the grid's edge).
package struct GridSelectionError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    package var problems: [String]

    package init(problems: [String]) {
        self.problems = problems
    }

    /// All problems separated by `; ` (the first 20, then a count).
    package var userMessage: String {
        var message = problems.prefix(20).joined(separator: "; ")
        if problems.count > 20 { message += "; and \(problems.count - 20) more" }
        return message
    }

    package var description: String { userMessage }
}

extension GridSelectionError {
    /// A bad request (HTTP 400): the points are not on the data's grid.
    package var polytopeError: PolytopeError { .invalidRequest(userMessage) }
}
