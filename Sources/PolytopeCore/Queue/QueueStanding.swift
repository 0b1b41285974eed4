import Foundation
import Synchronization

/// Where waiting requests stand, for poll answers and lists, and the admission check of
/// `limits.max-waiting-per-user`. Each explanation costs a few bounded store reads; the recent
/// rates behind estimates are read at most once per `ratesLifetime` for all polls together.
package struct QueueStanding: Sendable {
    /// How far back finished requests count for the rates.
    static let rateWindow: Duration = .seconds(60)
    /// The most finished requests read for the rates.
    static let rateSample = 5_000
    static let ratesLifetime: TimeInterval = 2

    package let store: any QueueStandingStore
    let catalog: CollectionCatalog
    let maximumActive: Int?
    let wallClock: any WallClock
    private let rates = RatesCache()

    package init(store: any QueueStandingStore, catalog: CollectionCatalog, maximumActive: Int?, wallClock: any WallClock) {
        self.store = store
        self.catalog = catalog
        self.maximumActive = maximumActive
        self.wallClock = wallClock
    }

    /// Why the waiting request `record` waits.
    package func explain(_ record: RequestRecord) async throws -> WaitingExplanation {
        let limit = try await holdingLimit(record, active: try await store.activeRequestCounts())
        return try await explain(record, held: limit)
    }

    /// The limit holding `record`, given the active counts (read once for a whole list).
    package func holdingLimit(_ record: RequestRecord, active: ActiveRequestCounts) async throws -> WaitingExplanation.Limit {
        WaitingExplanation.holdingLimit(
            collection: record.collection, username: record.user.owner, roles: record.user.roles,
            limits: catalog[record.collection]?.limits, maximumActive: maximumActive, active: active)
    }

    /// The explanation of `record` held by `limit`, counting the requests ahead of it (not
    /// when nothing holds it: it is about to be queued, and counting the whole backlog ahead
    /// would cost each poll up to `positionCap` index entries for a figure nobody reads).
    package func explain(_ record: RequestRecord, held limit: WaitingExplanation.Limit) async throws -> WaitingExplanation {
        if case .none = limit { return try await explain(record, held: limit, ahead: nil) }
        let ahead = try await store.waitingCount(
            in: limit.scope(username: record.user.owner), before: record.id, upTo: WaitingExplanation.positionCap + 1)
        return try await explain(record, held: limit, ahead: ahead)
    }

    /// The explanation of `record` held by `limit` with `ahead` requests before it (nil: not counted).
    package func explain(_ record: RequestRecord, held limit: WaitingExplanation.Limit, ahead: Int?) async throws -> WaitingExplanation {
        WaitingExplanation(limit: limit, ahead: ahead, rate: try await recentRates().rate(for: limit, username: record.user.owner))
    }

    private func recentRates() async throws -> RecentRates {
        let now = wallClock.now()
        if let cached = rates.value.withLock({ $0 }), now.timeIntervalSince(cached.readAt) < Self.ratesLifetime { return cached.rates }
        let finishes = try await store.recentFinishes(since: now.addingTimeInterval(-Self.rateWindow.timeInterval), limit: Self.rateSample)
        let fresh = RecentRates(finishes: finishes, window: Self.rateWindow)
        rates.value.withLock { $0 = (now, fresh) }
        return fresh
    }

    /// Refuses a new request of `user` in `collection` early, before its body is read, when
    /// `limits.max-waiting-per-user` of theirs wait there already: 429, with the limit named
    /// (the real client sleeps and retries). The store's `record(_:)` makes the
    /// final check, atomically.
    package func admit(_ user: User, collection: CollectionDefinition, retryAfter: Int) async throws {
        guard let maximum = collection.limits.maximumWaitingPerUser else { return }
        let waiting = try await store.waitingCount(
            in: .user(.init(collection: collection.name, username: user.owner)), before: nil, upTo: maximum)
        guard waiting >= maximum else { return }
        throw Self.waitingLimitRefusal(maximum: maximum, collection: collection.name, retryAfter: retryAfter)
    }

    /// The 429 of a submission over `limits.max-waiting-per-user`.
    package static func waitingLimitRefusal(maximum: Int, collection: String, retryAfter: Int) -> PolytopeError {
        var refusal = PolytopeError(
            .tooManyRequests,
            "You have \(maximum) requests waiting in collection \(collection), its limit (limits.max-waiting-per-user; "
                + "archive requests waiting for their data count too); submit more when some have started.")
        refusal.retryAfter = max(retryAfter, 5)
        return refusal
    }
}

/// The recent rates last read, shared by every copy of a `QueueStanding`.
private final class RatesCache: Sendable {
    let value = Mutex<(readAt: Date, rates: RecentRates)?>(nil)
}

/// Explains the waiting requests of one list as it streams, page by page, at a bounded cost:
/// the active counts are read once; a user's position behind their own waiting requests is
/// counted from the list itself (it holds them in arrival order), with one store count for
/// the first of each collection; positions in a collection or overall are counted for the
/// first `countedPositions` requests only.
package final class WaitingListExplainer: Sendable {
    static let countedPositions = 50

    private struct State {
        var active: ActiveRequestCounts?
        /// Per collection: the user's waiting requests ahead of the next one in the list.
        var ownAhead: [String: Int] = [:]
        var counted = 0
    }

    private let standing: QueueStanding
    /// The list holds one user's requests in arrival order (their own list), so positions
    /// behind their own requests can be counted from it; operators' lists are mixed.
    private let oneUser: Bool
    private let state = Mutex(State())

    package init(standing: QueueStanding, oneUser: Bool = true) {
        self.standing = standing
        self.oneUser = oneUser
    }

    /// Explanations of the waiting requests among `records` (the next page of the list).
    package func explain(_ records: [RequestRecord]) async throws -> [RequestIdentifier: WaitingExplanation] {
        var explanations: [RequestIdentifier: WaitingExplanation] = [:]
        for record in records where record.status == .waiting {
            let known = state.withLock { $0.active }
            let active: ActiveRequestCounts
            if let known {
                active = known
            } else {
                active = try await standing.store.activeRequestCounts()
                state.withLock { $0.active = active }
            }
            let limit = try await standing.holdingLimit(record, active: active)
            switch limit {
            case .perUser(let collection, _, _) where oneUser:
                if let ahead = state.withLock({ $0.ownAhead[collection] }) {
                    explanations[record.id] = try await standing.explain(record, held: limit, ahead: ahead)
                } else {
                    explanations[record.id] = try await standing.explain(record, held: limit)
                }
                let position = explanations[record.id]?.position ?? 1
                state.withLock { $0.ownAhead[collection] = position }
            case .perUser, .collection, .global, .none:
                let counting = state.withLock { state in
                    defer { state.counted += 1 }
                    return state.counted < Self.countedPositions
                }
                explanations[record.id] =
                    counting
                    ? try await standing.explain(record, held: limit) : try await standing.explain(record, held: limit, ahead: nil)
            }
        }
        return explanations
    }
}
