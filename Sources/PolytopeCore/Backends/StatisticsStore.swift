import Foundation

/// Counts for telemetry: how many requests are where.
public protocol StatisticsStore: Sendable {
    func statistics() async throws -> RequestStatistics
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
