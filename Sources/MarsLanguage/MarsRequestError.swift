import PolytopeCore

/// Everything wrong with one request, found in a single pass, for one 400 answer.
///
/// The message names each key and value: `date: '2024-13-01' is not a date (expected ...);
/// step: '6x' is not a step (...)`. At most `MarsRequestError.listedProblemLimit` problems are
/// listed; the rest are counted.
package struct MarsRequestError: UserFacingError, Sendable, Hashable, CustomStringConvertible {
    /// One problem: the key, the value at fault (if one is), and what is wrong with it.
    package struct Problem: Sendable, Hashable, CustomStringConvertible {
        package var key: String
        package var value: String?
        /// Completes `key: 'value' ...`, e.g. `is not a date (expected YYYYMMDD ...)`.
        package var reason: String

        package init(key: String, value: String? = nil, reason: String) {
            self.key = key
            self.value = value
            self.reason = reason
        }

        /// `key: 'value' reason`, or `key: reason` without a value.
        package var description: String {
            guard let value else { return "\(key): \(reason)" }
            return "\(key): '\(Self.shortened(value))' \(reason)"
        }

        /// Values in messages are cut at 60 characters, so a hostile value cannot make the
        /// message huge.
        static func shortened(_ value: String) -> String {
            value.count <= 60 ? value : value.prefix(57) + "..."
        }
    }

    /// The most problems written out in full.
    package static let listedProblemLimit = 20

    /// The problems listed, in request order.
    package private(set) var problems: [Problem]
    /// Problems found beyond `listedProblemLimit`, counted only.
    package private(set) var unlistedProblemCount: Int

    package init(problems: [Problem] = []) {
        self.problems = []
        self.unlistedProblemCount = 0
        for problem in problems { append(problem) }
    }

    /// Records a problem (or only counts it, past the limit).
    package mutating func append(_ problem: Problem) {
        if problems.count < Self.listedProblemLimit {
            problems.append(problem)
        } else {
            unlistedProblemCount += 1
        }
    }

    /// The number of problems, listed or not.
    package var count: Int { problems.count + unlistedProblemCount }

    /// Whether there is nothing wrong.
    package var isEmpty: Bool { problems.isEmpty }

    /// All problems, separated by `; `.
    package var userMessage: String {
        var message = problems.map(\.description).joined(separator: "; ")
        if unlistedProblemCount > 0 {
            message += "; and \(unlistedProblemCount) more problem\(unlistedProblemCount == 1 ? "" : "s")"
        }
        return message
    }

    package var description: String { userMessage }

    /// The same message as the domain's error for a bad request (HTTP 400).
    package var polytopeError: PolytopeError { .invalidRequest(userMessage) }
}
