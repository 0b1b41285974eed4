import Foundation

/// A collection's request language: it turns each request into its canonical form before
/// the datasources are offered it (for MARS: ranges expanded; dates, times, steps and
/// parameters written one way), so that match rules, defaults and datasources see one
/// spelling of every value.
package protocol RequestLanguage: Sendable {
    /// The canonical form of `document`.
    /// - Throws: `PolytopeError.invalidRequest` naming every key and value at fault.
    func normalise(_ document: RequestDocument, verb: Verb, now: Date) throws -> RequestDocument
}

/// A condition on one key's values that a list of allowed values cannot express, such as a
/// window of dates relative to today.
package struct ValueCheck: Sendable {
    package var key: String
    /// How the condition reads in messages (for example `>30d`).
    package var summary: String
    /// Why `values` are refused at `now`, or nil when they are allowed.
    package var violation: @Sendable (_ values: [String], _ now: Date) -> String?

    package init(key: String, summary: String, violation: @escaping @Sendable (_ values: [String], _ now: Date) -> String?) {
        self.key = key.lowercased()
        self.summary = summary
        self.violation = violation
    }

    /// Why `request` breaks this condition, or nil if it obeys it.
    package func violation(in request: RequestDocument, now: Date) -> String? {
        guard let value = request[key] else { return "key '\(key)' is required (allowed: \(summary))" }
        guard let words = value.words else { return "key '\(key)' must be \(summary)" }
        return violation(words, now).map { "\(key): \($0)" }
    }
}
