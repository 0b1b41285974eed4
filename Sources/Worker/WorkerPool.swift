import Foundation
import Logging
import PolytopeCore
import ServiceLifecycle
import Synchronization

/// The worker role: a pool of `slots` concurrent workers that claim queued requests from the
/// store under a lease, run them on their datasource and stage the result.
///
/// On graceful shutdown the pool stops claiming, lets running requests finish for up to
/// `shutdownGracePeriod`, then hands what is still running back to the queue. If the
/// process dies instead, the leases expire and the broker queues the requests again.
/// Requires `run()` to be running.
package struct WorkerPool<C: Clock<Duration>>: Service {
    package typealias Configuration = WorkerPoolConfiguration

    let configuration: Configuration
    let runner: RequestRunner<C>
    let queue: any WorkQueue
    let registry: (any WorkerRegistry)?
    let workQueued: WakeSignal
    /// Signalled whenever a request this pool ran stops being active (the broker may dispatch
    /// another in its place).
    let slotFreed: WakeSignal?
    let clock: C
    let wallClock: any WallClock
    let metrics: PolytopeMetrics
    let logger: Logger

    package init(
        configuration: Configuration,
        queue: any WorkQueue,
        registry: (any WorkerRegistry)? = nil,
        staging: any StagingArea,
        archiveSources: (any ArchiveSourceReader)? = nil,
        catalog: CollectionCatalog,
        workQueued: WakeSignal,
        slotFreed: WakeSignal? = nil,
        clock: C,
        wallClock: any WallClock = SystemWallClock(),
        metrics: PolytopeMetrics = PolytopeMetrics(),
        logger: Logger
    ) {
        self.configuration = configuration
        self.queue = queue
        self.registry = registry
        self.metrics = metrics
        self.workQueued = workQueued
        self.slotFreed = slotFreed
        self.clock = clock
        self.wallClock = wallClock
        self.logger = logger
        self.runner = RequestRunner(
            configuration: configuration, queue: queue, staging: staging, archiveSources: archiveSources, catalog: catalog, clock: clock,
            wallClock: wallClock,
            metrics: metrics, logger: logger
        )
    }

    private enum Event: Sendable {
        case wake
        case finished(RequestRunner<C>.RunOutcome)
        case shutdown
        case graceExpired
    }

    package func run() async throws {
        let (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        let handBack = Latch()
        let busyCount = SharedCount()
        let startedAt = wallClock.now()
        logger.info("worker pool started", metadata: ["worker": "\(configuration.workerID)", "slots": "\(configuration.slots)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        eventSink.yield(.wake)
                        await workQueued.wait(timeout: configuration.pollInterval, clock: clock)
                    }
                }
                if let registry {
                    group.addTask {
                        var reporter = WorkerStatusReporter(
                            registry: registry, id: configuration.workerID, slots: configuration.slots, startedAt: startedAt,
                            wallClock: wallClock, logger: logger)
                        while !Task.isCancelled {
                            await reporter.report(busy: busyCount.value)
                            try? await clock.sleep(for: configuration.statusInterval)
                        }
                    }
                }
                var busy = 0
                var claims = 0
                var draining = false
                // Cleared when a claim finds nothing, set again by the next wake (work queued
                // here or elsewhere, or the poll interval): a finished run claims only then.
                var mayHaveQueued = true
                for await event in events {
                    switch event {
                    case .wake: mayHaveQueued = true
                    case .finished(let outcome):
                        busy -= 1
                        busyCount.value = busy
                        metrics.workerSlots(busy: busy, total: configuration.slots)
                        if case .stagingUnavailable = outcome, let pause = runner.stagingPause.remaining(now: clock.now) {
                            logger.warning("staging is unavailable; pausing claims", metadata: ["pause": "\(pause)"])
                            group.addTask {
                                try? await clock.sleep(for: pause)
                                eventSink.yield(.wake)
                            }
                        } else if case .done = outcome {
                            runner.stagingPause.succeeded()
                        }
                    case .shutdown where !draining:
                        draining = true
                        logger.info("worker pool draining", metadata: ["running": "\(busy)", "grace-period": "\(configuration.shutdownGracePeriod)"])
                        group.addTask {
                            try? await clock.sleep(for: configuration.shutdownGracePeriod)
                            eventSink.yield(.graceExpired)
                        }
                    case .shutdown: break
                    case .graceExpired:
                        if busy > 0 { logger.warning("grace period over; handing running requests back", metadata: ["running": "\(busy)"]) }
                        handBack.open()
                    }
                    if draining {
                        if busy == 0 { break }
                        continue
                    }
                    while mayHaveQueued, busy < configuration.slots, !runner.stagingPause.isPaused(now: clock.now) {
                        guard let claimed = await claim(owner: "\(configuration.workerID)/\(claims + 1)") else {
                            mayHaveQueued = false
                            break
                        }
                        mayHaveQueued = claimed.moreQueued
                        let record = claimed.record
                        claims += 1
                        busy += 1
                        busyCount.value = busy
                        metrics.workerSlots(busy: busy, total: configuration.slots)
                        group.addTask {
                            let outcome = await runner.run(record, handBack: handBack)
                            if case .done = outcome { slotFreed?.signal() }
                            eventSink.yield(.finished(outcome))
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            eventSink.yield(.shutdown)
        }
        do {
            try await registry?.removeWorker(id: configuration.workerID)
        } catch {
            logger.warning("could not remove this worker pool from the registry", metadata: ["error": "\(error)"])
        }
        logger.info("worker pool stopped", metadata: ["worker": "\(configuration.workerID)"])
    }

    /// Claims the next queued request, if any, under a lease held by `owner`: unique to
    /// the claim (`<pool>/<n>`), not only to the pool.
    private func claim(owner: String) async -> ClaimedRequest? {
        do {
            let now = wallClock.now()
            return try await queue.claimNext(
                worker: owner,
                leaseExpiry: now.addingTimeInterval(configuration.leaseDuration.timeInterval),
                at: now
            )
        } catch {
            logger.error("claiming a request failed", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// After staging failures, the pool stops claiming for a while (1 s, doubling up to 30 s)
/// rather than taking requests it cannot store; the first run that ends otherwise resets it.
/// The runner starts the pause before it gives the request back, so that no slot of the
/// pool takes it again meanwhile.
final class StagingPause<C: Clock<Duration>>: Sendable {
    private struct State {
        var length: Duration?
        var until: C.Instant?
    }
    private let state = Mutex(State())

    /// Records a failure; returns the new pause, or nil if one is already running.
    func failed(now: C.Instant) -> Duration? {
        state.withLock { state in
            if let until = state.until, now < until { return nil }
            let pause = min((state.length ?? .milliseconds(500)) * 2, .seconds(30))
            state.length = pause
            state.until = now.advanced(by: pause)
            return pause
        }
    }

    func succeeded() {
        state.withLock { $0 = State() }
    }

    /// How long the current pause still lasts; nil when there is none.
    func remaining(now: C.Instant) -> Duration? {
        state.withLock { state in
            guard let until = state.until, now < until else { return nil }
            return now.duration(to: until)
        }
    }

    func isPaused(now: C.Instant) -> Bool { remaining(now: now) != nil }
}

/// Settings of the worker pool.
package struct WorkerPoolConfiguration: Sendable {
    /// How many requests run at once.
    package var slots: Int
    /// How long a claim holds without a heartbeat.
    package var leaseDuration: Duration
    /// How often a running request's lease is renewed (well under `leaseDuration`).
    package var heartbeatInterval: Duration
    /// How often the queue is checked when nothing is signalled.
    package var pollInterval: Duration
    /// How long running requests may continue after shutdown begins.
    package var shutdownGracePeriod: Duration
    /// This pool's name in leases and logs; unique per process.
    package var workerID: String
    /// How often the pool reports its status (slots, busy) to the worker registry.
    package var statusInterval: Duration
    /// The most an archive request's data fetched from its `url` may hold (the same limit
    /// as uploads: `server.max-upload-size`).
    package var maximumArchiveSize: Int64
    /// How many times a request whose result did not fit in staging is tried before it
    /// fails (`broker.max-attempts`).
    package var maximumAttempts: Int = 3

    package init(
        slots: Int = 4,
        leaseDuration: Duration = .seconds(30),
        heartbeatInterval: Duration = .seconds(10),
        pollInterval: Duration = .seconds(1),
        shutdownGracePeriod: Duration = .seconds(30),
        workerID: String = WorkerPoolConfiguration.defaultWorkerID(),
        statusInterval: Duration = .seconds(5),
        maximumArchiveSize: Int64 = 10 << 30
    ) {
        self.statusInterval = statusInterval
        self.maximumArchiveSize = maximumArchiveSize
        self.slots = slots
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        self.pollInterval = pollInterval
        self.shutdownGracePeriod = shutdownGracePeriod
        self.workerID = workerID
    }

    /// `host:pid:random`, unique enough to tell workers apart in leases and logs.
    package static func defaultWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A number written by the pool's loop and read by its status reporter.
private final class SharedCount: Sendable {
    private let storage = Atomic<Int>(0)

    var value: Int {
        get { storage.load(ordering: .relaxed) }
        set { storage.store(newValue, ordering: .relaxed) }
    }
}
