import Foundation

/// Tells the wall-clock time written into records and compared with lease expiries.
///
/// Services take one so that tests can move time forward instead of sleeping.
package protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's real time.
package struct SystemWallClock: WallClock {
    package init() {}
    package func now() -> Date { Date() }
}
