import Synchronization

/// How many tasks wait now for requests to change status (the frontend's held polls), shared
/// with the watcher of other processes' commits, which watches only while someone listens or
/// a role of its process always does (a watch costs every write of the store a notification).
package final class StatusListeners: Sendable {
    private let count = Mutex(0)
    /// Signalled when the first listener arrives.
    package let appeared = WakeSignal()

    package init() {}

    /// Whether anyone listens now.
    package var any: Bool { count.withLock { $0 > 0 } }

    /// Runs `body` as a listener.
    package func listening<T>(_ body: () async throws -> T) async rethrows -> T {
        if count.withLock({ count in
            count += 1
            return count == 1
        }) {
            appeared.signal()
        }
        defer { count.withLock { $0 -= 1 } }
        return try await body()
    }
}
