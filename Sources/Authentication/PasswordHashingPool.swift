import Logging
import NIOPosix
import PolytopeCore
import ServiceLifecycle
import Synchronization

/// Runs deliberately slow password hashing on threads of its own, so that a flood of
/// password checks can never take the threads that answer every other request.
///
/// At most `maximumPending` checks wait or run at once; beyond that a check is refused at
/// once with a 503 (`PolytopeError` `.unavailable` with a `Retry-After`). A check whose
/// caller went away (its task is cancelled, or its connection closed: `CallerConnection`)
/// is dropped before it starts. Runs as a service only to stop its threads at shutdown.
package final class PasswordHashingPool: Service, Sendable {
    /// Sizes of the pool.
    package struct Configuration: Sendable, Hashable {
        /// Threads that hash; each check of a 600,000-round hash takes about 0.1-0.2 s of one.
        package var threads: Int
        /// Checks that may wait or run at once.
        package var maximumPending: Int

        package init(threads: Int = 1, maximumPending: Int = 16) {
            self.threads = threads
            self.maximumPending = maximumPending
        }
    }

    private let pool: NIOThreadPool
    private let pending = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    package let configuration: Configuration
    private let metrics: PolytopeMetrics

    package init(configuration: Configuration = Configuration(), metrics: PolytopeMetrics = PolytopeMetrics()) {
        self.configuration = configuration
        self.metrics = metrics
        pool = NIOThreadPool(numberOfThreads: max(1, configuration.threads))
        pool.start()
    }

    /// Checks waiting or running now.
    package var pendingChecks: Int { pending.load(ordering: .relaxed) }

    deinit {
        stop()
    }

    /// Runs `check` on a hashing thread.
    /// - Throws: `PolytopeError` `.unavailable` when the pool is full; `CancellationError`
    ///   when the caller was cancelled before the check started.
    package func run<Result: Sendable>(_ check: @escaping @Sendable () -> Result) async throws -> Result {
        let waiting = pending.add(1, ordering: .relaxed).newValue
        defer { pending.subtract(1, ordering: .relaxed) }
        guard waiting <= configuration.maximumPending else {
            metrics.passwordChecksRefused()
            var error = PolytopeError(.unavailable, "Too many sign-ins are being checked right now; please try again shortly.")
            error.retryAfter = 1
            throw error
        }
        try Task.checkCancellation()
        let abandoned = Abandoned()
        let caller = CallerConnection.current
        return try await withTaskCancellationHandler {
            try await pool.runIfActive {
                if abandoned.flag.load(ordering: .relaxed) || caller?.isOpen == false { throw CancellationError() }
                return check()
            }
        } onCancel: {
            abandoned.flag.store(true, ordering: .relaxed)
        }
    }

    package func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    private func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        pool.shutdownGracefully { _ in }
    }

    /// Set when the caller of one check is cancelled.
    private final class Abandoned: Sendable {
        let flag = Atomic<Bool>(false)
    }
}
