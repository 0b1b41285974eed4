import Synchronization

/// A reading (such as the store's request statistics) taken at most once per interval and
/// shared by every caller meanwhile, so that what anyone may ask, anonymous callers included,
/// costs the store a bounded share of its time whatever the rate of asking.
///
/// A reading stays current for `minimumInterval`, or for `costFactor` times as long as it
/// took when that is longer: a store where counting takes 50 ms is counted at most once a
/// second, never more than a twentieth of the time. Callers that arrive while a reading is
/// taken wait for that one. A failed reading is not kept.
package final class ThrottledReading<Value: Sendable>: Sendable {
    private struct State {
        /// The last reading, and until when it is current.
        var last: (value: Value, until: ContinuousClock.Instant)?
        var inFlight: Task<Value, any Error>?
    }

    private let read: @Sendable () async throws -> Value
    private let minimumInterval: Duration
    private let costFactor: Int
    private let state = Mutex(State())

    package init(minimumInterval: Duration = .milliseconds(250), costFactor: Int = 20, read: @escaping @Sendable () async throws -> Value) {
        self.read = read
        self.minimumInterval = minimumInterval
        self.costFactor = costFactor
    }

    /// The current reading: the last one if still current, else a new one.
    package func value() async throws -> Value {
        let clock = ContinuousClock()
        let reading = state.withLock { current -> Reading in
            if let last = current.last, clock.now < last.until { return .current(last.value) }
            if let inFlight = current.inFlight { return .pending(inFlight) }
            // Unstructured on purpose: callers that arrive meanwhile share it, and it completes
            // even when the caller that started it goes away.
            let task = Task { [self] in
                let start = clock.now
                do {
                    let value = try await read()
                    let cost = clock.now - start
                    state.withLock { state in
                        state.last = (value, clock.now + max(minimumInterval, cost * costFactor))
                        state.inFlight = nil
                    }
                    return value
                } catch {
                    state.withLock { $0.inFlight = nil }
                    throw error
                }
            }
            current.inFlight = task
            return .pending(task)
        }
        switch reading {
        case .current(let value): return value
        case .pending(let task): return try await task.value
        }
    }

    private enum Reading {
        case current(Value)
        case pending(Task<Value, any Error>)
    }
}
