import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let idempotencyChecks: [Check] = [
        Check(description: "a user's idempotency key gives back the first request while it lives, for the window") { store in
            let key = try IdempotencyKey(key: "k-1", digest: "d1")
            let first = Fixtures.record(user: Fixtures.alice, at: t0)
            try expect(try await store.record(NewSubmission(first, idempotencyKey: key)) == .recorded, "the first submission is recorded")
            let retry = Fixtures.record(user: Fixtures.alice, at: t0 + 5)
            let earlier = try await store.record(NewSubmission(retry, idempotencyKey: key))
            try expect(earlier == .repeated(IdempotentSubmission(id: first.id, digest: "d1")), "the retry gets the first: \(earlier)")
            try expect(try await store.request(id: retry.id) == nil, "and records nothing")
            try expect(
                try await store.idempotentSubmission(username: "alice", key: "k-1", since: t0 - 1)?.id == first.id, "looked up by user and key")
            try expect(try await store.idempotentSubmission(username: "bob", key: "k-1", since: t0 - 1) == nil, "keys are per user")
            let bobs = Fixtures.record(user: Fixtures.bob, at: t0 + 6)
            try expect(try await store.record(NewSubmission(bobs, idempotencyKey: key)) == .recorded, "another user's same key is another request")
            let dayLater = Fixtures.record(user: Fixtures.alice, at: t0 + 90_000)
            try expect(
                try await store.record(NewSubmission(dayLater, idempotencyKey: key)) == .recorded, "after the window the key is new")
            try expect(try await store.request(id: dayLater.id) != nil, "and records the request")
            try expect(try await store.idempotentSubmission(username: "alice", key: "k-1", since: t0)?.id == dayLater.id, "the key moved on")
            try await store.pruneIdempotencyKeys(before: t0 + 10)
            try expect(try await store.idempotentSubmission(username: "bob", key: "k-1", since: t0 - 1) == nil, "old keys are pruned")
            try expect(try await store.idempotentSubmission(username: "alice", key: "k-1", since: t0) != nil, "young keys stay")
        },
        Check(description: "a key whose request was revoked (deleted) is free again") { store in
            let key = try IdempotencyKey(key: "k-2", digest: "d")
            let first = Fixtures.record(user: Fixtures.alice, at: t0)
            _ = try await store.record(NewSubmission(first, idempotencyKey: key))
            _ = try await store.revoke(id: first.id, ofUser: "alice", at: t0 + 1)
            try expect(try await store.idempotentSubmission(username: "alice", key: "k-2", since: t0 - 1) == nil, "no live request")
            let again = Fixtures.record(user: Fixtures.alice, at: t0 + 2)
            try expect(try await store.record(NewSubmission(again, idempotencyKey: key)) == .recorded, "a new request")
            try expect(try await store.request(id: again.id)?.status == .waiting, "recorded")
        },
        Check(description: "of concurrent submissions with one key, exactly one is recorded") { store in
            let key = try IdempotencyKey(key: "k-3", digest: "d")
            let records = (0..<8).map { Fixtures.record(user: Fixtures.alice, at: t0 + Double($0)) }
            let answers = try await withThrowingTaskGroup(of: SubmissionOutcome.self) { group in
                for record in records { group.addTask { try await store.record(NewSubmission(record, idempotencyKey: key)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = answers.filter { $0 == .recorded }.count
            try expect(winners == 1, "one recorded, \(winners) claimed to be")
            let ids = Set(answers.compactMap { if case .repeated(let earlier) = $0 { earlier.id } else { nil } })
            try expect(ids.count == 1, "every other one gets the same request: \(ids)")
            var stored = 0
            for record in records where try await store.request(id: record.id) != nil { stored += 1 }
            try expect(stored == 1, "\(stored) stored")
        },
    ]
}
