import Foundation
import PolytopeCore
import Synchronization

/// A clock that only moves when a test advances it, with a `WallClock` (`wallClock`) that moves with it.
///
/// Sleepers wake when `advance(by:)` passes their deadline, so tests of timeouts, leases and
/// polling never sleep for real.
package final class ManualClock: Clock, Sendable {
    package struct Instant: InstantProtocol, Hashable {
        package var offset: Duration

        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
    }

    private let state = Mutex(State())
    private let epoch: Date

    package init(date: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.epoch = date
    }

    package var now: Instant { state.withLock { $0.now } }
    package var minimumResolution: Duration { .zero }

    /// The wall-clock date at the clock's current instant.
    package var date: Date {
        let offset = state.withLock { $0.now.offset }
        return epoch.addingTimeInterval(offset.timeInterval)
    }

    /// How many tasks are sleeping on this clock (useful to wait until a service is idle).
    package var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    package func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// The wall clock that reads this clock's `date`.
    package var wallClock: ManualWallClock { ManualWallClock(clock: self) }
}

/// Wall-clock time that follows a `ManualClock`.
package struct ManualWallClock: WallClock {
    package let clock: ManualClock

    package func now() -> Date { clock.date }
}
