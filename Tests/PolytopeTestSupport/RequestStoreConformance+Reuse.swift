import Foundation
import PolytopeCore

extension RequestStoreConformance {
    /// A processed request of `user` with `text` whose result is staged as `key`, finished at `at`.
    static func processed(_ store: any Store, user: User, text: String, key: String, at: Date) async throws -> RequestRecord {
        let record = Fixtures.record(user: user, text: text, at: at)
        try await store.insert(record)
        _ = try await store.markQueued([record.id], at: at)
        _ = try await store.claimNextRequest(worker: "w", leaseExpiry: at + 30, at: at)
        let result = StagedResult(key: key, contentType: "text/plain", contentLength: 42)
        _ = try await store.finish(id: record.id, worker: "w", outcome: .processed(result, message: "Success."), at: at)
        return try unwrap(try await store.request(id: record.id))
    }

    /// A new submission of `text`, as the frontend builds it for `insertReusingResult`.
    static func reusing(_ user: User, text: String, at: Date) -> RequestRecord {
        var record = Fixtures.record(user: user, text: text, at: at)
        record.status = .processed
        record.userMessage = "reused"
        return record
    }

    static let reuseChecks: [Check] = [
        Check(description: "an identical retrieval reuses a staged result young enough; it keeps the result's age") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-1", at: t0)
            let bobs = reusing(Fixtures.bob, text: "datasource: echo", at: t0 + 60)
            try expect(try await store.insertReusingResult(bobs, since: t0 + 1) == nil, "older than the window: not reused")
            try expect(try await store.request(id: bobs.id) == nil, "and nothing recorded")
            var other = reusing(Fixtures.bob, text: "datasource: echo\nx: 1", at: t0 + 60)
            other.normalisedRequest["x"] = .list(["1"])
            try expect(try await store.insertReusingResult(other, since: t0 - 1) == nil, "another request: not reused")
            try expect(try await store.insertReusingResult(bobs, since: t0 - 1) == source.id, "identical and young: reused")
            let stored = try unwrap(try await store.request(id: bobs.id))
            try expect(stored.status == .processed && stored.result == source.result && stored.user.username == "bob", "bob's own request")
            try expect(stored.updatedAt == source.updatedAt, "as old as the result it shares")
        },
        Check(description: "a shared result is handed back for deletion only with the last request that holds it") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-2", at: t0)
            let bobs = reusing(Fixtures.bob, text: "datasource: echo", at: t0 + 1)
            _ = try await store.insertReusingResult(bobs, since: t0 - 1)
            let first = try await store.revoke(id: source.id, ofUser: "alice", at: t0 + 2)
            try expect(first != nil && first?.orphanedResult == nil, "bob still holds the result")
            try expect(try await store.referencedStagingKeys(among: ["r-2"]) == ["r-2"], "referenced")
            let last = try await store.revoke(id: bobs.id, ofUser: "bob", at: t0 + 3)
            try expect(last?.orphanedResult?.key == "r-2", "the last holder's revocation frees it")
        },
    ]
}
