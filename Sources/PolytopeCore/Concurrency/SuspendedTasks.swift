import Synchronization

/// Tasks suspended until a mutex-guarded state says they may go on (`Latch`, `WakeSignal`).
struct SuspendedTasks {
    private var lastID = 0
    private var continuations: [Int: CheckedContinuation<Void, Never>] = [:]

    /// How many tasks are suspended now.
    var count: Int { continuations.count }

    /// Takes every suspended task, for the caller to resume once it has let go of the lock.
    mutating func takeAll() -> [CheckedContinuation<Void, Never>] {
        defer { continuations.removeAll() }
        return Array(continuations.values)
    }

    fileprivate mutating func reserveID() -> Int {
        lastID += 1
        return lastID
    }

    fileprivate mutating func add(_ continuation: CheckedContinuation<Void, Never>, id: Int) {
        continuations[id] = continuation
    }

    fileprivate mutating func remove(id: Int) -> CheckedContinuation<Void, Never>? {
        continuations.removeValue(forKey: id)
    }
}

/// A state tasks wait on: it holds them, and says when one may go on.
protocol WaitedOnState {
    var suspended: SuspendedTasks { get set }
    /// Whether a task that starts waiting now goes on at once (and takes what lets it go on).
    mutating func letsWaiterGoOn() -> Bool
}

extension Mutex where Value: WaitedOnState {
    /// Suspends the calling task until the state lets it go on, it is taken from
    /// `SuspendedTasks` and resumed, or the task is cancelled.
    func suspendUntilReady() async {
        let id = withLock { $0.suspended.reserveID() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Cancellation is checked under the lock that `onCancel` takes too, so a waiter
                // cancelled at any moment is resumed exactly once.
                let goOn = withLock { state in
                    if state.letsWaiterGoOn() || Task.isCancelled { return true }
                    state.suspended.add(continuation, id: id)
                    return false
                }
                if goOn { continuation.resume() }
            }
        } onCancel: {
            withLock { $0.suspended.remove(id: id) }?.resume()
        }
    }
}
