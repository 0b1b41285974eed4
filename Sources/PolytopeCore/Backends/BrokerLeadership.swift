import Foundation

/// Who may dispatch: the broker holding the store's leadership lease, and the term it holds
/// it in. Several brokers may run (on one SQLite file or across hosts on PostgreSQL); only the
/// holder queues requests, so the limits are counted by one broker at a time.
///
/// The term grows each time the lease passes to another broker (or back). A dispatch is
/// fenced by the term it started in: the store queues nothing if the term has changed since,
/// so a broker that paused past its lease cannot over-admit after another took over.
package struct BrokerLeadership: Sendable, Hashable, CustomStringConvertible {
    /// The broker that holds the lease.
    package var holder: String
    /// Grows with every change of holder.
    package var term: Int64
    /// When the lease lapses unless its holder renews it.
    package var expiresAt: Date

    package init(holder: String, term: Int64, expiresAt: Date) {
        self.holder = holder
        self.term = term
        self.expiresAt = expiresAt
    }

    package var description: String { "\(holder) (term \(term))" }
}

/// The store refused to queue requests because the dispatching broker's leadership term
/// ended: another broker took over.
package struct LeadershipLost: Error, Sendable, Hashable, CustomStringConvertible {
    package var term: Int64

    package init(term: Int64) {
        self.term = term
    }

    package var description: String { "leadership term \(term) ended; another broker dispatches" }
}
