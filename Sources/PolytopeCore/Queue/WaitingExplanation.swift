import Foundation

/// Why a waiting request waits: the limit that holds it, its place among the requests it
/// competes with, and an estimate from the recent rate. Pure: the caller reads the counts.
///
/// Built in two steps: `holdingLimit(...)` names the limit from the active counts (so the
/// caller knows which waiting requests to count), then `init(limit:position:rate:)` words it.
package struct WaitingExplanation: Sendable, Hashable {
    /// The limit that holds a request, with the figures behind it.
    package enum Limit: Sendable, Hashable {
        /// The user's own limit in the collection.
        case perUser(collection: String, limit: Int, active: Int)
        /// The collection's total.
        case collection(String, limit: Int, active: Int)
        /// The server's `broker.max-active`.
        case global(limit: Int, active: Int)
        /// Nothing holds it: a place is free and the broker is about to queue it.
        case none

        /// The waiting requests this limit makes the request compete with.
        package func scope(username: String) -> WaitingScope {
            switch self {
            case .perUser(let collection, _, _): .user(.init(collection: collection, username: username))
            case .collection(let collection, _, _): .collection(collection)
            case .global, .none: .all
            }
        }

        /// The name in the JSON answer.
        package var name: String {
            switch self {
            case .perUser: "per-user"
            case .collection: "collection"
            case .global: "max-active"
            case .none: "none"
            }
        }
    }

    /// The most waiting requests counted ahead of one; beyond it the position reads "more than".
    package static let positionCap = 10_000

    package var limit: Limit
    /// 1 for the next request to go; `positionCap + 1` means "further back than that"; nil
    /// when not counted (lists count a bounded number of positions).
    package var position: Int?
    /// Seconds until its turn at the recent rate; nil when nothing finished recently.
    package var estimatedSeconds: Int?

    /// The limit holding a request of `username` with `roles` in `collection`, checked in the
    /// broker's order (global, collection, user).
    package static func holdingLimit(
        collection: String, username: String, roles: [String], limits: CollectionLimits?, maximumActive: Int?, active: ActiveRequestCounts
    ) -> Limit {
        if let maximumActive, active.total >= maximumActive { return .global(limit: maximumActive, active: active.total) }
        let inCollection = active.perCollection[collection, default: 0]
        if let total = limits?.total, inCollection >= total { return .collection(collection, limit: total, active: inCollection) }
        let own = active.perCollectionUser[.init(collection: collection, username: username), default: 0]
        if let userLimit = limits?.userLimit(roles: roles), own >= userLimit {
            return .perUser(collection: collection, limit: userLimit, active: own)
        }
        return .none
    }

    /// `ahead` waiting requests precede it in its scope; `rate` is how many requests of that
    /// scope finished per second recently.
    package init(limit: Limit, ahead: Int?, rate: Double?) {
        self.limit = limit
        self.position = ahead.map { $0 + 1 }
        if let rate, rate > 0, let ahead, ahead < Self.positionCap {
            estimatedSeconds = max(1, Int((Double(ahead + 1) / rate).rounded(.up)))
        }
    }

    /// The sentence for the user (the poll answer's `message`).
    package var message: String {
        let place: String
        switch limit {
        case .perUser(let collection, let limit, let active):
            place =
                "per-user limit \(limit) in collection \(collection): \(active) of your requests are active; "
                + "this is \(ordinal) among your requests waiting there"
        case .collection(let collection, let limit, let active):
            place =
                "collection limit \(limit) in collection \(collection): \(active) requests are active; "
                + "this is \(ordinal) among the requests waiting there"
        case .global(let limit, let active):
            place = "global max-active \(limit): \(active) requests are active on this server; this is \(ordinal) among all waiting requests"
        case .none:
            return "Request waiting: a place is free; it is being queued."
        }
        guard position != nil else { return "Request waiting: " + place + "." }
        let estimate =
            estimatedSeconds.map { "; about \(Self.describe(seconds: $0)) at the recent rate" }
            ?? "; no estimate yet (nothing finished in the last minute)"
        return "Request waiting: " + place + estimate + "."
    }

    private var ordinal: String {
        guard let position else { return "one" }
        return position > Self.positionCap ? "further back than number \(Self.positionCap)" : "number \(position)"
    }

    /// `seconds` in the largest sensible unit: `40 s`, `3 min`, `2 h 5 min`.
    static func describe(seconds: Int) -> String {
        if seconds < 90 { return "\(seconds) s" }
        let minutes = (seconds + 30) / 60
        if minutes < 90 { return "\(minutes) min" }
        return "\(minutes / 60) h \(minutes % 60) min"
    }

    /// The fields of the JSON answer (`queue` in poll answers and lists).
    package var fields: JSONValue {
        var object: [String: JSONValue] = ["limit": .string(limit.name)]
        if let position { object["position"] = .number(Double(position)) }
        switch limit {
        case .perUser(_, let limit, let active), .collection(_, let limit, let active), .global(let limit, let active):
            object["limitValue"] = .number(Double(limit))
            object["active"] = .number(Double(active))
        case .none: break
        }
        if let estimatedSeconds { object["estimatedSeconds"] = .number(Double(estimatedSeconds)) }
        return .object(object)
    }
}

/// How fast requests finished recently, per user, per collection and overall: the basis of
/// wait estimates. Pure; made from the store's `recentFinishes`.
package struct RecentRates: Sendable, Hashable {
    package var perUser: [ActiveRequestCounts.CollectionUser: Double] = [:]
    package var perCollection: [String: Double] = [:]
    package var total: Double = 0

    package init() {}

    /// Rates from `finishes` over `window`.
    package init(finishes: [ActiveRequestCounts.CollectionUser], window: Duration) {
        let seconds = max(window.timeInterval, 1)
        for finish in finishes {
            perUser[finish, default: 0] += 1 / seconds
            perCollection[finish.collection, default: 0] += 1 / seconds
            total += 1 / seconds
        }
    }

    /// The rate that matters for a request held by `limit`.
    package func rate(for limit: WaitingExplanation.Limit, username: String) -> Double? {
        let rate: Double?
        switch limit {
        case .perUser(let collection, _, _): rate = perUser[.init(collection: collection, username: username)]
        case .collection(let collection, _, _): rate = perCollection[collection]
        case .global, .none: rate = total
        }
        return rate.flatMap { $0 > 0 ? $0 : nil }
    }
}
