import Foundation
import Logging
import PolytopeCore
import ServiceLifecycle

/// The broker role: moves waiting requests to the queue under quality-of-service limits, and
/// recovers requests whose worker stopped renewing its lease.
///
/// It runs a dispatch round whenever `dispatchNeeded` is signalled: a request arrived, or one
/// stopped counting against a limit (finished, failed, revoked, its upload done), in this
/// process or, through the store's notifications, in another. So no admissible request waits
/// while a slot is free; `pollInterval` is only the fallback when notifications are lost.
/// Several brokers may run, in one process each: only the holder of the store's leadership
/// lease dispatches (`LeadershipLease`), the others stand by and take over within
/// `takeover` when it stops or its host dies; a dispatch is fenced by its term, so the limits
/// hold whatever the number of brokers.
/// Requires `run()` to be running; stops at graceful shutdown after the current round.
package struct BrokerService<C: Clock<Duration>>: Service {
    package typealias Configuration = BrokerConfiguration

    let configuration: Configuration
    let store: any DispatchStore
    let collections: [String: CollectionLimits]
    /// Signalled when a request arrives or stops counting against a limit.
    let dispatchNeeded: WakeSignal
    /// Signalled by the broker when requests are queued, to wake workers.
    let workQueued: WakeSignal
    let clock: C
    let wallClock: any WallClock
    let metrics: PolytopeMetrics
    let logger: Logger

    package init(
        configuration: Configuration,
        store: any DispatchStore,
        collections: [String: CollectionLimits],
        dispatchNeeded: WakeSignal,
        workQueued: WakeSignal,
        clock: C,
        wallClock: any WallClock = SystemWallClock(),
        metrics: PolytopeMetrics = PolytopeMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.store = store
        self.collections = collections
        self.dispatchNeeded = dispatchNeeded
        self.workQueued = workQueued
        self.clock = clock
        self.wallClock = wallClock
        self.logger = logger
    }

    package func run() async throws {
        logger.info(
            "broker started",
            metadata: [
                "poll-interval": "\(configuration.pollInterval)", "broker": "\(configuration.brokerID)", "takeover": "\(configuration.takeover)",
            ])
        var lease = LeadershipLease(holder: configuration.brokerID, takeover: configuration.takeover)
        await withGracefulShutdownHandler {
            var failures = 0
            // Leases run for seconds: looking for expired ones once per poll interval is soon
            // enough, and spares the rounds that arrivals and departures start a read each.
            var nextLeaseCheck = clock.now
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    try await claimIfDue(&lease)
                    if let leadership = lease.leadership(at: wallClock.now()) {
                        let checkLeases = clock.now >= nextLeaseCheck
                        if checkLeases { nextLeaseCheck = clock.now.advanced(by: configuration.pollInterval) }
                        do {
                            try await dispatchRound(leadership: leadership, recoveringLeases: checkLeases)
                        } catch let lost as LeadershipLost {
                            lease.recordLost()
                            logger.warning("another broker took over dispatch; this one stands by", metadata: ["error": "\(lost)"])
                            continue
                        }
                    }
                    failures = 0
                    let timeout = min(configuration.pollInterval, lease.timeUntilClaim(at: wallClock.now()))
                    await dispatchNeeded.wait(timeout: max(timeout, .milliseconds(1)), clock: clock)
                } catch is CancellationError {
                    break
                } catch {
                    failures += 1
                    logger.error("dispatch round failed; retrying", metadata: ["error": "\(error)", "consecutive-failures": "\(failures)"])
                    try? await clock.sleep(for: configuration.pollInterval * min(failures, 20))
                }
            }
        } onGracefulShutdown: {
            dispatchNeeded.signal()
        }
        if lease.leadership(at: wallClock.now()) != nil {
            // Let a standby take over at its next claim instead of after the lease lapses.
            try? await store.releaseLeadership(holder: configuration.brokerID, at: wallClock.now())
        }
        logger.info("broker stopped")
    }

    /// Renews or claims the leadership lease when due, and logs a change of leader.
    private func claimIfDue(_ lease: inout LeadershipLease) async throws {
        let now = wallClock.now()
        guard lease.claimDue(at: now) else { return }
        let answer = try await store.claimLeadership(holder: configuration.brokerID, until: lease.expiry(claimedAt: now), at: now)
        switch lease.record(answer, at: now) {
        case .gained:
            logger.info("this broker dispatches now", metadata: ["broker": "\(answer.holder)", "term": "\(answer.term)"])
        case .lost(let holder):
            logger.warning("another broker took over dispatch; this one stands by", metadata: ["leader": "\(holder)"])
        case .standsBy(let leader):
            logger.info("another broker dispatches; this one stands by", metadata: ["leader": "\(leader)"])
        case .unchanged:
            break
        }
    }
    /// One pass: recover expired leases, then queue every waiting request the limits allow.
    /// Reads only each waiting user's oldest requests that could be admitted, not the whole
    /// waiting list, so a round costs the same with ten or a million waiting.
    /// - Returns: the ids queued, in order.
    /// - Parameters:
    ///   - leadership: the term this broker dispatches in (nil: unfenced, for tests).
    ///   - recoveringLeases: whether expired leases are looked for first.
    @discardableResult
    package func dispatchRound(leadership: BrokerLeadership? = nil, recoveringLeases: Bool = true) async throws -> [RequestIdentifier] {
        if recoveringLeases { try await recoverExpiredLeases() }
        let policy = DispatchPlanner.Policy(
            maximumActive: configuration.maximumActive, collections: collections, defaultQueuePolicy: configuration.queuePolicy)
        let pageSize = configuration.pageSize
        let snapshot = try await store.dispatchSnapshot { waiting, active in
            let planner = DispatchPlanner(policy: policy, active: active)
            var quotas: QuotaTable = [:]
            for user in waiting {
                let quota = planner.quota(for: user, cap: pageSize)
                if quota > 0 { quotas[user] = quota }
            }
            return quotas
        }
        guard let snapshot else { return [] }
        metrics.dispatchRound()
        var planner = DispatchPlanner(policy: policy, active: snapshot.active)
        var admitted: [DispatchCandidate] = []
        considering: for candidate in planner.order(snapshot.candidates) {
            switch planner.consider(candidate) {
            case .admit:
                admitted.append(candidate)
            case .hold:
                continue
            case .reject(let message):
                try await store.failWaiting(candidate.id, message: message, at: wallClock.now())
                metrics.requestFinished(collection: candidate.collection, datasource: "", status: .failed)
                logger.warning("request failed at dispatch", metadata: ["request-id": "\(candidate.id)", "reason": "\(message)"])
            case .stop:
                break considering
            }
        }
        let ids = admitted.map(\.id)
        if !ids.isEmpty {
            let count = try await store.markQueued(ids, at: wallClock.now(), leadership: leadership)
            workQueued.signal()
            logger.debug("queued requests", metadata: ["count": "\(count)"])
            metrics.requestsDispatched(Dictionary(grouping: admitted, by: \.collection).mapValues(\.count))
        }
        return ids
    }

    private func recoverExpiredLeases() async throws {
        let recoveries = try await store.recoverExpiredLeases(at: wallClock.now(), maximumAttempts: configuration.maximumAttempts)
        for recovery in recoveries {
            let metadata: Logger.Metadata = [
                "request-id": "\(recovery.id)", "worker": "\(recovery.previousOwner)", "attempts": "\(recovery.attempts)",
            ]
            switch recovery.outcome {
            case .requeued: logger.warning("lease expired; request queued again", metadata: metadata)
            case .failed:
                logger.error("lease expired and no attempts left; request failed", metadata: metadata)
                metrics.requestFinished(collection: recovery.collection, datasource: recovery.datasource, status: .failed)
            case .purged: logger.info("lease of a revoked request expired; request deleted", metadata: metadata)
            }
        }
        if recoveries.contains(where: { $0.outcome == .requeued }) { workQueued.signal() }
    }
}

