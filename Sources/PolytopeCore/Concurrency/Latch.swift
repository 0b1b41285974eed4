import Synchronization

/// A one-way gate: `wait()` suspends until `open()` is called, and returns at once afterwards.
package final class Latch: Sendable {
    private struct State: WaitedOnState {
        var isOpen = false
        var suspended = SuspendedTasks()
        func letsWaiterGoOn() -> Bool { isOpen }
    }
    private let state = Mutex(State())

    package init() {}

    package var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Opens the gate for every current and future waiter.
    package func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            return state.suspended.takeAll()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch is open, or when the task is cancelled.
    package func wait() async {
        await state.suspendUntilReady()
    }
}
