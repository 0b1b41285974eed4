import Foundation

/// The request store as telemetry reads it: counts, and requests of every user for admins.
public protocol TelemetryStore: Sendable {
    /// How many requests are where.
    func statistics() async throws -> RequestStatistics

    /// Requests of any user matching `query`, newest first (revoked ones left out).
    func requests(matching query: RequestQuery) async throws -> [RequestRecord]
}

/// A filter over all requests, for operators.
public struct RequestQuery: Sendable, Hashable {
    public var status: RequestStatus?
    public var username: String?
    public var collection: String?
    public var limit: Int

    public init(status: RequestStatus? = nil, username: String? = nil, collection: String? = nil, limit: Int = 100) {
        self.status = status
        self.username = username
        self.collection = collection
        self.limit = limit
    }
}

/// Where worker pools say they are alive and how busy they are, so that any process can
/// show every worker of the deployment.
public protocol WorkerRegistry: Sendable {
    /// Records (or refreshes) a worker pool's status.
    func reportWorker(_ status: WorkerStatus) async throws

    /// Removes a worker pool that stopped.
    func removeWorker(id: String) async throws

    /// Worker pools that reported since `date`.
    func workers(seenSince date: Date) async throws -> [WorkerStatus]
}

/// One worker pool as it last reported itself.
public struct WorkerStatus: Sendable, Hashable, Codable {
    public var id: String
    public var slots: Int
    public var busy: Int
    public var startedAt: Date
    public var seenAt: Date

    public init(id: String, slots: Int, busy: Int, startedAt: Date, seenAt: Date) {
        self.id = id
        self.slots = slots
        self.busy = busy
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}

/// A snapshot of the request store's contents.
public struct RequestStatistics: Sendable, Hashable, Codable {
    /// Requests per collection and status (`debug` → `waiting` → 3).
    public var byCollection: [String: [String: Int]]
    /// When the oldest waiting request arrived, if any is waiting.
    public var oldestWaitingSince: Date?

    public init(byCollection: [String: [String: Int]] = [:], oldestWaitingSince: Date? = nil) {
        self.byCollection = byCollection
        self.oldestWaitingSince = oldestWaitingSince
    }

    /// Requests per status over all collections.
    public var byStatus: [String: Int] {
        byCollection.values.reduce(into: [:]) { total, counts in
            for (status, count) in counts { total[status, default: 0] += count }
        }
    }
}
