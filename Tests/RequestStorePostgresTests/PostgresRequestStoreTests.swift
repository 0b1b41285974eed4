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
        let url = try await PostgresTestServer.url()
        let schema = PostgresTestServer.freshSchema()
        var configuration = try #require(PostgresRequestStore.Configuration(url: url, schema: schema))
        configuration.tls = .disable
        configuration.maximumConnections = 4
        try await createSchema(schema, url: url)
        let store = PostgresRequestStore(configuration: configuration, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            do {
                try await body(store)
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
}
