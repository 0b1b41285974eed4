/// The clock the `polytope` datasource waits and times out on: `ContinuousClock` in service,
/// one that a test moves at will (so that a five-minute outage or a `Retry-After: 60` is
/// tested without waiting for it).
///
/// Promises: `now()` is the time since the clock was made and never goes back; `sleep(_:)`
/// returns once that much time has passed on it (or throws when the task is cancelled).
struct WaitingClock: Sendable {
    /// The time elapsed since the clock was made.
    let now: @Sendable () -> Duration
    /// Waits for a duration on this clock.
    let sleep: @Sendable (Duration) async throws -> Void

    init<C: Clock<Duration>>(_ clock: C) {
        let origin = clock.now
        now = { origin.duration(to: clock.now) }
        sleep = { duration in try await clock.sleep(for: duration) }
    }
}
