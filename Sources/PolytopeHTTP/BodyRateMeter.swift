import PolytopeCore

/// Decides whether a request body arrives too slowly. Pure: the caller passes the time.
///
/// Only the time the server spends *waiting* for the client counts (from asking the
/// connection for more bytes until they come), so a body the server itself holds back
/// (backpressure while staging is slow) is never judged slow. Once that waiting adds up to
/// `window`, the bytes received over it must be at least `minimumBytesPerSecond × window`;
/// then a new window starts.
package struct BodyRateMeter: Sendable {
    package let minimumBytesPerSecond: Int
    package let window: Duration
    private var waitingSince: ContinuousClock.Instant?
    private var waited: Duration = .zero
    private var bytes = 0

    package init(minimumBytesPerSecond: Int, window: Duration) {
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.window = window
    }

    /// The server asked the connection for more bytes at `now`.
    package mutating func startWaiting(at now: ContinuousClock.Instant) {
        if waitingSince == nil { waitingSince = now }
    }

    /// `count` bytes of body arrived at `now`.
    /// - Returns: whether the body is too slow.
    package mutating func received(_ count: Int, at now: ContinuousClock.Instant) -> Bool {
        if let since = waitingSince {
            waited += now - since
            waitingSince = nil
        }
        bytes += count
        return isTooSlow(at: now)
    }

    /// Whether the body is too slow at `now`; starts a new window when one passed at the
    /// required rate.
    package mutating func isTooSlow(at now: ContinuousClock.Instant) -> Bool {
        let current = waitingSince.map { now - $0 } ?? .zero
        guard waited + current >= window else { return false }
        let required = Double(minimumBytesPerSecond) * window.timeInterval
        if Double(bytes) < required { return true }
        bytes = 0
        waited = .zero
        if waitingSince != nil { waitingSince = now }
        return false
    }
}
