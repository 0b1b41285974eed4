import Logging
import PolytopeCore
import PostgresNIO
import ServiceLifecycle

/// Turns the store's `NOTIFY`s into in-process wake-ups: a request submitted through any
/// frontend wakes every broker at once, and requests queued by any broker wake every worker.
///
/// Holds one connection for `LISTEN`; when the database goes away it reconnects with a
/// growing delay. Meanwhile the roles still poll, so nothing is lost, only slower.
package struct PostgresNotificationBridge: Service {
    let store: PostgresRequestStore
    let dispatchNeeded: WakeSignal
    let workQueued: WakeSignal
    /// Signalled when any request changes status (held polls look again).
    let requestsChanged: WakeSignal
    let logger: Logger

    package init(
        store: PostgresRequestStore, dispatchNeeded: WakeSignal, workQueued: WakeSignal, requestsChanged: WakeSignal = WakeSignal(), logger: Logger
    ) {
        self.requestsChanged = requestsChanged
        self.store = store
        self.dispatchNeeded = dispatchNeeded
        self.workQueued = workQueued
        self.logger = logger
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown { await store.prepared() }
        guard store.isReady else { return }
        let schema = store.configuration.schema
        let channels = [
            ("polytope_requests_\(schema)", dispatchNeeded), ("polytope_work_\(schema)", workQueued),
            ("polytope_changes_\(schema)", requestsChanged),
        ]
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await store.client.withConnection { connection in
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for (channel, signal) in channels {
                                group.addTask {
                                    try await connection.listen(on: channel) { notifications in
                                        for try await _ in notifications { signal.signal() }
                                    }
                                }
                            }
                            // Something may have happened while not listening.
                            for (_, signal) in channels { signal.signal() }
                            try await group.waitForAll()
                        }
                    }
                }
                failures = 0
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                failures += 1
                logger.warning("listening for PostgreSQL notifications failed; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: .milliseconds(min(200 * failures * failures, 10_000)))
            }
        }
    }
}
