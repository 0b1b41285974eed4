import Foundation
import Hummingbird
import PolytopeCore

/// A JSON list response, `{"message": [...]}`, whose array is read page by page (from a
/// store cursor) and written while it is read, so memory does not grow with the list.
///
/// The bytes are those `JSONResponse.encode(["message": items])` would write for the same
/// items. With a `limit`, a list that has more items after the last one written ends with
/// `"next": "<token>"`, the cursor to ask for the rest with.
package struct PagedJSONList<Item: Encodable & Sendable, Cursor: Sendable>: Sendable {
    /// One page: at most `limit` items after `after` (from the start without one), and where
    /// the next page starts (nil after the last item).
    package typealias Fetch = @Sendable (_ after: Cursor?, _ limit: Int) async throws -> (items: [Item], next: Cursor?)

    let pageSize: Int
    let token: @Sendable (Cursor) -> String
    let fetch: Fetch

    /// - Parameters:
    ///   - pageSize: the most items read (and held) at once.
    ///   - token: a cursor as clients write it (`?after=`).
    package init(pageSize: Int = 500, token: @escaping @Sendable (Cursor) -> String, fetch: @escaping Fetch) {
        self.pageSize = max(1, pageSize)
        self.token = token
        self.fetch = fetch
    }

    /// The response listing the items after `start`: at most `limit`, or all without one.
    ///
    /// The first page is read before the response exists, so that a store that fails at
    /// once is answered with an error status; a failure after that ends the body early (the
    /// client sees a truncated answer and a closed connection).
    package func response(after start: Cursor?, limit: Int?) async throws -> Response {
        let first = try await fetch(start, Swift.min(pageSize, limit ?? .max))
        let (pageSize, token, fetch) = (pageSize, token, fetch)
        let body = ResponseBody { writer in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            var page = first
            var remaining = limit.map { $0 - first.items.count }
            var buffer = ByteBuffer(string: #"{"message":["#)
            var separator = ""
            while true {
                if !page.items.isEmpty {
                    // "[a,b]" without its brackets, after the previous page's items.
                    let encoded = try encoder.encode(page.items)
                    buffer.writeString(separator)
                    buffer.writeBytes(encoded.dropFirst().dropLast())
                    separator = ","
                }
                try await writer.write(buffer)
                buffer.clear()
                guard let next = page.next, remaining.map({ $0 > 0 }) ?? true else { break }
                page = try await fetch(next, Swift.min(pageSize, remaining ?? .max))
                remaining = remaining.map { $0 - page.items.count }
            }
            buffer.writeString("]")
            if limit != nil, let next = page.next {
                buffer.writeString(#","next":"# + JSONText.string(token(next)))
            }
            buffer.writeString("}")
            try await writer.write(buffer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }
}
