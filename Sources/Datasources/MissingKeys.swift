import PolytopeCore

extension PolytopeError {
    /// The 400 for a request that lacks keys a datasource needs: "key 'date' is required
    /// (<reason>)", or "keys 'date', 'param' are required (<reason>)".
    static func missingKeys(_ keys: [String], because reason: String) -> PolytopeError {
        let list = keys.map { "'\($0)'" }.joined(separator: ", ")
        return .invalidRequest("key\(keys.count == 1 ? "" : "s") \(list) \(keys.count == 1 ? "is" : "are") required (\(reason))")
    }
}
