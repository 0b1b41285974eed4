import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PolytopeHTTP
import Synchronization
import Testing

@Suite("Lists streamed page by page")
struct PagedJSONListTests {
    struct Item: Encodable, Sendable, Equatable {
        var id: Int
        var url: String
    }

    /// `count` items served from a cursor (the index of the next item), recording each fetch.
    final class Source: Sendable {
        let items: [Item]
        let fetches = Mutex<[(after: Int?, limit: Int)]>([])

        init(count: Int) {
            items = (0..<count).map { Item(id: $0, url: "http://h/x/\($0)") }
        }

        func list(pageSize: Int) -> PagedJSONList<Item, Int> {
            PagedJSONList(pageSize: pageSize, token: { String($0) }) { after, limit in
                self.fetches.withLock { $0.append((after, limit)) }
                let start = after ?? 0
                let end = min(start + limit, self.items.count)
                return (Array(self.items[start..<end]), end < self.items.count ? end : nil)
            }
        }
    }

    /// The body the route answers for `limit` and `after`.
    func body(of list: PagedJSONList<Item, Int>, after: Int? = nil, limit: Int? = nil) async throws -> String {
        try await body { try await list.response(after: after, limit: limit) }
    }

    /// The body of the response `respond` makes, as a client receives it.
    func body(_ respond: @escaping @Sendable () async throws -> Response) async throws -> String {
        let router = Router()
        router.get("list") { _, _ in try await respond() }
        let text = Mutex("")
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/list", method: .get)
            #expect(response.status == .ok && response.headers[.contentType] == "application/json")
            text.withLock { $0 = String(buffer: response.body) }
        }
        return text.withLock { $0 }
    }

    @Test("the whole list: the same bytes as one JSON response, read in pages of at most the page size")
    func wholeList() async throws {
        let source = Source(count: 1234)
        let text = try await body(of: source.list(pageSize: 500))
        let items = source.items
        #expect(text == (try await body { JSONResponse.encode(["message": items]) }))
        let fetches = source.fetches.withLock { $0 }
        #expect(fetches.map(\.after) == [nil, 500, 1000])
        #expect(fetches.map(\.limit) == [500, 500, 500])
    }

    @Test("an empty list is an empty array")
    func emptyList() async throws {
        #expect(try await body(of: Source(count: 0).list(pageSize: 10)) == #"{"message":[]}"#)
    }

    @Test("with a limit: that many items, then the cursor of the rest; none after the last item")
    func limited() async throws {
        let source = Source(count: 1000)
        let first = try await body(of: source.list(pageSize: 300), limit: 700)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect((decoded["message"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == Array(0..<700))
        #expect(decoded["next"] as? String == "700")
        #expect(source.fetches.withLock { $0.map(\.limit) } == [300, 300, 100])
        let rest = try await body(of: source.list(pageSize: 300), after: 700, limit: 700)
        let decodedRest = try #require(try JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String: Any])
        #expect((decodedRest["message"] as? [[String: Any]])?.count == 300)
        #expect(decodedRest["next"] == nil)
        let five = Source(count: 5)
        let items = five.items
        #expect(try await body(of: five.list(pageSize: 2), limit: 5) == (try await body { JSONResponse.encode(["message": items]) }))
    }
}
