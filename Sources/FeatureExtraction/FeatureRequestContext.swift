/// The MARS keys of the request that a feature interacts with, as plain values.
///
/// A timeseries must not name its steps twice (a `range` and a `step` key), a vertical
/// profile likewise its levels; a trajectory takes one step only. Values are the request's
/// values as written or expanded (`["0", "6", "12"]`, or `["0", "to", "48"]`): only whether a
/// key is present and how many values it has are looked at.
package struct FeatureRequestContext: Hashable, Sendable {
    /// Each MARS key of the request (not `feature`), with its values.
    package var keys: [String: [String]]

    package init(keys: [String: [String]] = [:]) {
        self.keys = keys
    }

    /// Builds the context from MARS text values (`"0/to/48/by/6"`), split at `/`.
    package init(marsText: [String: String]) {
        keys = marsText.mapValues { $0.split(separator: "/").map { String($0) } }
    }

    /// Whether the request names `key`.
    package func names(_ key: String) -> Bool { keys[key] != nil }

    /// Whether the request gives `key` more than one value (a list or a range).
    package func hasSeveralValues(_ key: String) -> Bool { (keys[key]?.count ?? 0) > 1 }
}
