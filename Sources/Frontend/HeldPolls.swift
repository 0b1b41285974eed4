import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP
import ServiceLifecycle
import Synchronization

/// Long polls (`?wait=` or `Prefer: wait=`): polls held until their request's status
/// changes. A held poll is a suspended task, no thread; nothing is read per held poll and per
/// tick: when the store signals a change (`requestsChanged`: a commit on SQLite, a status
/// NOTIFY on PostgreSQL), one read of the statuses of every held request wakes those whose
/// status moved. A poll reads its own request's status again when it starts waiting only if
/// a change was signalled since the caller read it (`mark()`). Requires `run()` to be
/// running (a service of the frontend role).
package final class HeldPolls: Service, Sendable {
    private struct Waiter {
        var status: RequestStatus
        /// Set once the waiting task is suspended.
        var continuation: CheckedContinuation<Void, Never>?
        /// The status moved before the task was suspended.
        var changed = false
    }

    private struct State {
        var next = 0
        var waiters: [RequestIdentifier: [Int: Waiter]] = [:]
    }

    let store: any FrontendStore
    let requestsChanged: WakeSignal
    /// Counts the held polls for the store's watcher of other processes' commits.
    let listeners: StatusListeners
    let logger: Logger
    private let state = Mutex(State())

    package init(store: any FrontendStore, requestsChanged: WakeSignal, listeners: StatusListeners = StatusListeners(), logger: Logger) {
        self.store = store
        self.requestsChanged = requestsChanged
        self.listeners = listeners
        self.logger = logger
    }

    /// A point in the stream of change signals, taken before reading the request a poll then
    /// waits on.
    package struct Mark: Sendable {
        /// Nil: unknown, the status is read again in any case.
        fileprivate let signals: UInt64?

        /// For a status read at an unknown time.
        package static let unknown = Mark(signals: nil)
    }

    /// The point to pass to `wait` for a request read from now on.
    package func mark() -> Mark { Mark(signals: requestsChanged.signalCount) }

    /// How many polls are held now.
    package var count: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    package func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                await requestsChanged.wait()
                await look()
            }
        } onGracefulShutdown: { [self] in
            requestsChanged.signal()
            resumeAll()
        }
        resumeAll()
    }

    /// Returns when request `id` has a status other than `status`, when `timeout` passes, or
    /// when the server stops, whichever is first. `status` was read after `mark`: if a change
    /// was signalled since, the status is read again; if not, the next signal's read sees it.
    ///
    /// "The server stops" is the graceful shutdown of the caller's own service (the HTTP
    /// server, whose request handlers inherit it), not only this one's: the HTTP server stops
    /// first and waits for the requests in flight, so a poll held until its timeout would
    /// hold up the whole shutdown by as long.
    ///
    /// When the client on `channel` goes (its connection closed), the poll is let go at once,
    /// so that it holds neither a task nor the client's place under the connection limits
    /// until its timeout.
    package func wait(
        for id: RequestIdentifier, toLeave status: RequestStatus, readAfter mark: Mark, timeout: Duration, channel: (any Channel)? = nil
    ) async {
        guard !Task.isShuttingDownGracefully else { return }
        let token = state.withLock { state -> Int in
            state.next += 1
            state.waiters[id, default: [:]][state.next] = Waiter(status: status)
            return state.next
        }
        await withGracefulShutdownHandler {
            // Registered before it counts as a listener: a watcher that starts watching for it
            // looks at every held poll once it watches, so no change slips between the two.
            let departure = channel.flatMap { ClientDepartures.whenGone($0) { self.remove(id, token)?.continuation?.resume() } }
            defer { if let channel, let departure { ClientDepartures.cancel(channel, token: departure) } }
            await listeners.listening { await hold(id, token, readAfter: mark, timeout: timeout) }
        } onGracefulShutdown: {
            // Removed, the poll returns at once, whether or not it is suspended yet.
            self.remove(id, token)?.continuation?.resume()
        }
    }

    private func hold(_ id: RequestIdentifier, _ token: Int, readAfter mark: Mark, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            guard let waiter = state.waiters[id]?[token], !waiter.changed, !Task.isCancelled else { return true }
                            state.waiters[id]?[token]?.continuation = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.remove(id, token)?.continuation?.resume()
                }
            }
            group.addTask {
                // The status may have changed between the caller's read and this wait.
                if self.requestsChanged.signalCount != mark.signals { await self.look(at: [id]) }
                try? await Task.sleep(for: timeout)
            }
            await group.next()
            self.remove(id, token)?.continuation?.resume()
            group.cancelAll()
        }
    }

    private func remove(_ id: RequestIdentifier, _ token: Int) -> Waiter? {
        state.withLock { state in
            let waiter = state.waiters[id]?.removeValue(forKey: token)
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
            return waiter
        }
    }

    /// Reads the statuses of the held requests (or of `ids`) and wakes the polls whose
    /// request's status changed or that are gone.
    private func look(at ids: [RequestIdentifier]? = nil) async {
        let held = ids ?? state.withLock { Array($0.waiters.keys) }
        guard !held.isEmpty else { return }
        let statuses: [RequestIdentifier: RequestStatus]
        do {
            statuses = try await store.statuses(of: held)
        } catch {
            logger.warning("held polls could not read request statuses", metadata: ["error": "\(error)"])
            return
        }
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for id in held {
                for (token, waiter) in state.waiters[id] ?? [:] where waiter.status != statuses[id] {
                    if let continuation = waiter.continuation {
                        state.waiters[id]?[token] = nil
                        woken.append(continuation)
                    } else {
                        state.waiters[id]?[token]?.changed = true
                    }
                }
                if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    private func resumeAll() {
        let all = state.withLock { state -> [Waiter] in
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap(\.values)
        }
        for waiter in all { waiter.continuation?.resume() }
    }
}
