import Foundation
import Logging
import PolytopeCore
import PolytopeTestSupport
import PostgresNIO
import RequestStorePostgres
import Testing

/// The store conformance suite, and what is particular to PostgreSQL, against a real server.
@Suite("PostgreSQL request store")
struct PostgresRequestStoreTests {
    /// Runs `body` with a store on a fresh schema, the store's service running meanwhile.
    static func withStore(_ body: @Sendable (PostgresRequestStore) async throws -> Void) async throws {
        try await withStoreAndClient { store, _ in try await body(store) }
    }

    /// `withStore`, with a client of its own on the same schema for what the test does behind
    /// the store's back (another process's transaction, say).
    static func withStoreAndClient(_ body: @Sendable (PostgresRequestStore, PostgresClient) async throws -> Void) async throws {
        let url = try await PostgresTestServer.url()
        let schema = PostgresTestServer.freshSchema()
        var configuration = try #require(PostgresRequestStore.Configuration(url: url, schema: schema))
        configuration.tls = .disable
        configuration.maximumConnections = 4
        try await createSchema(schema, url: url)
        let store = PostgresRequestStore(configuration: configuration, logger: Logger.quiet)
        var direct = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: .disable
        )
        direct.options.additionalStartupParameters = [("search_path", schema)]
        let client = PostgresClient(configuration: direct)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            group.addTask { await client.run() }
            do {
                try await body(store, client)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    static func createSchema(_ schema: String, url: String) async throws {
        var configuration = try #require(PostgresRequestStore.Configuration(url: url))
        configuration.tls = .disable
        let client = PostgresClient(
            configuration: .init(
                host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: .disable
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            group.cancelAll()
        }
    }

    /// One check at a time: each has a fresh schema, and schema migrations take a lock
    /// shared by the whole database, so over a hundred stores migrating at once would wait
    /// past their connect timeout on a busy machine.
    @Test("conformance", .serialized, arguments: RequestStoreConformance.checks)
    func conformance(_ check: RequestStoreConformance.Check) async throws {
        try await Self.withStore { store in
            try await check.run { store }
        }
    }

    @Test("many workers claim concurrently without ever sharing a request")
    func concurrentClaims() async throws {
        try await Self.withStore { store in
            let records = (0..<300).map { Fixtures.record(at: Date(timeIntervalSince1970: 1_800_000_000 + Double($0))) }
            for record in records { try await store.insert(record) }
            #expect(try await store.markQueued(records.map(\.id), at: Date()) == 300)
            let expiry = Date().addingTimeInterval(60)
            let claimed = try await withThrowingTaskGroup(of: [RequestIdentifier].self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        var ids: [RequestIdentifier] = []
                        while let record = try await store.claimNextRequest(worker: "w\(worker)", leaseExpiry: expiry, at: Date()) {
                            ids.append(record.id)
                        }
                        return ids
                    }
                }
                return try await group.reduce(into: [RequestIdentifier]()) { $0 += $1 }
            }
            #expect(claimed.count == 300)
            #expect(Set(claimed) == Set(records.map(\.id)))
        }
    }

    @Test("a new request, a queued request and a request that frees a slot are announced to listeners")
    func notifications() async throws {
        try await Self.withStore { store in
            let dispatchNeeded = WakeSignal()
            let workQueued = WakeSignal()
            let requestsChanged = WakeSignal()
            let bridge = PostgresNotificationBridge(
                store: store, dispatchNeeded: dispatchNeeded, workQueued: workQueued, requestsChanged: requestsChanged, logger: Logger.quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await bridge.run() }
                // The bridge signals once when it starts listening; wait for that first.
                await dispatchNeeded.wait()
                await workQueued.wait()
                await requestsChanged.wait()
                let record = Fixtures.record()
                try await store.insert(record)
                await dispatchNeeded.wait()
                _ = try await store.markQueued([record.id], at: Date())
                await workQueued.wait()
                await requestsChanged.wait()  // any status change wakes held polls
                let claimed = try #require(try await store.claimNextRequest(worker: "w", leaseExpiry: Date() + 60, at: Date()))
                #expect(try await store.finish(id: claimed.id, worker: "w", outcome: .failed(message: "no"), at: Date()) == .recorded)
                await dispatchNeeded.wait()
                let second = Fixtures.record()
                try await store.insert(second)
                await dispatchNeeded.wait()
                _ = try await store.markQueued([second.id], at: Date())
                await workQueued.wait()
                _ = try await store.revoke(id: second.id, ofUser: "alice", at: Date())
                await dispatchNeeded.wait()
                group.cancelAll()
            }
        }
    }
}

extension PostgresRequestStoreTests {
    @Test("this host's clock is compared with the database's: on one host they agree")
    func clockOfOneHost() async throws {
        try await Self.withStore { store in
            let skew = try #require(try await store.clockSkew())
            #expect(!skew.isTooLarge && abs(skew.seconds) < 0.5, "\(skew)")
        }
    }

    @Test("a revoke that meets a worker's claim in progress waits for it and revokes the running request")
    func revokeMeetingAClaim() async throws {
        try await Self.withStoreAndClient { store, client in
            let record = Fixtures.record()
            try await store.insert(record)
            #expect(try await store.markQueued([record.id], at: Date()) == 1)
            let id = record.id.description
            let revocation = try await client.withTransaction(logger: Logger.quiet) { claim in
                // A worker's claim, not committed yet.
                try await claim.query(
                    "UPDATE requests SET status = 'processing', lease_owner = 'w', lease_expires_at = \(Date().timeIntervalSince1970 + 60) WHERE id = \(id)",
                    logger: Logger.quiet)
                let revoking = Task { try await store.revoke(id: record.id, ofUser: record.user.username, at: Date()) }
                // Commits the claim once the revoke waits for its row lock.
                var waiting = 0
                for _ in 0..<500 where waiting == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                    waiting =
                        try await client.query(
                            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        ).collect().first?.makeRandomAccess()["n"].decode(Int.self) ?? 0
                }
                #expect(waiting > 0, "the revoke never waited for the claim's lock")
                return revoking
            }.value
            #expect(revocation?.previousStatus == .processing)
            #expect(try await store.request(id: record.id)?.status == .revoked)
        }
    }
}
