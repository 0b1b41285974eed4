import PolytopeCore

/// Decides, one waiting request at a time in arrival order, which requests may be queued
/// for workers under the quality-of-service limits. Pure: it only counts.
///
/// First come, first served with skip-ahead: a request held back by a limit of its own
/// (its user's or its collection's) does not block later requests; only the global cap
/// stops the round.
package struct DispatchPlanner: Sendable {
    /// The limits to enforce.
    package struct Policy: Sendable, Hashable {
        /// Most active requests across all collections; nil for no limit.
        package var maximumActive: Int?
        package var collections: [String: CollectionLimits]

        package init(maximumActive: Int? = nil, collections: [String: CollectionLimits]) {
            self.maximumActive = maximumActive
            self.collections = collections
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
