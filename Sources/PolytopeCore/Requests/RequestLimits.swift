/// The bounds every request is held to, whatever its form (a JSON object, YAML, JSON or MARS
/// text). Parsers check them while they read, so that a hostile request is refused after a
/// small amount of work instead of after building a huge structure.
package struct RequestLimits: Sendable, Hashable {
    /// The deepest nesting of lists and mappings.
    package var maximumNesting: Int
    /// The most values (keys, list items, nested members) in one request.
    package var maximumValues: Int
    /// The most keys of the request, and the most members of any mapping inside it.
    package var maximumKeys: Int

    package init(maximumNesting: Int = 32, maximumValues: Int = 100_000, maximumKeys: Int = 1_000) {
        self.maximumNesting = maximumNesting
        self.maximumValues = maximumValues
        self.maximumKeys = maximumKeys
    }

    /// The error for a request nested too deeply.
    package var nestingExceeded: PolytopeError {
        PolytopeError.invalidRequest("The request is nested more than \(maximumNesting) levels deep (limit max-request-nesting).")
    }

    /// The error for a request with too many values.
    var valuesExceeded: PolytopeError {
        PolytopeError.invalidRequest("The request has more than \(maximumValues) values (limit max-request-values).")
    }

    /// The error for a request, or a mapping in it, with too many keys.
    var keysExceeded: PolytopeError {
        PolytopeError.invalidRequest("The request has more than \(maximumKeys) keys in one mapping (limit max-request-keys).")
    }

    /// Counts down the values a parser may still accept.
    struct Budget {
        let limits: RequestLimits
        private(set) var remaining: Int

        init(_ limits: RequestLimits) {
            self.limits = limits
            self.remaining = limits.maximumValues
        }

        /// Takes `count` values from the budget.
        /// - Throws: when the request has more values than the limit.
        mutating func spend(_ count: Int = 1) throws {
            remaining -= count
            if remaining < 0 { throw limits.valuesExceeded }
        }
    }
}
