import Foundation

/// The request store as the frontend uses it: record new requests, read them back for their
/// owner, and revoke them.
///
/// Every implementation passes the same conformance suite (`RequestStoreConformance` in the
/// test support target), so roles behave the same over SQLite and, later, PostgreSQL.
package protocol RequestStore: Sendable {
    /// Records a new request. When this returns, the request is durably committed: it
    /// survives a crash of the process at any later moment.
    func insert(_ record: RequestRecord) async throws

    /// The request with `id`, whatever its owner; nil if unknown. Revoked requests are
    /// returned too (callers hide them).
    func request(id: RequestID) async throws -> RequestRecord?

    /// The user's requests, oldest first, optionally in one collection; revoked requests are left out.
    func requests(ofUser username: String, collection: String?) async throws -> [RequestRecord]

    /// When the user's request `id` was removed by the garbage collector, if it was (and the
    /// record of that is still kept), so that a poll can say so instead of a bare 404.
    func expiryDate(of id: RequestID, ofUser username: String) async throws -> Date?

    /// How many requests the user has that are not revoked.
    func requestCount(ofUser username: String) async throws -> Int

    /// Revokes the user's request. A request that no worker holds is deleted at once (its
    /// staged result, if any, is reported so that the caller can remove it); one that a
    /// worker is processing becomes `revoked` and is deleted when the worker lets go of it.
    /// - Returns: nil if the user has no such request.
    func revoke(id: RequestID, ofUser username: String, at now: Date) async throws -> Revocation?

    /// Revokes every request of the user, as `revoke(id:ofUser:at:)` does.
    func revokeAll(ofUser username: String, at now: Date) async throws -> [Revocation]

    /// Moves an archive request from `uploading` to `waiting`, with the data its user uploaded
    /// staged as `upload` (a worker archives it from there).
    /// - Returns: false if the request is not uploading (any more): revoked, or uploaded already.
    func markUploaded(id: RequestID, upload: StagedResult, at now: Date) async throws -> Bool
}

/// What revoking one request did.
package struct Revocation: Sendable, Hashable {
    package var id: RequestID
    /// The status the request had when revoked.
    package var previousStatus: RequestStatus
    /// A staged result that is no longer referenced and should be deleted from staging.
    package var orphanedResult: StagedResult?

    package init(id: RequestID, previousStatus: RequestStatus, orphanedResult: StagedResult?) {
        self.id = id
        self.previousStatus = previousStatus
        self.orphanedResult = orphanedResult
    }
}

/// The request store as the broker uses it.
package protocol DispatchStore: Sendable {
    /// Waiting requests in arrival order, starting after `cursor` (exclusive), at most `limit`.
    func waitingRequests(after cursor: DispatchCursor?, limit: Int) async throws -> [DispatchCandidate]

    /// Active requests (queued, processing, and revoked ones a worker is still running:
    /// a revoked request only stays in the store while a worker holds it) counted per
    /// collection and user.
    func activeRequestCounts() async throws -> ActiveRequestCounts

    /// Moves the given requests from `waiting` to `queued`. Requests that are no longer
    /// waiting (revoked meanwhile) are skipped.
    /// - Returns: how many were queued.
    func markQueued(_ ids: [RequestID], at now: Date) async throws -> Int

    /// Fails a request that is still waiting (it can never run, e.g. its collection is gone).
    func failWaiting(_ id: RequestID, message: String, at now: Date) async throws

    /// Requeues or fails requests whose worker stopped renewing its lease, and deletes revoked
    /// requests whose worker vanished.
    /// - Parameter maximumAttempts: a request started this many times fails instead of being requeued.
    func recoverExpiredLeases(at now: Date, maximumAttempts: Int) async throws -> [LeaseRecovery]
}

/// Position in the waiting list (requests arrive in a strict order).
package struct DispatchCursor: Sendable, Hashable, Comparable {
    package var sequence: Int64

    package init(sequence: Int64) {
        self.sequence = sequence
    }

    package static func < (lhs: DispatchCursor, rhs: DispatchCursor) -> Bool { lhs.sequence < rhs.sequence }
}

/// What the broker needs to know about a waiting request.
package struct DispatchCandidate: Sendable, Hashable {
    package var id: RequestID
    package var cursor: DispatchCursor
    package var username: String
    package var roles: [String]
    package var collection: String

    package init(id: RequestID, cursor: DispatchCursor, username: String, roles: [String], collection: String) {
        self.id = id
        self.cursor = cursor
        self.username = username
        self.roles = roles
        self.collection = collection
    }
}

