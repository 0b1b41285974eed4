import Broker
import Foundation
import Logging
import MetricsTestKit
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import ServiceLifecycle
import Testing

@Suite("Broker service")
struct BrokerServiceTests {
    struct Setup {
        let directory: TemporaryDirectory
        let store: SQLiteRequestStore
        let clock = ManualClock()
        let dispatchNeeded = WakeSignal()
        let workQueued = WakeSignal()

        init() throws {
            directory = try TemporaryDirectory()
            store = try SQLiteRequestStore(configuration: .init(path: directory.file("db.sqlite")), logger: Logger.quiet)
        }

        func broker(
            limits: [String: CollectionLimits] = ["debug": CollectionLimits(perUser: 2)], maximumAttempts: Int = 3,
            metrics: PolytopeMetrics = PolytopeMetrics()
        ) -> BrokerService<ManualClock> {
            BrokerService(
                configuration: .init(pollInterval: .seconds(10), maximumAttempts: maximumAttempts, pageSize: 2),
                store: store, collections: limits, dispatchNeeded: dispatchNeeded, workQueued: workQueued,
                clock: clock, wallClock: clock.wallClock, metrics: metrics, logger: Logger.quiet
            )
        }

        func insert(_ user: User, count: Int, collection: String = "debug") async throws -> [RequestIdentifier] {
            var ids: [RequestIdentifier] = []
            for _ in 0..<count {
                let record = Fixtures.record(user: user, collection: collection, at: clock.date)
                try await store.insert(record)
                ids.append(record.id)
            }
            return ids
        }
    }

    @Test("a round queues what the limits allow, at most page-size per user, and wakes workers")
    func round() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let alice = try await setup.insert(Fixtures.alice, count: 3)
        let bob = try await setup.insert(Fixtures.bob, count: 1)
        let queued = try await setup.broker().dispatchRound()
        #expect(queued == [alice[0], alice[1], bob[0]])
        #expect(try await setup.store.request(id: alice[2])?.status == .waiting)
        await setup.workQueued.wait()
        #expect(try await setup.broker().dispatchRound().isEmpty, "nothing more until something finishes")
    }

    @Test("a request for a removed collection fails with a message")
    func removedCollection() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let ids = try await setup.insert(Fixtures.alice, count: 1, collection: "gone")
        _ = try await setup.broker().dispatchRound()
        let record = try await setup.store.request(id: ids[0])
        #expect(record?.status == .failed)
        #expect(record?.userMessage.contains("no longer configured") == true)
    }

    @Test("expired leases are requeued by the broker's round")
    func leaseRecovery() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let ids = try await setup.insert(Fixtures.alice, count: 1)
        _ = try await setup.broker().dispatchRound()
        _ = try await setup.store.claimNextRequest(worker: "dead", leaseExpiry: setup.clock.date.addingTimeInterval(30), at: setup.clock.date)
        setup.clock.advance(by: .seconds(31))
        _ = try await setup.broker().dispatchRound()
        let record = try await setup.store.request(id: ids[0])
        #expect(record?.status == .queued)
        #expect(record?.userMessage.contains("stopped responding") == true)
    }

    @Test("a request failed for its last lost worker is counted among finished requests, as failed")
    func leaseExhaustionCounted() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let metrics = TestMetrics()
        let broker = setup.broker(maximumAttempts: 1, metrics: PolytopeMetrics(factory: metrics))
        let ids = try await setup.insert(Fixtures.alice, count: 1)
        _ = try await broker.dispatchRound()
        _ = try await setup.store.claimNextRequest(worker: "dead", leaseExpiry: setup.clock.date.addingTimeInterval(30), at: setup.clock.date)
        setup.clock.advance(by: .seconds(31))
        _ = try await broker.dispatchRound()
        #expect(try await setup.store.request(id: ids[0])?.status == .failed)
        let labels = [("collection", "debug"), ("datasource", "echo"), ("status", "failed")]
        #expect(try metrics.expectCounter("polytope_requests_finished_total", labels).totalValue == 1)
    }

    @Test("the running service reacts to a signal at once, not at the next poll")
    func reactsToSignal() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let broker = setup.broker()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(services: [broker], logger: Logger.quiet)
            group.addTask { try await serviceGroup.run() }
            // Setting up (migrations, the first round) can take seconds while other suites
            // hammer the disk with fsyncs; only what follows must be immediate.
            try await eventually(timeout: .seconds(60), "the broker is idle") { setup.clock.sleeperCount == 1 }
            let ids = try await setup.insert(Fixtures.alice, count: 1)
            setup.dispatchNeeded.signal()
            try await eventually("the request is queued without advancing the clock") {
                try await setup.store.request(id: ids[0])?.status == .queued
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Test("fair share: one user's 2,000 waiting requests delay another's single request by at most one slot")
    func fairShare() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let limits = ["debug": CollectionLimits(total: 4, policy: .fairShare)]
        let alice = try await setup.insert(Fixtures.alice, count: 2000)
        // page-size is 2 here: a round reads at most two requests of one user.
        let first = try await setup.broker(limits: limits).dispatchRound()
        #expect(first + (try await setup.broker(limits: limits).dispatchRound()) == Array(alice.prefix(4)))
        let bob = try await setup.insert(Fixtures.bob, count: 1)
        #expect(try await setup.broker(limits: limits).dispatchRound().isEmpty, "the collection is full")
        // One of alice's requests finishes: the slot goes to bob, not to alice's fifth.
        let claimed = try #require(
            try await setup.store.claimNextRequest(worker: "w", leaseExpiry: setup.clock.date + 60, at: setup.clock.date))
        _ = try await setup.store.finish(id: claimed.id, worker: "w", outcome: .failed(message: "x"), at: setup.clock.date)
        #expect(try await setup.broker(limits: limits).dispatchRound() == bob)

        let fifo = ["debug": CollectionLimits(total: 4)]
        let next = try #require(
            try await setup.store.claimNextRequest(worker: "w", leaseExpiry: setup.clock.date + 60, at: setup.clock.date))
        _ = try await setup.store.finish(id: next.id, worker: "w", outcome: .failed(message: "x"), at: setup.clock.date)
        _ = try await setup.insert(Fixtures.bob, count: 1)
        #expect(try await setup.broker(limits: fifo).dispatchRound() == [alice[4]], "first come, first served under fifo")
    }
}
