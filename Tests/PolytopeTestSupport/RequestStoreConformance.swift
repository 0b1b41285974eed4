import Foundation
import PolytopeCore

/// The behaviour every request store backend must have, written once and run against each
/// implementation (SQLite and PostgreSQL) by that backend's test target:
///
/// ```swift
/// @Test(arguments: RequestStoreConformance.checks)
/// func conformance(_ check: RequestStoreConformance.Check) async throws {
///     try await check.run(makeStore)
/// }
/// ```
package enum RequestStoreConformance {
    package typealias Store = RequestStoreBackend
    package typealias MakeStore = @Sendable () async throws -> any Store

    /// One named check.
    package struct Check: Sendable, CustomStringConvertible {
        package let description: String
        let body: @Sendable (any Store) async throws -> Void

        package func run(_ makeStore: MakeStore) async throws {
            try await body(try await makeStore())
        }
    }

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Every check: the basic ones, lists and their pages, archive inputs, and every status
    /// change the store's API can attempt.
    package static let checks: [Check] =
        basicChecks + listChecks + archiveInputChecks + transitionChecks + leadershipChecks
        + idempotencyChecks + reuseChecks + apiKeyChecks + admissionChecks + ownerChecks

    static let basicChecks: [Check] = [
        Check(description: "expiry notes are kept until pruned") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
            _ = try await store.finish(id: record.id, worker: "w", outcome: .failed(message: "x"), at: t0)
            _ = try await store.purgeFinishedRequests(before: t0 + 1, limit: 10, at: t0 + 10)
            try expect(try await store.expiryDate(of: record.id, ofUser: "alice") == t0 + 10, "noted")
            try await store.pruneExpiryNotes(before: t0 + 5)
            try expect(try await store.expiryDate(of: record.id, ofUser: "alice") == t0 + 10, "a young note stays")
            try await store.pruneExpiryNotes(before: t0 + 11)
            try expect(try await store.expiryDate(of: record.id, ofUser: "alice") == nil, "an old note goes")
        },
        Check(description: "operators query every user's requests; worker pools report themselves") { store in
            let alices = Fixtures.record(user: Fixtures.alice, collection: "a", at: t0)
            let bobs = Fixtures.record(user: Fixtures.bob, collection: "b", at: t0 + 1)
            try await store.insert(alices)
            try await store.insert(bobs)
            _ = try await store.markQueued([bobs.id], at: t0)
            try expect(try await store.requests(matching: RequestQuery()).records.map(\.id) == [bobs.id, alices.id], "newest first")
            try expect(try await store.requests(matching: RequestQuery(status: .queued)).records.map(\.id) == [bobs.id], "by status")
            try expect(try await store.requests(matching: RequestQuery(username: "alice")).records.map(\.id) == [alices.id], "by user")
            try expect(try await store.requests(matching: RequestQuery(collection: "b")).records.map(\.id) == [bobs.id], "by collection")
            let first = try await store.requests(matching: RequestQuery(limit: 1))
            try expect(first.records.map(\.id) == [bobs.id] && first.next != nil, "limited, with a cursor")
            let rest = try await store.requests(matching: RequestQuery(after: first.next, limit: 1))
            try expect(rest.records.map(\.id) == [alices.id] && rest.next == nil, "the next page, the last")
            let worker = WorkerStatus(id: "w1", slots: 4, busy: 1, startedAt: t0, seenAt: t0 + 5)
            try await store.reportWorker(worker)
            var later = worker
            later.busy = 3
            later.seenAt = t0 + 10
            try await store.reportWorker(later)
            try expect(try await store.workers(seenSince: t0) == [later], "the latest report")
            try expect(try await store.workers(seenSince: t0 + 11).isEmpty, "silent pools are left out")
            try await store.removeWorker(id: "w1")
            try expect(try await store.workers(seenSince: t0).isEmpty, "removed")
            try await store.reportWorker(later)
            try expect(try await store.pruneWorkers(seenBefore: t0 + 10) == 0, "a pool seen since stays")
            try expect(try await store.pruneWorkers(seenBefore: t0 + 11) == 1, "a silent pool goes")
            try expect(try await store.workers(seenSince: .distantPast).isEmpty, "pruned")
        },
        Check(description: "an inserted request reads back unchanged") { store in
            let record = Fixtures.record(text: "datasource: echo\nparam: 2t/msl")
            try await store.insert(record)
            let read = try await store.request(id: record.id)
            try expect(read == record, "read back \(String(describing: read)), inserted \(record)")
            try expect(try await store.request(id: RequestIdentifier()) == nil, "unknown id must read as nil")
        },
        Check(description: "lists show a user's own requests in arrival order, by collection") { store in
            let first = Fixtures.record(user: Fixtures.alice, at: t0)
            let second = Fixtures.record(user: Fixtures.alice, collection: "other", at: t0.addingTimeInterval(1))
            let bobs = Fixtures.record(user: Fixtures.bob, at: t0.addingTimeInterval(2))
            for record in [first, second, bobs] { try await store.insert(record) }
            try expect(try await listed(store, "alice").map(\.id) == [first.id, second.id], "alice's list")
            try expect(try await listed(store, "alice", collection: "other").map(\.id) == [second.id], "alice in 'other'")
            try expect(try await listed(store, "bob").map(\.id) == [bobs.id], "bob's list")
            try expect(try await store.requestCount(ofUser: "alice") == 2, "alice's count")
        },
        Check(description: "the broker sees each waiting user once, their oldest requests up to a quota, and queues them") { store in
            let records = (0..<5).map { Fixtures.record(at: t0.addingTimeInterval(Double($0))) }
            let bobs = Fixtures.record(user: Fixtures.bob, at: t0.addingTimeInterval(5))
            let elsewhere = Fixtures.record(collection: "other", at: t0.addingTimeInterval(6))
            for record in records + [bobs, elsewhere] { try await store.insert(record) }
            typealias Group = ActiveRequestCounts.CollectionUser
            let (alice, bob, aliceElsewhere) = (
                Group(collection: "debug", username: "alice"), Group(collection: "debug", username: "bob"),
                Group(collection: "other", username: "alice")
            )
            try expect(Set(try await store.waitingUsers()) == [alice, bob, aliceElsewhere], "one entry per collection and user")
            let heads = try await store.waitingRequests(quotas: [alice: 3, bob: 5])
            try expect(heads.map(\.id) == records.prefix(3).map(\.id) + [bobs.id], "each user's oldest, at most the quota, in arrival order")
            try expect(heads.first?.roles == ["default"], "roles of the candidate")
            try expect(try await store.markQueued([records[0].id, records[1].id], at: t0) == 2, "two queued")
            try expect(try await store.markQueued([records[0].id], at: t0) == 0, "queuing twice changes nothing")
            try expect(
                try await store.waitingRequests(quotas: [alice: 10]).map(\.id) == records.suffix(3).map(\.id), "queued ones wait no more")
            let counts = try await store.activeRequestCounts()
            try expect(counts.total == 2 && counts.perCollection["debug"] == 2, "active counts \(counts)")
            try expect(try await store.request(id: records[0].id)?.statusHistory.map(\.status) == [.waiting, .queued], "history")
            _ = try await store.revokeAll(ofUser: "bob", at: t0)
            try expect(Set(try await store.waitingUsers()) == [alice, aliceElsewhere], "a user with nothing waiting is gone")
        },
        Check(description: "a dispatch snapshot holds the active counts and the waiting requests of the quotas given for them") { store in
            try expect(try await store.dispatchSnapshot { _, _ in [:] } == nil, "nil while nobody waits")
            let records = (0..<4).map { Fixtures.record(at: t0.addingTimeInterval(Double($0))) }
            let bobs = Fixtures.record(user: Fixtures.bob, at: t0.addingTimeInterval(4))
            for record in records + [bobs] { try await store.insert(record) }
            _ = try await store.markQueued([records[0].id], at: t0)
            let alice = ActiveRequestCounts.CollectionUser(collection: "debug", username: "alice")
            let bob = ActiveRequestCounts.CollectionUser(collection: "debug", username: "bob")
            let snapshot = try unwrap(
                try await store.dispatchSnapshot { waiting, active in
                    // Alice may run two at once and has one active: one more.
                    Set(waiting) == [alice, bob] ? [alice: 2 - active.perCollectionUser[alice, default: 0]] : [:]
                })
            try expect(snapshot.active.total == 1 && snapshot.active.perCollectionUser[alice] == 1, "active counts \(snapshot.active)")
            try expect(snapshot.candidates.map(\.id) == [records[1].id], "alice's oldest waiting one, bob none: \(snapshot.candidates)")
            try expect(try await store.dispatchSnapshot { _, _ in [:] }?.candidates == [], "no quota, no candidates")
        },
        Check(description: "a claim tells whether more requests are queued; when it says none, none is") { store in
            let records = (0..<2).map { Fixtures.record(at: t0.addingTimeInterval(Double($0))) }
            for record in records { try await store.insert(record) }
            _ = try await store.markQueued(records.map(\.id), at: t0)
            let first = try unwrap(try await store.claimNext(worker: "w", leaseExpiry: t0 + 30, at: t0))
            try expect(first.record.id == records[0].id && first.moreQueued, "the oldest, and one more queued")
            let second = try unwrap(try await store.claimNext(worker: "w", leaseExpiry: t0 + 30, at: t0))
            try expect(second.record.id == records[1].id, "the next")
            if !second.moreQueued {
                try expect(try await store.claimNext(worker: "w", leaseExpiry: t0 + 30, at: t0) == nil, "nothing left, as it said")
            }
        },
        Check(description: "waiting requests are counted per user, collection or all, ahead of one, up to a cap; recent finishes newest first") {
            store in
            let alices = (0..<4).map { Fixtures.record(at: t0.addingTimeInterval(Double($0))) }
            let bobs = Fixtures.record(user: Fixtures.bob, at: t0.addingTimeInterval(4))
            let elsewhere = Fixtures.record(collection: "other", at: t0.addingTimeInterval(5))
            for record in alices + [bobs, elsewhere] { try await store.insert(record) }
            let alice = ActiveRequestCounts.CollectionUser(collection: "debug", username: "alice")
            try expect(try await store.waitingCount(in: .user(alice), before: nil, upTo: 100) == 4, "all of alice's in debug")
            try expect(try await store.waitingCount(in: .user(alice), before: alices[2].id, upTo: 100) == 2, "ahead of her third")
            try expect(try await store.waitingCount(in: .user(alice), before: nil, upTo: 3) == 3, "capped")
            try expect(try await store.waitingCount(in: .collection("debug"), before: bobs.id, upTo: 100) == 4, "ahead of bob in debug")
            try expect(try await store.waitingCount(in: .all, before: elsewhere.id, upTo: 100) == 5, "ahead overall")
            _ = try await store.markQueued([alices[0].id, bobs.id], at: t0)
            try expect(try await store.waitingCount(in: .user(alice), before: nil, upTo: 100) == 3, "queued ones wait no more")
            for (index, worker) in ["w1", "w2"].enumerated() {
                let claimed = try await store.claimNextRequest(worker: worker, leaseExpiry: t0 + 60, at: t0)
                _ = try await store.finish(
                    id: try unwrap(claimed).id, worker: worker, outcome: .failed(message: "x"), at: t0.addingTimeInterval(Double(10 + index)))
            }
            let finishes = try await store.recentFinishes(since: t0.addingTimeInterval(10), limit: 10)
            try expect(finishes.map(\.username) == ["bob", "alice"], "newest first: \(finishes)")
            try expect(try await store.recentFinishes(since: t0.addingTimeInterval(11), limit: 10).count == 1, "since")
            try expect(try await store.recentFinishes(since: t0, limit: 1).count == 1, "limit")
        },
        Check(description: "the statuses of many requests are read at once; unknown ids are left out") { store in
            let records = (0..<3).map { Fixtures.record(at: t0.addingTimeInterval(Double($0))) }
            for record in records { try await store.insert(record) }
            _ = try await store.markQueued([records[1].id], at: t0)
            let statuses = try await store.statuses(of: records.map(\.id) + [RequestIdentifier()])
            try expect(statuses == [records[0].id: .waiting, records[1].id: .queued, records[2].id: .waiting], "\(statuses)")
            try expect(try await store.statuses(of: []).isEmpty, "none")
        },
        Check(description: "a request revoked while the broker looks at it is not queued") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            let candidates = try await allWaiting(store)
            _ = try await store.revoke(id: record.id, ofUser: "alice", at: t0)
            try expect(try await store.markQueued(candidates.map(\.id), at: t0) == 0, "nothing queued")
            try expect(try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0) == nil, "nothing to claim")
        },
        Check(description: "workers claim the oldest queued request once, under a lease") { store in
            let older = Fixtures.record(at: t0)
            let newer = Fixtures.record(at: t0.addingTimeInterval(1))
            try await store.insert(older)
            try await store.insert(newer)
            _ = try await store.markQueued([newer.id, older.id], at: t0)
            let claimed = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(claimed?.id == older.id, "oldest first")
            try expect(claimed?.status == .processing && claimed?.attempts == 1, "processing, attempt 1")
            try expect(claimed?.lease == Lease(owner: "w1", expiresAt: t0 + 30), "lease recorded")
            let next = try await store.claimNextRequest(worker: "w2", leaseExpiry: t0 + 30, at: t0)
            try expect(next?.id == newer.id, "second worker gets the other one")
            try expect(try await store.claimNextRequest(worker: "w3", leaseExpiry: t0 + 30, at: t0) == nil, "queue empty")
        },
        Check(description: "only the lease holder renews and finishes; the result is recorded") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(try await store.renewLease(id: record.id, worker: "w1", until: t0 + 60, stagedBytes: 512), "holder renews")
            try expect(try await store.request(id: record.id)?.stagedBytes == 512, "progress recorded")
            try expect(try await !store.renewLease(id: record.id, worker: "w2", until: t0 + 60, stagedBytes: 0), "others cannot")
            let result = StagedResult(key: StagingKey.make(id: record.id, attempt: 1), contentType: "application/x-grib", contentLength: 42)
            try expect(
                try await store.finish(id: record.id, worker: "w2", outcome: .processed(result, message: "Success."), at: t0) == .leaseLost,
                "a non-holder's outcome is discarded"
            )
            try expect(
                try await store.finish(id: record.id, worker: "w1", outcome: .processed(result, message: "Success."), at: t0 + 1) == .recorded,
                "the holder's outcome is recorded"
            )
            let done = try await store.request(id: record.id)
            try expect(
                done?.status == .processed && done?.result == result && done?.lease == nil, "processed with result: \(String(describing: done))")
            try expect(done?.userMessage == "Success.", "user message")
            try expect(try await store.activeRequestCounts().total == 0, "no longer active")
        },
        Check(description: "a failure is recorded with its message") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try await store.appendUserMessage(id: record.id, worker: "w1", "step one", at: t0)
            _ = try await store.finish(id: record.id, worker: "w1", outcome: .failed(message: "no such field"), at: t0)
            let failed = try await store.request(id: record.id)
            try expect(failed?.status == .failed && failed?.userMessage == "step one\nno such field", "failed: \(String(describing: failed))")
        },
        Check(description: "expired leases are requeued, then failed after the attempt bound") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(try await store.recoverExpiredLeases(at: t0 + 29, maximumAttempts: 2).isEmpty, "lease still valid")
            let first = try await store.recoverExpiredLeases(at: t0 + 31, maximumAttempts: 2)
            try expect(first.map(\.outcome) == [.requeued] && first.first?.previousOwner == "w1", "requeued: \(first)")
            try expect(try await store.request(id: record.id)?.status == .queued, "queued again")
            _ = try await store.claimNextRequest(worker: "w2", leaseExpiry: t0 + 60, at: t0 + 31)
            try expect(try await !store.renewLease(id: record.id, worker: "w1", until: t0 + 90, stagedBytes: 0), "the old worker lost the lease")
            let second = try await store.recoverExpiredLeases(at: t0 + 61, maximumAttempts: 2)
            try expect(second.map(\.outcome) == [.failed] && second.first?.attempts == 2, "failed: \(second)")
            try expect(
                second.first?.collection == record.collection && second.first?.datasource == record.datasource,
                "named for the metrics: \(second)")
            let failed = try await store.request(id: record.id)
            try expect(
                failed?.status == .failed && (failed?.userMessage.contains("started 2 times") ?? false), "message: \(String(describing: failed))")
        },
        Check(description: "a released request goes back to the queue without spending an attempt, unless the release counts it") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(try await store.release(id: record.id, worker: "w1", message: "shutting down", at: t0) == .recorded, "released")
            let released = try await store.request(id: record.id)
            try expect(released?.status == .queued && released?.attempts == 0 && released?.lease == nil, "queued: \(String(describing: released))")
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(
                try await store.release(id: record.id, worker: "w1", message: "did not fit", countingAttempt: true, at: t0) == .recorded,
                "released, counted")
            try expect(try await store.request(id: record.id)?.attempts == 1, "a counted release keeps the attempt")
        },
        Check(description: "revoking: waiting requests disappear, processing ones finish as revoked") { store in
            let waiting = Fixtures.record(at: t0)
            let running = Fixtures.record(at: t0.addingTimeInterval(1))
            try await store.insert(waiting)
            try await store.insert(running)
            _ = try await store.markQueued([running.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            try expect(try await store.revoke(id: waiting.id, ofUser: "bob", at: t0) == nil, "another user cannot revoke")
            let revoked = try await store.revoke(id: waiting.id, ofUser: "alice", at: t0)
            try expect(revoked?.previousStatus == .waiting, "revoked while waiting")
            try expect(try await store.request(id: waiting.id) == nil, "deleted at once")
            let revokedRunning = try await store.revoke(id: running.id, ofUser: "alice", at: t0)
            try expect(revokedRunning?.previousStatus == .processing, "revoked while processing")
            try expect(try await listed(store, "alice").isEmpty, "hidden from lists")
            try expect(try await store.activeRequestCounts().total == 1, "a revoked run still holds its place under the limits")
            try expect(try await store.revoke(id: running.id, ofUser: "alice", at: t0) == nil, "revoking twice finds nothing")
            try expect(try await store.renewLease(id: running.id, worker: "w1", until: t0 + 60, stagedBytes: 1), "the run is not interrupted")
            let result = StagedResult(key: StagingKey.make(id: running.id, attempt: 1), contentType: "x", contentLength: 1)
            let outcome = try await store.finish(id: running.id, worker: "w1", outcome: .processed(result, message: "ok"), at: t0)
            try expect(outcome == .revoked, "worker learns of the revocation: \(outcome)")
            try expect(try await store.request(id: running.id) == nil, "deleted when the worker lets go")
        },
        Check(description: "revoking a processed request reports its result for removal") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w1", leaseExpiry: t0 + 30, at: t0)
            let result = StagedResult(key: StagingKey.make(id: record.id, attempt: 1), contentType: "x", contentLength: 7)
            _ = try await store.finish(id: record.id, worker: "w1", outcome: .processed(result, message: "ok"), at: t0)
            let all = try await store.revokeAll(ofUser: "alice", at: t0)
            try expect(all.map(\.orphanedResult) == [result], "result reported: \(all)")
        },
        Check(description: "retention purges old finished requests, oldest results first, never active ones") { store in
            var finished: [RequestRecord] = []
            for index in 0..<3 {
                let record = Fixtures.record(at: t0.addingTimeInterval(Double(index)))
                try await store.insert(record)
                _ = try await store.markQueued([record.id], at: t0)
                _ = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
                let result = StagedResult(key: StagingKey.make(id: record.id, attempt: 1), contentType: "x", contentLength: 10)
                _ = try await store.finish(
                    id: record.id, worker: "w", outcome: .processed(result, message: "ok"), at: t0.addingTimeInterval(Double(index)))
                finished.append(record)
            }
            let active = Fixtures.record(at: t0)
            try await store.insert(active)
            let keys = finished.map { StagingKey.make(id: $0.id, attempt: 1) }
            try expect(try await store.referencedStagingKeys(among: keys + ["nope"]) == Set(keys), "referenced keys")
            let expired = try await store.purgeFinishedRequests(before: t0.addingTimeInterval(0.5), limit: 10, at: t0 + 100)
            try expect(expired.map(\.id) == [finished[0].id], "only the oldest expired: \(expired)")
            let evicted = try await store.purgeOldestResults(freeing: 5, limit: 10, at: t0 + 100)
            try expect(evicted.map(\.id) == [finished[1].id] && evicted.first?.result?.contentLength == 10, "just the oldest result evicted")
            try expect(try await store.request(id: active.id)?.status == .waiting, "active untouched")
            try expect(try await store.expiryDate(of: finished[0].id, ofUser: "alice") == t0 + 100, "expiry noted for the owner")
            try expect(try await store.expiryDate(of: finished[0].id, ofUser: "bob") == nil, "and only for the owner")
            try expect(try await store.expiryDate(of: active.id, ofUser: "alice") == nil, "no note for live requests")
            try expect(
                try await store.purgeFinishedRequests(before: t0.addingTimeInterval(1000), limit: 10, at: t0 + 100).map(\.id) == [finished[2].id],
                "rest")
        },
        Check(description: "a waiting request can be failed by the broker") { store in
            let record = Fixtures.record(collection: "gone")
            try await store.insert(record)
            try await store.failWaiting(record.id, message: "collection gone", at: t0)
            let failed = try await store.request(id: record.id)
            try expect(failed?.status == .failed && failed?.userMessage == "collection gone", "failed")
        },
        Check(description: "statistics count requests per collection and status") { store in
            try await store.insert(Fixtures.record(collection: "a", at: t0))
            try await store.insert(Fixtures.record(collection: "a", at: t0.addingTimeInterval(1)))
            try await store.insert(Fixtures.record(collection: "b", at: t0.addingTimeInterval(2)))
            // Revoked while a worker runs it: it holds its place until the worker lets go.
            let stopping = Fixtures.record(collection: "c", at: t0.addingTimeInterval(3))
            try await store.insert(stopping)
            _ = try await store.markQueued([stopping.id], at: t0)
            _ = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
            _ = try await store.revoke(id: stopping.id, ofUser: stopping.user.owner, at: t0 + 1)
            let statistics = try await store.statistics()
            try expect(statistics.byCollection == ["a": ["waiting": 2], "b": ["waiting": 1], "c": ["revoked": 1]], "\(statistics)")
            try expect(statistics.oldestWaitingSince == t0, "oldest waiting")
            try await store.checkHealth()
        },
        Check(description: "submissions are counted per clock minute from the minute asked for") { store in
            let minute = Int64(t0.timeIntervalSince1970 / 60)
            let offsets: [TimeInterval] = [-1, 0, 59.5, 60, 61, 185]
            let records = offsets.map { Fixtures.record(collection: "a", at: t0 + $0) }
            for record in records { try await store.insert(record) }
            let counts = try await store.submissionsPerMinute(from: minute)
            try expect(counts == [minute: 2, minute + 1: 2, minute + 3: 1], "\(counts)")
            try expect(try await store.submissionsPerMinute(from: minute + 4).isEmpty, "none after the last")
        },
    ]

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(description: message()) }
    }

    static func unwrap<T>(_ value: T?, _ message: @autoclosure () -> String = "a value") throws -> T {
        guard let value else { throw ConformanceFailure(description: "expected \(message())") }
        return value
    }

    /// Every waiting request, as the broker would read them without limits.
    static func allWaiting(_ store: any Store) async throws -> [DispatchCandidate] {
        let users = try await store.waitingUsers()
        return try await store.waitingRequests(quotas: Dictionary(uniqueKeysWithValues: users.map { ($0, 1000) }))
    }

    /// Every request in the user's list, read in pages of `pageSize`.
    static func listed(_ store: any Store, _ username: String, collection: String? = nil, pageSize: Int = 2) async throws -> [RequestRecord] {
        var records: [RequestRecord] = []
        var cursor: RequestListCursor?
        repeat {
            let page = try await store.requests(ofUser: username, collection: collection, after: cursor, limit: pageSize)
            try expect(page.records.count <= pageSize, "a page of \(page.records.count) with a limit of \(pageSize)")
            records += page.records
            cursor = page.next
        } while cursor != nil
        return records
    }
}

/// A conformance check found the store behaving differently from the contract.
package struct ConformanceFailure: Error, CustomStringConvertible {
    package var description: String
}

extension Date {
    static func + (date: Date, seconds: Double) -> Date { date.addingTimeInterval(seconds) }
    static func - (date: Date, seconds: Double) -> Date { date.addingTimeInterval(-seconds) }
}
