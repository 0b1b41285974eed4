import PolytopeCore

/// The paging parameters of a list route, `?limit=<n>&after=<token>`, checked: `limit` is
/// 1 to `maximumLimit`, `after` a token from the `next` of an earlier page.
package struct ListPagination: Sendable, Hashable {
    /// The most items to answer; nil for all.
    package var limit: Int?
    /// Where to start; nil for the beginning.
    package var after: RequestListCursor?

    /// The largest `limit` a client may ask for.
    package static let maximumLimit = 10_000

    package init(limit: Int? = nil, after: RequestListCursor? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Parses the query values (nil when absent).
    /// - Throws: `PolytopeError.invalidRequest` naming the parameter at fault.
    package init(limit limitText: String?, after afterText: String?) throws {
        if let limitText {
            guard let value = Int(limitText), (1...Self.maximumLimit).contains(value) else {
                throw PolytopeError.invalidRequest("'limit' must be a number from 1 to \(Self.maximumLimit).")
            }
            limit = value
        }
        if let afterText {
            guard let cursor = RequestListCursor(token: afterText) else {
                throw PolytopeError.invalidRequest("'after' must be the 'next' value of an earlier page of this list.")
            }
            after = cursor
        }
    }
}