/// Counts of active requests, the input of quality-of-service decisions.
package struct ActiveRequestCounts: Sendable, Hashable {
    package var total = 0
    package var perCollection: [String: Int] = [:]
    package var perCollectionUser: [CollectionUser: Int] = [:]

    /// A user within a collection.
    package struct CollectionUser: Sendable, Hashable {
        package var collection: String
        package var username: String

        package init(collection: String, username: String) {
            self.collection = collection
            self.username = username
        }
    }

    package init() {}

    /// Adds `count` active requests of `username` in `collection`.
    package mutating func add(collection: String, username: String, count: Int = 1) {
        total += count
        perCollection[collection, default: 0] += count
        perCollectionUser[CollectionUser(collection: collection, username: username), default: 0] += count
    }
}

/// What happened to a request whose lease expired.
package struct LeaseRecovery: Sendable, Hashable {
    package enum Outcome: Sendable, Hashable {
        case requeued
        case failed
        case purged
    }
    package var id: RequestID
    package var outcome: Outcome
    package var attempts: Int
    package var previousOwner: String

    package init(id: RequestID, outcome: Outcome, attempts: Int, previousOwner: String) {
        self.id = id
        self.outcome = outcome
        self.attempts = attempts
        self.previousOwner = previousOwner
    }
}

/// The request store as workers use it: claim queued requests under a lease, keep the lease
/// alive, and record the outcome.
package protocol WorkQueue: Sendable {
    /// Atomically takes the oldest queued request, marks it `processing`, counts an attempt
    /// and leases it to `worker` until `leaseExpiry`.
    func claimNextRequest(worker: String, leaseExpiry: Date, at now: Date) async throws -> RequestRecord?

    /// Extends the lease and records progress (bytes staged so far). Returns false if the
    /// worker no longer holds it (it expired and another worker took the request), in which
    /// case the worker should stop. A revoked request keeps its lease: runs are not
    /// interrupted, their result is discarded at the end.
    func renewLease(id: RequestID, worker: String, until expiry: Date, stagedBytes: Int64) async throws -> Bool

    /// Records the outcome of a claimed request, if the worker still holds it.
    func finish(id: RequestID, worker: String, outcome: WorkOutcome, at now: Date) async throws -> FinishResult

    /// Gives a claimed request back to the queue (the worker is shutting down); the attempt
    /// is not counted.
    func release(id: RequestID, worker: String, message: String, at now: Date) async throws -> FinishResult

    /// Appends a line to the request's user message while the worker holds it.
    func appendUserMessage(id: RequestID, worker: String, _ line: String, at now: Date) async throws
}

/// How a worker's attempt at a request ended.
package enum WorkOutcome: Sendable, Hashable {
    case processed(StagedResult, message: String)
    /// An archive request's data was archived: processed, with nothing to download.
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

/// The request store as the garbage collector uses it.
package protocol RetentionStore: Sendable {
    /// Deletes finished (processed or failed) requests last changed before `cutoff`, oldest
    /// first, at most `limit`, leaving a note that they expired at `now`; returns the results
    /// that were staged for them.
    func purgeFinishedRequests(before cutoff: Date, limit: Int, at now: Date) async throws -> [PurgedRequest]

    /// Deletes the oldest finished requests that have staged results, just enough of them
    /// for their results to add up to `bytes` (at most `limit` requests), to relieve
    /// staging; returns what was staged for them.
    func purgeOldestResults(freeing bytes: Int64, limit: Int, at now: Date) async throws -> [PurgedRequest]

    /// Fails archive requests still `uploading` that were created before `cutoff` (their
    /// data never came), adding `message` for their users; returns how many.
    func failAbandonedUploads(createdBefore cutoff: Date, message: String, at now: Date) async throws -> Int

    /// Forgets notes of expiry older than `cutoff`.
    func pruneExpiryNotes(before cutoff: Date) async throws

    /// Whether any request references each staging key (used to find orphaned objects).
    func referencedStagingKeys(among keys: [String]) async throws -> Set<String>

    /// Whether the store is reachable and answering.
    func checkHealth() async throws
}

/// A request removed by retention.
package struct PurgedRequest: Sendable, Hashable {
    package var id: RequestID
    package var result: StagedResult?

    package init(id: RequestID, result: StagedResult?) {
        self.id = id
        self.result = result
    }
}

/// Everything a request store backend provides.
package typealias RequestStoreBackend = RequestStore & DispatchStore & WorkQueue & RetentionStore & TelemetryStore & WorkerRegistry
    & APIKeyStore
