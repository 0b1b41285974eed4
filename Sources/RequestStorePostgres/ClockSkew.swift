import Foundation

/// How far a host's clock is from the database's. Hosts sharing a PostgreSQL store compare
/// times that other hosts wrote: a worker's lease expiry with the broker's clock, the broker
/// leadership's expiry with a standing-by broker's, a result's age with the garbage
/// collector's. Each measurement goes to the gauge `polytope_clock_skew_seconds`, and clocks
/// apart by more than `tolerance` are logged, so that an operator fixes them (NTP) before
/// leases expire early or late.
package struct ClockSkew: Sendable, Hashable {
    /// The most a host's clock may differ from the database's without a warning.
    package static let tolerance: TimeInterval = 1
    /// How often a running store looks again.
    package static let checkInterval: Duration = .seconds(600)

    /// This host's clock minus the database's, in seconds.
    package var seconds: TimeInterval

    /// The skew from the database's clock read between two readings of this host's; nil when
    /// the round trip took too long (over `tolerance`) to tell.
    package init?(localBefore: Date, database: Date, localAfter: Date) {
        let roundTrip = localAfter.timeIntervalSince(localBefore)
        guard roundTrip >= 0, roundTrip <= Self.tolerance else { return nil }
        seconds = localBefore.addingTimeInterval(roundTrip / 2).timeIntervalSince(database)
    }

    /// Whether the clocks are too far apart.
    package var isTooLarge: Bool { abs(seconds) > Self.tolerance }
}
