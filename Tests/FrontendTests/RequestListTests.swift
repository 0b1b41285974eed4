import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PolytopeCore
import PolytopeServer
import PolytopeTestSupport
import Testing

@Suite("REST API: lists of requests")
struct RequestListTests {
    /// `count` waiting requests of alice, in arrival order (half in `debug`, half in `public`).
    static func fill(_ server: TestServer, count: Int) async throws -> [RequestRecord] {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let records = (0..<count).map { index in
            Fixtures.record(user: Fixtures.alice, collection: index % 2 == 0 ? "debug" : "public", at: start.addingTimeInterval(Double(index)))
        }
        for record in records { try await server.server.store.insert(record) }
        return records
    }

    static func ids(_ response: TestResponse) throws -> [String] {
        try #require(try json(response)["message"] as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    @Test("the whole list, as polytope-client reads it, spans many store pages and keeps its format")
    func wholeList() async throws {
        let server = try await TestServer(roles: [.frontend])
        try await server.test { client in
            let records = try await Self.fill(server, count: 1203)
            let response = try await client.execute(uri: "/api/v1/requests", method: .get, headers: alice)
            #expect(response.status == .ok && response.headers[.contentType] == "application/json")
            let body = try json(response)
            #expect(Array(body.keys) == ["message"])
            let entries = try #require(body["message"] as? [[String: Any]])
            #expect(entries.compactMap { $0["id"] as? String } == records.map(\.id.description))
            #expect(
                Set(entries[0].keys) == [
                    "id", "status", "verb", "collection", "datasource", "user_request", "user_message", "timestamp",
                    "last_modified", "attempts", "status_history", "queue",
                ], "waiting requests say why in `queue`")
            #expect(entries[0]["status"] as? String == "waiting" && entries[0]["verb"] as? String == "retrieve")
            let debug = try await client.execute(uri: "/api/v1/requests/debug", method: .get, headers: alice)
            #expect(try Self.ids(debug) == records.filter { $0.collection == "debug" }.map(\.id.description))
            #expect(try Self.ids(try await client.execute(uri: "/api/v1/requests", method: .get, headers: bob)).isEmpty)
        }
    }

    @Test("?limit= answers one page and the cursor of the next; ?after= continues; bad values are 400")
    func pages() async throws {
        let server = try await TestServer(roles: [.frontend])
        try await server.test { client in
            let records = try await Self.fill(server, count: 25)
            var seen: [String] = []
            var uri = "/api/v1/requests?limit=10"
            var pages = 0
            while true {
                let response = try await client.execute(uri: uri, method: .get, headers: alice)
                #expect(response.status == .ok)
                let page = try Self.ids(response)
                #expect(page.count <= 10)
                seen += page
                pages += 1
                guard let next = try json(response)["next"] as? String else { break }
                uri = "/api/v1/requests?limit=10&after=\(next)"
            }
            #expect(pages == 3)
            #expect(seen == records.map(\.id.description))
            let debug = try await client.execute(uri: "/api/v1/requests/debug?limit=5", method: .get, headers: alice)
            #expect(try Self.ids(debug) == records.filter { $0.collection == "debug" }.prefix(5).map(\.id.description))
            for bad in ["limit=0", "limit=10001", "limit=x", "after=-1", "after=abc"] {
                let response = try await client.execute(uri: "/api/v1/requests?\(bad)", method: .get, headers: alice)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test("operators page through every user's requests, newest first")
    func operatorPages() async throws {
        let server = try await TestServer(roles: [.frontend, .telemetry])
        try await server.test { client in
            let records = try await Self.fill(server, count: 7)
            let first = try await client.execute(uri: "/telemetry/v1/requests?limit=4", method: .get, headers: root)
            #expect(try Self.ids(first) == records.reversed().prefix(4).map(\.id.description))
            let next = try #require(try json(first)["next"] as? String)
            let rest = try await client.execute(uri: "/telemetry/v1/requests?limit=4&after=\(next)", method: .get, headers: root)
            #expect(try Self.ids(rest) == records.reversed().suffix(3).map(\.id.description))
            #expect(try json(rest)["next"] == nil)
            let all = try await client.execute(uri: "/telemetry/v1/requests", method: .get, headers: root)
            #expect(try Self.ids(all).count == 7 && (try json(all)["next"]) == nil)
        }
    }
}
