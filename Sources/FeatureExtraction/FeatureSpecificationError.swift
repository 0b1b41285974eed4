import PolytopeCore

/// Everything wrong with a request's `feature` block, found in one pass, for one 400 answer.
///
/// The message names each problem's place: `feature.points[2]: latitude 95 is outside
/// [-90, 90]; feature.pionts: unknown key (did you mean 'points'?)`.
package struct FeatureSpecificationError: UserFacingError, Hashable, Sendable, CustomStringConvertible {
    /// One problem: where in the feature block, and what is wrong.
    package struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// A path such as `feature.shape[1][3]`.
        package var path: String
        package var message: String

        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        package var description: String { "\(path): \(message)" }
    }

    /// The most problems written out in full; the rest are counted.
    package static let listedProblemLimit = 20

    /// Every problem, in the order found (request order).
    package var problems: [Problem]

    package init(problems: [Problem]) {
        self.problems = problems
    }

    /// All problems, separated by `; ` (at most `listedProblemLimit`, then a count).
    package var userMessage: String {
        var message = problems.prefix(Self.listedProblemLimit).map(\.description).joined(separator: "; ")
        let unlisted = problems.count - Self.listedProblemLimit
        if unlisted > 0 { message += "; and \(unlisted) more problem\(unlisted == 1 ? "" : "s")" }
        return message
    }

    package var description: String { userMessage }
}

extension FeatureSpecificationError {
    /// A bad request (HTTP 400) with every problem listed.
    package var polytopeError: PolytopeError { .invalidRequest(userMessage) }
}
