import Foundation

/// The request store as the broker uses it.
package protocol DispatchStore: Sendable {
    /// Every user with waiting requests, once per collection they wait in. Costs one index
    /// step per user, not per waiting request.
    func waitingUsers() async throws -> [ActiveRequestCounts.CollectionUser]

    /// The oldest waiting requests of each user in `quotas`, at most their quota each, in
    /// arrival order per user.
    func waitingRequests(quotas: QuotaTable) async throws -> [DispatchCandidate]

    /// Active requests (queued, processing, and revoked ones a worker is still running:
    /// a revoked request only stays in the store while a worker holds it) counted per
    /// collection and user.
    func activeRequestCounts() async throws -> ActiveRequestCounts

    /// The reads of one dispatch round: the active counts, and the waiting requests of the
    /// quotas that `quotas` gives the waiting users under those counts. A store may read them
    /// in one snapshot; nil when nobody waits.
    func dispatchSnapshot(quotas: @Sendable (_ waiting: [ActiveRequestCounts.CollectionUser], _ active: ActiveRequestCounts) -> QuotaTable)
        async throws -> DispatchSnapshot?

    /// Moves the given requests from `waiting` to `queued`. Requests that are no longer
    /// waiting (revoked meanwhile) are skipped.
    /// - Parameter leadership: the term the caller dispatches in; if the store's lease has
    ///   moved on since, nothing is queued and `LeadershipLost` is thrown. Nil: unfenced
    ///   (tools and tests).
    /// - Returns: how many were queued.
    func markQueued(_ ids: [RequestIdentifier], at now: Date, leadership: BrokerLeadership?) async throws -> Int

    /// Takes or renews the brokers' leadership lease for `holder` until `expiry`: granted
    /// when `holder` already holds it or it lapsed before `now`; otherwise unchanged.
    /// - Returns: the lease as it now stands (held by `holder` or by another broker).
    func claimLeadership(holder: String, until expiry: Date, at now: Date) async throws -> BrokerLeadership

    /// Ends `holder`'s lease at once (graceful shutdown), so a standby takes over without
    /// waiting for it to lapse. Does nothing if `holder` does not hold it.
    func releaseLeadership(holder: String, at now: Date) async throws

    /// Fails a request that is still waiting (it can never run, e.g. its collection is gone).
    func failWaiting(_ id: RequestIdentifier, message: String, at now: Date) async throws

    /// Requeues or fails requests whose worker stopped renewing its lease, and deletes revoked
    /// requests whose worker vanished.
    /// - Parameter maximumAttempts: a request started this many times fails instead of being requeued.
    func recoverExpiredLeases(at now: Date, maximumAttempts: Int) async throws -> [LeaseRecovery]
}

/// How many of each waiting user's oldest requests a dispatch round reads.
package typealias QuotaTable = [ActiveRequestCounts.CollectionUser: Int]

/// What a dispatch round decides on: the active requests, and the waiting ones it may admit.
package struct DispatchSnapshot: Sendable {
    package var active: ActiveRequestCounts
    /// In arrival order.
    package var candidates: [DispatchCandidate]

    package init(active: ActiveRequestCounts, candidates: [DispatchCandidate]) {
        self.active = active
        self.candidates = candidates
    }
}

extension DispatchStore {
    /// The round's reads one after the other, each in its own snapshot.
    package func dispatchSnapshot(
        quotas: @Sendable (_ waiting: [ActiveRequestCounts.CollectionUser], _ active: ActiveRequestCounts) -> QuotaTable
    ) async throws -> DispatchSnapshot? {
        let waiting = try await waitingUsers()
        guard !waiting.isEmpty else { return nil }
        let active = try await activeRequestCounts()
        let table = quotas(waiting, active)
        return DispatchSnapshot(active: active, candidates: table.isEmpty ? [] : try await waitingRequests(quotas: table))
    }

    /// Moves the given requests from `waiting` to `queued`, unfenced (tools and tests).
    package func markQueued(_ ids: [RequestIdentifier], at now: Date) async throws -> Int {
        try await markQueued(ids, at: now, leadership: nil)
    }
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
    package var id: RequestIdentifier
    package var cursor: DispatchCursor
    package var username: String
    package var roles: [String]
    package var collection: String

    package init(id: RequestIdentifier, cursor: DispatchCursor, username: String, roles: [String], collection: String) {
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

/// What becomes of a request whose worker's lease expired: decided here, once, for every
/// store. A revoked request is deleted (its worker can no longer let go of it); one started
/// `maximumAttempts` times fails; any other is queued again.
package struct LeaseRecovery: Sendable, Hashable {
    /// The request's fate.
    package enum Outcome: Sendable, Hashable {
        case requeued
        case failed
        case purged

        /// The status the request is given; nil: it is deleted.
        package var status: RequestStatus? {
            switch self {
            case .requeued: .queued
            case .failed: .failed
            case .purged: nil
            }
        }
    }
    package var id: RequestIdentifier
    package var outcome: Outcome
    /// How often the request was started.
    package var attempts: Int
    /// The worker whose lease expired.
    package var previousOwner: String
    /// The line added to the request's message for its user (nil when it is deleted).
    package var userMessage: String?
    /// The request's collection and datasource, for the metrics of a request that fails.
    package var collection = ""
    package var datasource = ""

    /// Decides what becomes of request `id`, found in `status` with an expired lease after
    /// `attempts` starts.
    package init(
        id: RequestIdentifier, status: RequestStatus, attempts: Int, previousOwner: String, maximumAttempts: Int, collection: String = "",
        datasource: String = ""
    ) {
        self.id = id
        self.collection = collection
        self.datasource = datasource
        self.attempts = attempts
        self.previousOwner = previousOwner
        if status == .revoked {
            outcome = .purged
        } else if attempts >= maximumAttempts {
            outcome = .failed
            userMessage = "The request was started \(attempts) times and each time the worker running it stopped responding; giving up."
        } else {
            outcome = .requeued
            userMessage =
                "The worker running the request stopped responding; it was queued again (attempt \(attempts + 1) of \(maximumAttempts))."
        }
    }
}
