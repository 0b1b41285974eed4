import NIOCore
import Synchronization

/// Connections whose client has gone: it closed its sending side (the channel stays open, as
/// Hummingbird allows half-closure) or the channel closed. `HTTP1ConnectionGuard` records
/// both; work held for the client (a password check, a long poll) asks here, or is told.
package enum ClientDepartures {
    private struct State {
        var departed: Set<ObjectIdentifier> = []
        /// What to do when a channel's client goes, by channel and token.
        var waiters: [ObjectIdentifier: [Int: @Sendable () -> Void]] = [:]
        var next = 0
    }

    private static let state = Mutex(State())

    /// The client of `channel` closed its sending side.
    static func record(_ channel: any Channel) {
        let waiters = state.withLock { state in
            state.departed.insert(ObjectIdentifier(channel))
            return state.waiters.removeValue(forKey: ObjectIdentifier(channel)) ?? [:]
        }
        for action in waiters.values { action() }
    }

    /// `channel` closed (or left the pipeline): its client has gone, and nothing is kept of it.
    static func forget(_ channel: any Channel) {
        let waiters = state.withLock { state in
            state.departed.remove(ObjectIdentifier(channel))
            return state.waiters.removeValue(forKey: ObjectIdentifier(channel)) ?? [:]
        }
        for action in waiters.values { action() }
    }

    /// Whether the client of `channel` closed its sending side.
    package static func hasDeparted(_ channel: any Channel) -> Bool {
        state.withLock { $0.departed.contains(ObjectIdentifier(channel)) }
    }

    /// Runs `action` once the client of `channel` goes (at once if it has gone); returns a
    /// token for `cancel`, or nil when `action` ran already. A client that went before the
    /// guard saw it is not seen, nor is one of a channel that is never active (a test
    /// harness's): the caller's work then ends as it would have.
    package static func whenGone(_ channel: any Channel, _ action: @escaping @Sendable () -> Void) -> Int? {
        let id = ObjectIdentifier(channel)
        let token = state.withLock { state -> Int? in
            if state.departed.contains(id) { return nil }
            state.next += 1
            state.waiters[id, default: [:]][state.next] = action
            return state.next
        }
        if token == nil { action() }
        return token
    }

    /// Forgets the action `token` stands for, if it has not run.
    package static func cancel(_ channel: any Channel, token: Int) {
        _ = removeWaiter(ObjectIdentifier(channel), token)
    }

    private static func removeWaiter(_ id: ObjectIdentifier, _ token: Int) -> (@Sendable () -> Void)? {
        state.withLock { state in
            let waiter = state.waiters[id]?.removeValue(forKey: token)
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
            return waiter
        }
    }
}
