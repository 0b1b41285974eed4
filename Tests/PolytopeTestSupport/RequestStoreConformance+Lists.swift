import Foundation
import PolytopeCore

extension RequestStoreConformance {
    /// Lists read in pages after a cursor: what the frontend streams and operators page through.
    static let listChecks: [Check] = [
        Check(description: "a user's list pages after a cursor: no overlap, no gap, the last page says so") { store in
            let records = (0..<7).map { Fixtures.record(user: Fixtures.alice, at: t0 + Double($0)) }
            for record in records { try await store.insert(record) }
            try await store.insert(Fixtures.record(user: Fixtures.bob, at: t0 + 100))
            let first = try await store.requests(ofUser: "alice", collection: nil, after: nil, limit: 3)
            try expect(first.records.map(\.id) == records.prefix(3).map(\.id), "first page: \(first.records.map(\.id))")
            let cursor = try require(first.next, "a cursor after a full page with more to come")
            let second = try await store.requests(ofUser: "alice", collection: nil, after: cursor, limit: 3)
            try expect(second.records.map(\.id) == records[3..<6].map(\.id) && second.next != nil, "second page")
            let last = try await store.requests(ofUser: "alice", collection: nil, after: second.next, limit: 3)
            try expect(last.records.map(\.id) == [records[6].id] && last.next == nil, "the last page has no cursor")
            let exact = try await store.requests(ofUser: "alice", collection: nil, after: nil, limit: 7)
            try expect(exact.records.count == 7 && exact.next == nil, "a page holding exactly the rest has no cursor")
            try expect(try await listed(store, "alice", pageSize: 1).map(\.id) == records.map(\.id), "paging one by one visits all")
            try expect(
                try await store.requests(ofUser: "alice", collection: nil, after: RequestListCursor(sequence: Int64.max - 1), limit: 3)
                    .records.isEmpty,
                "after the end: nothing")
        },
        Check(description: "paging skips requests revoked meanwhile and reaches requests that arrive meanwhile") { store in
            let records = (0..<4).map { Fixtures.record(user: Fixtures.alice, collection: $0 % 2 == 0 ? "a" : "b", at: t0 + Double($0)) }
            for record in records { try await store.insert(record) }
            let first = try await store.requests(ofUser: "alice", collection: nil, after: nil, limit: 2)
            _ = try await store.revoke(id: records[2].id, ofUser: "alice", at: t0)
            let late = Fixtures.record(user: Fixtures.alice, collection: "a", at: t0 + 10)
            try await store.insert(late)
            let rest = try await store.requests(ofUser: "alice", collection: nil, after: first.next, limit: 10)
            try expect(rest.records.map(\.id) == [records[3].id, late.id] && rest.next == nil, "rest: \(rest.records.map(\.id))")
            try expect(try await listed(store, "alice", collection: "a", pageSize: 1).map(\.id) == [records[0].id, late.id], "by collection")
        },
    ]

    static func require<T>(_ value: T?, _ message: @autoclosure () -> String) throws -> T {
        guard let value else { throw ConformanceFailure(description: message()) }
        return value
    }
}
