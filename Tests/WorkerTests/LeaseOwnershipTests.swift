import Foundation
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import Synchronization
import Testing
import Worker

extension WorkerPoolTests {
    @Test("each claim holds its own lease: a slot whose lease ran out cannot finish what another slot of its pool took since")
    func leasePerClaim() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool(slots: 2, workerID: "pool")]) { _ in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            #expect(try await setup.store.request(id: id)?.lease?.owner == "pool/1")
            // The broker finds the lease expired; the pool's other slot takes the request.
            _ = try await setup.store.recoverExpiredLeases(at: setup.clock.date.addingTimeInterval(31), maximumAttempts: 3)
            setup.workQueued.signal()
            await setup.gatedStarted.wait()
            #expect(try await setup.store.request(id: id)?.lease?.owner == "pool/2")
            setup.gate.open()
            try await eventually("processed") { try await setup.store.request(id: id)?.status == .processed }
            // The first slot's finish was refused: the result is the second attempt's.
            #expect(try await setup.store.request(id: id)?.result?.key == StagingKey.make(id: id, attempt: 2))
        }
    }

    @Test("a worker that cannot renew its lease for as long as the lease lasts abandons the attempt")
    func unrenewableLease() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let queue = UnreachableRenewals(store: setup.store)
        try await whileRunning([setup.pool(slots: 1, queue: queue)]) { _ in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            queue.failing.withLock { $0 = true }
            // The only slot is busy, so the pool claims again only once the attempt has ended.
            let claimsBefore = queue.claims.withLock { $0 }
            // Heartbeats every 10 s of a 30 s lease: the failed renewal 30 s after the claim
            // gives up (the third, unless an advance came before a heartbeat slept).
            try await eventually("abandoned after a lease's worth of failed renewals") {
                setup.clock.advance(by: .seconds(10))
                return queue.claims.withLock { $0 } > claimsBefore
            }
            let renewals = queue.renewals.withLock { $0 }
            #expect(renewals >= 1, "given up after failed renewals")
            for _ in 0..<3 { setup.clock.advance(by: .seconds(10)) }
            setup.gate.open()
            try await Task.sleep(for: .milliseconds(200))
            #expect(queue.renewals.withLock { $0 } == renewals, "no renewal after giving up")
            #expect(queue.finishes.withLock { $0 } == 0, "nothing recorded: the broker requeues it when the lease expires")
            #expect(try await setup.store.request(id: id)?.status == .processing)
        }
    }
}

/// The store, with lease renewals failing (the store unreachable) once `failing` is set, and
/// its calls counted.
private final class UnreachableRenewals: WorkQueue {
    struct Unreachable: Error {}
    let store: any WorkQueue
    let failing = Mutex(false)
    let renewals = Mutex(0)
    let finishes = Mutex(0)
    let claims = Mutex(0)

    init(store: any WorkQueue) { self.store = store }

    func claimNext(worker: String, leaseExpiry: Date, at now: Date) async throws -> ClaimedRequest? {
        claims.withLock { $0 += 1 }
        return try await store.claimNext(worker: worker, leaseExpiry: leaseExpiry, at: now)
    }
    func renewLease(id: RequestIdentifier, worker: String, until expiry: Date, stagedBytes: Int64) async throws -> Bool {
        guard failing.withLock({ $0 }) else { return try await store.renewLease(id: id, worker: worker, until: expiry, stagedBytes: stagedBytes) }
        renewals.withLock { $0 += 1 }
        throw Unreachable()
    }
    func finish(id: RequestIdentifier, worker: String, outcome: WorkOutcome, at now: Date) async throws -> FinishResult {
        finishes.withLock { $0 += 1 }
        return try await store.finish(id: id, worker: worker, outcome: outcome, at: now)
    }
    func release(id: RequestIdentifier, worker: String, message: String, countingAttempt: Bool, at now: Date) async throws -> FinishResult {
        try await store.release(id: id, worker: worker, message: message, countingAttempt: countingAttempt, at: now)
    }
    func appendUserMessage(id: RequestIdentifier, worker: String, _ line: String, at now: Date) async throws {
        try await store.appendUserMessage(id: id, worker: worker, line, at: now)
    }
}
