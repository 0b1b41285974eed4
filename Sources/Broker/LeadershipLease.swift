import Foundation
import PolytopeCore

/// One broker's view of the brokers' leadership lease: when it must next ask the store, and
/// whether it may dispatch now. Pure: the caller passes the time and the store's answers.
///
/// A lease lasts two thirds of `takeover` and is claimed every sixth of it, by the holder to
/// renew and by standbys to take over. So a holder that dies is replaced within `takeover`
/// (its lease lapses, then a standby's next claim wins), and a holder survives three missed
/// renewals before a standby may take over.
package struct LeadershipLease: Sendable {
    /// What a claim's answer changed for this broker.
    package enum Change: Sendable, Hashable {
        /// This broker now dispatches (first claim won, or a takeover).
        case gained
        /// This broker dispatched and another now holds the lease.
        case lost(to: String)
        /// This broker's first claim found another holding the lease: it stands by.
        case standsBy(leader: String)
        /// Nothing changed: still the holder, or still standing by.
        case unchanged
    }

    /// This broker's name in the store (host, process and a random part: unique per process).
    package let holder: String
    /// How long each claim holds the lease.
    package let duration: Duration
    /// How often the lease is claimed.
    package let claimInterval: Duration
    /// The lease as the store last answered.
    package private(set) var known: BrokerLeadership?
    private var nextClaim = Date.distantPast
    /// Whether the store answered a claim yet.
    private var answered = false

    package init(holder: String, takeover: Duration) {
        self.holder = holder
        duration = takeover * 2 / 3
        claimInterval = takeover / 6
    }

    /// Whether the store must be asked now.
    package func claimDue(at now: Date) -> Bool { now >= nextClaim }

    /// The expiry to claim at `now`.
    package func expiry(claimedAt now: Date) -> Date { now + duration.timeInterval }

    /// Records the store's answer to a claim made at `now`.
    package mutating func record(_ lease: BrokerLeadership, at now: Date) -> Change {
        let wasLeader = known?.holder == holder
        defer { answered = true }
        known = lease
        nextClaim = now + claimInterval.timeInterval
        switch (wasLeader, lease.holder == holder) {
        case (false, true): return .gained
        case (true, false): return .lost(to: lease.holder)
        case (false, false) where !answered: return .standsBy(leader: lease.holder)
        default: return .unchanged
        }
    }

    /// Records that the store refused a dispatch of this broker's term: claim again at once.
    package mutating func recordLost() {
        known = nil
        nextClaim = .distantPast
    }

    /// The term this broker may dispatch in at `now`, or nil while another holds the lease
    /// (or this broker's own lease lapsed without renewal).
    package func leadership(at now: Date) -> BrokerLeadership? {
        guard let known, known.holder == holder, known.expiresAt > now else { return nil }
        return known
    }

    /// How long until the next claim is due.
    package func timeUntilClaim(at now: Date) -> Duration {
        .seconds(max(0, nextClaim.timeIntervalSince(now)))
    }
}