/// Settings of the broker.
package struct BrokerConfiguration: Sendable {
    /// How often the store is checked when nothing is signalled.
    package var pollInterval: Duration
    /// A request whose worker vanished this many times fails instead of running again.
    package var maximumAttempts: Int
    /// Most waiting requests of one user read in one round (when no limit bounds it lower).
    package var pageSize: Int
    /// Most active requests across all collections; nil for no limit.
    package var maximumActive: Int?
    /// The order of waiting requests in collections that name none.
    package var queuePolicy: QueuePolicy

    /// How soon a standby broker takes over when the dispatching one stops or its host dies.
    package var takeover: Duration
    /// This broker's name in the leadership lease; unique per process.
    package var brokerID: String

    package init(
        pollInterval: Duration = .milliseconds(500), maximumAttempts: Int = 3, pageSize: Int = 1000, maximumActive: Int? = nil,
        queuePolicy: QueuePolicy = .fifo, takeover: Duration = .seconds(10),
        brokerID: String =
            "broker:\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    ) {
        self.takeover = takeover
        self.brokerID = brokerID
        self.queuePolicy = queuePolicy
        self.pollInterval = pollInterval
        self.maximumAttempts = maximumAttempts
        self.pageSize = pageSize
        self.maximumActive = maximumActive
    }
}
