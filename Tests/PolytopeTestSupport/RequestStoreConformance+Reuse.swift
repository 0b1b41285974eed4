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

    /// The submission of `record` in a collection that reuses results finished after `since`,
    /// as the frontend builds it.
    static func reusing(_ record: RequestRecord, since: Date, key: IdempotencyKey? = nil, admittingUpTo: Int? = nil) -> NewSubmission {
        var answered = record
        answered.status = .processed
        answered.userMessage = "reused"
        return NewSubmission(record, idempotencyKey: key, reuse: ResultReuse(since: since, answered: answered), admittingUpTo: admittingUpTo)
    }

    static let reuseChecks: [Check] = [
        Check(description: "an identical retrieval reuses a staged result young enough; it keeps the result's age") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-1", at: t0)
            let late = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 60)
            try expect(try await store.record(reusing(late, since: t0 + 1)) == .recorded, "older than the window: recorded to run")
            try expect(try await store.request(id: late.id)?.status == .waiting, "waiting")
            var other = Fixtures.record(user: Fixtures.bob, text: "datasource: echo\nx: 1", at: t0 + 60)
            other.normalisedRequest["x"] = .list(["1"])
            try expect(try await store.record(reusing(other, since: t0 - 1)) == .recorded, "another request: recorded to run")
            let bobs = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 60)
            try expect(try await store.record(reusing(bobs, since: t0 - 1)) == .reused(source: source.id), "identical and young: reused")
            let stored = try unwrap(try await store.request(id: bobs.id))
            try expect(stored.status == .processed && stored.result == source.result && stored.user.username == "bob", "bob's own request")
            try expect(stored.updatedAt == source.updatedAt, "as old as the result it shares")
            try expect(!source.userMessage.isEmpty, "the source was told something")
            try expect(stored.userMessage == "reused\n" + source.userMessage, "as the frontend answered it, then what the source was told")
        },
        Check(description: "a shared result is handed back for deletion only with the last request that holds it") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-2", at: t0)
            let bobs = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 1)
            _ = try await store.record(reusing(bobs, since: t0 - 1))
            let first = try await store.revoke(id: source.id, ofUser: "alice", at: t0 + 2)
            try expect(first != nil && first?.orphanedResult == nil, "bob still holds the result")
            try expect(try await store.referencedStagingKeys(among: ["r-2"]) == ["r-2"], "referenced")
            let last = try await store.revoke(id: bobs.id, ofUser: "bob", at: t0 + 3)
            try expect(last?.orphanedResult?.key == "r-2", "the last holder's revocation frees it")
        },
        Check(description: "a reused result records the Idempotency-Key; a repeat gets the reusing request") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-3", at: t0)
            let key = try IdempotencyKey(key: "k-reuse", digest: "d")
            let first = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 1)
            try expect(try await store.record(reusing(first, since: t0 - 1, key: key)) == .reused(source: source.id), "reused")
            let retry = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 2)
            let answer = try await store.record(reusing(retry, since: t0 - 1, key: key))
            try expect(answer == .repeated(IdempotentSubmission(id: first.id, digest: "d")), "the key's request, not a second reuse: \(answer)")
            try expect(try await store.request(id: retry.id) == nil, "nothing recorded for the repeat")
        },
        Check(description: "reuse is not held by the waiting limit; a refused submission records neither request nor key") { store in
            let source = try await processed(store, user: Fixtures.alice, text: "datasource: echo", key: "r-4", at: t0)
            try await store.insert(Fixtures.record(user: Fixtures.bob, at: t0))
            let reused = Fixtures.record(user: Fixtures.bob, text: "datasource: echo", at: t0 + 1)
            try expect(
                try await store.record(reusing(reused, since: t0 - 1, admittingUpTo: 1)) == .reused(source: source.id), "reused at the limit")
            let key = try IdempotencyKey(key: "k-refused", digest: "d")
            var fresh = Fixtures.record(user: Fixtures.bob, text: "datasource: echo\nx: 2", at: t0 + 2)
            fresh.normalisedRequest["x"] = .list(["2"])
            try expect(try await store.record(reusing(fresh, since: t0 - 1, key: key, admittingUpTo: 1)) == .refused, "nothing to reuse: refused")
            try expect(try await store.request(id: fresh.id) == nil, "no request")
            try expect(try await store.idempotentSubmission(username: "bob", key: "k-refused", since: t0 - 1) == nil, "no key")
            try expect(
                try await store.record(NewSubmission(fresh, idempotencyKey: key, admittingUpTo: 2)) == .recorded, "room again: recorded")
        },
    ]
}
