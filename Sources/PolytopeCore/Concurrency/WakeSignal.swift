import Synchronization

/// An in-process nudge: `signal()` wakes whoever is waiting, or the next one to wait.
///
/// Signals coalesce (ten signals before a wait wake it once). Roles use them only to react
/// sooner; they always poll the store as well, so correctness never depends on a signal.
package final class WakeSignal: Sendable {
    private struct State: WaitedOnState {
        var pending = false
        var signals: UInt64 = 0
        var suspended = SuspendedTasks()

        mutating func letsWaiterGoOn() -> Bool {
            defer { pending = false }
            return pending
        }
    }
    private let state = Mutex(State())

    package init() {}

    /// How many tasks are waiting now (for diagnostics and tests).
    package var waiterCount: Int { state.withLock { $0.suspended.count } }

    /// How many times `signal()` was called so far: a caller that reads something and then
    /// starts waiting for its change compares the count from before its read with the count
    /// when it waits, to tell whether a signal fell between the two.
    package var signalCount: UInt64 { state.withLock { $0.signals } }

    /// Wakes every current waiter, or the next `wait()` if nobody is waiting.
    package func signal() {
        let waiters = state.withLock { state in
            state.signals &+= 1
            if state.suspended.count == 0 { state.pending = true }
            return state.suspended.takeAll()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next signal (at once if one is pending) or when the task is cancelled.
    package func wait() async {
        await state.suspendUntilReady()
    }

    /// Returns at the next signal or after `timeout` on `clock`, whichever comes first.
    package func wait<C: Clock<Duration>>(timeout: Duration, clock: C) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await clock.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
