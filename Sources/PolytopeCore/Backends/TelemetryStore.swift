import Foundation

/// The request store as telemetry reads it: counts, and requests of every user for admins.
package protocol TelemetryStore: Sendable {
    /// How many requests are where.
    func statistics() async throws -> RequestStatistics

    /// One page of the requests of any user matching `query`, newest first (revoked ones
    /// left out): at most `query.limit`, after `query.after` in that order.
    func requests(matching query: RequestQuery) async throws -> RequestPage

    /// How many of the requests in the store were submitted in each clock minute from minute
    /// `first` on (minutes since 1970, by `createdAt`). Minutes without any are left out.
    func submissionsPerMinute(from first: Int64) async throws -> [Int64: Int]
}

/// A filter over all requests, for operators.
package struct RequestQuery: Sendable, Hashable {
    package var status: RequestStatus?
    package var username: String?
    package var collection: String?
    /// Where the page starts (newest first: requests older than the cursor); nil for the newest.
    package var after: RequestListCursor?
    package var limit: Int

    package init(
        status: RequestStatus? = nil, username: String? = nil, collection: String? = nil, after: RequestListCursor? = nil, limit: Int = 100
    ) {
        self.status = status
        self.username = username
        self.collection = collection
        self.after = after
        self.limit = limit
    }
}

/// Where worker pools say they are alive and how busy they are, so that any process can
/// show every worker of the deployment.
package protocol WorkerRegistry: Sendable {
    /// Records (or refreshes) a worker pool's status.
    func reportWorker(_ status: WorkerStatus) async throws

    /// Removes a worker pool that stopped.
    func removeWorker(id: String) async throws

    /// Worker pools that reported since `date`.
    func workers(seenSince date: Date) async throws -> [WorkerStatus]
}

/// One worker pool as it last reported itself.
package struct WorkerStatus: Sendable, Hashable, Codable {
    package var id: String
    package var slots: Int
    package var busy: Int
    package var startedAt: Date
    package var seenAt: Date

    package init(id: String, slots: Int, busy: Int, startedAt: Date, seenAt: Date) {
        self.id = id
        self.slots = slots
        self.busy = busy
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}

/// A snapshot of the request store's contents.
package struct RequestStatistics: Sendable, Hashable, Codable {
    /// Requests per collection and status (`debug` → `waiting` → 3).
    package var byCollection: [String: [String: Int]]
    /// When the oldest waiting request arrived, if any is waiting.
    package var oldestWaitingSince: Date?

    package init(byCollection: [String: [String: Int]] = [:], oldestWaitingSince: Date? = nil) {
        self.byCollection = byCollection
        self.oldestWaitingSince = oldestWaitingSince
    }

    /// Requests per status over all collections.
    package var byStatus: [String: Int] {
        byCollection.values.reduce(into: [:]) { total, counts in
            for (status, count) in counts { total[status, default: 0] += count }
        }
    }
}
