import Foundation

/// Tells the wall-clock time written into records and compared with lease expiries.
///
/// Services take one so that tests can move time forward instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's real time.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
