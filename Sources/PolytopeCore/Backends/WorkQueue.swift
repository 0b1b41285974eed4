import Foundation

/// The request store as workers use it: claim queued requests under a lease, keep the lease
/// alive, and record the outcome.
package protocol WorkQueue: Sendable {
    /// Atomically takes the oldest queued request, marks it `processing`, counts an attempt
    /// and leases it to `worker` until `leaseExpiry`.
    func claimNext(worker: String, leaseExpiry: Date, at now: Date) async throws -> ClaimedRequest?

    /// Extends the lease and records progress (bytes staged so far). Returns false if the
    /// worker no longer holds it (it expired and another worker took the request), in which
    /// case the worker should stop. A revoked request keeps its lease: runs are not
    /// interrupted, their result is discarded at the end.
    func renewLease(id: RequestIdentifier, worker: String, until expiry: Date, stagedBytes: Int64) async throws -> Bool

    /// Records the outcome of a claimed request, if the worker still holds it.
    func finish(id: RequestIdentifier, worker: String, outcome: WorkOutcome, at now: Date) async throws -> FinishResult

    /// Gives a claimed request back to the queue. The attempt is not counted (the worker is
    /// shutting down, or staging is away) unless `countingAttempt` (the request itself could
    /// not be completed this time, as when its result did not fit).
    func release(id: RequestIdentifier, worker: String, message: String, countingAttempt: Bool, at now: Date) async throws -> FinishResult

    /// Appends a line to the request's user message while the worker holds it.
    func appendUserMessage(id: RequestIdentifier, worker: String, _ line: String, at now: Date) async throws
}

/// A request a worker claimed.
package struct ClaimedRequest: Sendable {
    package var record: RequestRecord
    /// False when the store knows that no other request was queued after this one was taken
    /// (a worker with free slots stops claiming until it is woken); true when more are, or
    /// when the store cannot tell cheaply.
    package var moreQueued: Bool

    package init(record: RequestRecord, moreQueued: Bool) {
        self.record = record
        self.moreQueued = moreQueued
    }
}

/// How a worker's attempt at a request ended.
package enum WorkOutcome: Sendable, Hashable {
    case processed(StagedResult, message: String)
    /// An archive request's data was archived: processed, with nothing to download. The
    /// store forgets the request's `archiveInput` (the worker deletes the staged object).
    case archived(message: String)
    case failed(message: String)
}

/// What recording an outcome did.
package enum FinishResult: Sendable, Hashable {
    /// The outcome is recorded.
    case recorded
    /// The request was revoked while it ran and is now deleted; its result must be removed.
    case revoked
    /// The worker no longer holds the request (its lease expired); the outcome is discarded.
    case leaseLost
}

extension WorkQueue {
    /// Gives a claimed request back to the queue without counting the attempt.
    package func release(id: RequestIdentifier, worker: String, message: String, at now: Date) async throws -> FinishResult {
        try await release(id: id, worker: worker, message: message, countingAttempt: false, at: now)
    }
}
