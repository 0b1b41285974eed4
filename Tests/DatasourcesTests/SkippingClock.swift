import Synchronization

/// A clock on which every sleep returns at once, having moved the clock on by its duration,
/// and is recorded: a test checks the waits asked for (a `Retry-After`, a backoff, a
/// five-minute outage) without waiting for them. `beforeWaking` runs inside each sleep with
/// its number (1 for the first), for a test that changes the world meanwhile.
final class SkippingClock: Clock, Sendable {
    /// A moment on this clock: the time since it was made.
    struct Instant: InstantProtocol, Hashable {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))
    private let beforeWaking: @Sendable (Int) async -> Void

    init(beforeWaking: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.beforeWaking = beforeWaking
    }

    var now: Instant { Instant(offset: state.withLock { $0.now }) }
    var minimumResolution: Duration { .zero }

    /// The durations slept, in order.
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let count = state.withLock { state in
            state.sleeps.append(max(.zero, deadline.offset - state.now))
            state.now = max(state.now, deadline.offset)
            return state.sleeps.count
        }
        await beforeWaking(count)
    }
}
