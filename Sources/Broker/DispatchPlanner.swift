import PolytopeCore

/// Decides which waiting requests may be queued for workers under the quality-of-service
/// limits, and in which order. Pure: it only counts and sorts.
///
/// A round asks the planner how many of each user's oldest waiting requests could be admitted
/// at most (`quota(for:cap:)`), puts those candidates in dispatch order (`order(_:)`), then
/// considers them one at a time (`consider(_:)`). A request held back by a limit of its own
/// (its user's or its collection's) does not block others; only the global cap stops the round.
package struct DispatchPlanner: Sendable {
    /// The limits to enforce.
    package struct Policy: Sendable, Hashable {
        /// Most active requests across all collections; nil for no limit.
        package var maximumActive: Int?
        package var collections: [String: CollectionLimits]
        /// The order of collections that name none.
        package var defaultQueuePolicy: QueuePolicy

        package init(maximumActive: Int? = nil, collections: [String: CollectionLimits], defaultQueuePolicy: QueuePolicy = .fifo) {
            self.maximumActive = maximumActive
            self.collections = collections
            self.defaultQueuePolicy = defaultQueuePolicy
        }

        /// The order of `collection`'s waiting requests.
        package func queuePolicy(of collection: String) -> QueuePolicy {
            collections[collection]?.policy ?? defaultQueuePolicy
        }
    }

    /// What to do with one candidate.
    package enum Decision: Sendable, Hashable {
        /// Queue it now.
        case admit
        /// Leave it waiting; a limit of its own is reached.
        case hold(reason: String)
        /// It can never run (its collection is gone); fail it with this message.
        case reject(message: String)
        /// The global cap is reached; stop looking at further candidates this round.
        case stop
    }

    package let policy: Policy
    package private(set) var counts: ActiveRequestCounts

    package init(policy: Policy, active counts: ActiveRequestCounts) {
        self.policy = policy
        self.counts = counts
    }

    /// How many of `group`'s oldest waiting requests this round could admit at most, and at
    /// most `cap`; 0 when none. An upper bound: a user's roles may allow fewer.
    package func quota(for group: ActiveRequestCounts.CollectionUser, cap: Int) -> Int {
        var room = cap
        if let maximum = policy.maximumActive { room = min(room, maximum - counts.total) }
        guard let limits = policy.collections[group.collection] else { return room }  // rejected, all of them
        if let total = limits.total { room = min(room, total - counts.perCollection[group.collection, default: 0]) }
        if let perUser = limits.highestUserLimit { room = min(room, perUser - counts.perCollectionUser[group, default: 0]) }
        return max(0, room)
    }

    /// `candidates` in the order they are considered: arrival order across collections; within
    /// one collection, higher priority first, then (fair share) users take turns, fewest active
    /// and queued first. Each user's own requests keep their arrival order.
    package func order(_ candidates: [DispatchCandidate]) -> [DispatchCandidate] {
        var ordered = candidates.sorted { $0.cursor < $1.cursor }
        let positions = Dictionary(grouping: ordered.indices, by: { ordered[$0].collection })
        for (collection, slots) in positions {
            let limits = policy.collections[collection]
            let fairShare = policy.queuePolicy(of: collection) == .fairShare
            guard fairShare || !(limits?.priorities.isEmpty ?? true) else { continue }
            var turns: [String: Int] = [:]
            let keyed = slots.map { slot -> (priority: Int, turn: Int, candidate: DispatchCandidate) in
                let candidate = ordered[slot]
                let user = ActiveRequestCounts.CollectionUser(collection: collection, username: candidate.username)
                var turn = 0
                if fairShare {
                    turn = counts.perCollectionUser[user, default: 0] + turns[candidate.username, default: 0]
                    turns[candidate.username, default: 0] += 1
                }
                return (limits?.priority(roles: candidate.roles) ?? 0, turn, candidate)
            }
            let sorted = keyed.sorted {
                ($0.priority, -$0.turn, -$0.candidate.cursor.sequence) > ($1.priority, -$1.turn, -$1.candidate.cursor.sequence)
            }
            for (slot, entry) in zip(slots, sorted) { ordered[slot] = entry.candidate }
        }
        return ordered
    }

    /// Decides about `candidate`; an admitted candidate counts as active from now on.
    package mutating func consider(_ candidate: DispatchCandidate) -> Decision {
        if let maximum = policy.maximumActive, counts.total >= maximum {
            return .stop
        }
        guard let limits = policy.collections[candidate.collection] else {
            return .reject(message: "The collection '\(candidate.collection)' is no longer configured on this server.")
        }
        if let total = limits.total, counts.perCollection[candidate.collection, default: 0] >= total {
            return .hold(reason: "collection '\(candidate.collection)' has \(total) active requests, its limit")
        }
        let key = ActiveRequestCounts.CollectionUser(collection: candidate.collection, username: candidate.username)
        if let userLimit = limits.userLimit(roles: candidate.roles), counts.perCollectionUser[key, default: 0] >= userLimit {
            return .hold(reason: "user '\(candidate.username)' has \(userLimit) active requests in '\(candidate.collection)', their limit")
        }
        counts.add(collection: candidate.collection, username: candidate.username)
        return .admit
    }
}
