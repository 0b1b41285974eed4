/// One `match` rule of a datasource: the values a request key may take.
///
/// A request matches when it has the key and every value it gives is allowed
/// (compared without regard to case). An empty `allowed` list means the key must be absent.
package struct MatchRule: Sendable, Hashable {
    package var key: String
    package var allowed: [String]

    package init(key: String, allowed: [String]) {
        self.key = key.lowercased()
        self.allowed = allowed
    }

    /// Why `request` breaks this rule, or nil if it obeys it.
    package func violation(in request: RequestDocument) -> String? {
        let value = request[key]
        if allowed.isEmpty {
            return value == nil ? nil : "key '\(key)' must not be given"
        }
        let allowedText = allowed.joined(separator: "/")
        guard let value else {
            return "key '\(key)' is required (allowed: \(allowedText))"
        }
        guard let words = value.words, !words.isEmpty else {
            return "key '\(key)' must be one of \(allowedText)"
        }
        let allowedSet = Set(allowed.map { $0.lowercased() })
        let refused = words.filter { !allowedSet.contains($0.lowercased()) }
        guard refused.isEmpty else {
            let verb = refused.count == 1 ? "is" : "are"
            return "\(key)=\(refused.joined(separator: "/")) \(verb) not allowed (allowed: \(allowedText))"
        }
        return nil
    }
}
