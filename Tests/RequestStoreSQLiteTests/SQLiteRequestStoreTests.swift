import Foundation
import GRDB
import Logging
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import RequestStoreSQLite

@Suite("SQLite request store")
struct SQLiteRequestStoreTests {
    static func makeStore(in directory: TemporaryDirectory, durability: SQLiteRequestStore.Durability = .normal) throws -> SQLiteRequestStore {
        try SQLiteRequestStore(
            configuration: .init(path: directory.file("polytope.sqlite"), durability: durability),
            logger: Logger.quiet
        )
    }

    @Test("conformance", arguments: RequestStoreConformance.checks)
    func conformance(_ check: RequestStoreConformance.Check) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await check.run { try Self.makeStore(in: directory) }
    }

    @Test("conformance with synchronous=FULL", arguments: RequestStoreConformance.checks.prefix(3))
    func conformanceFullDurability(_ check: RequestStoreConformance.Check) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await check.run { try Self.makeStore(in: directory, durability: .full) }
    }

    @Test("a committed request is in the file: another connection reads it after the first is gone")
    func committedRequestsSurviveReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let record = Fixtures.record()
        do {
            let store = try Self.makeStore(in: directory)
            try await store.insert(record)
        }
        let reopened = try Self.makeStore(in: directory)
        #expect(try await reopened.request(id: record.id) == record)
    }

    @Test("two stores on one file (two processes) never claim the same request")
    func concurrentClaimsAcrossConnections() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try Self.makeStore(in: directory)
        let second = try Self.makeStore(in: directory)
        let records = (0..<200).map { Fixtures.record(at: Date(timeIntervalSince1970: 1_800_000_000 + Double($0))) }
        for record in records { try await first.insert(record) }
        #expect(try await first.markQueued(records.map(\.id), at: Date()) == 200)
        let expiry = Date().addingTimeInterval(60)
        let claimed = try await withThrowingTaskGroup(of: [RequestIdentifier].self) { group in
            for (index, store) in [first, second, first, second].enumerated() {
                group.addTask {
                    var ids: [RequestIdentifier] = []
                    while let record = try await store.claimNextRequest(worker: "w\(index)", leaseExpiry: expiry, at: Date()) {
                        ids.append(record.id)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: [RequestIdentifier]()) { $0 += $1 }
        }
        #expect(claimed.count == 200)
        #expect(Set(claimed) == Set(records.map(\.id)))
    }

    @Test("the schema has an index for every hot query")
    func hotQueriesUseIndexes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try Self.makeStore(in: directory)
        let plans = try SQLiteQueryPlans(path: directory.file("polytope.sqlite"))
        let queries = [
            "SELECT seq FROM requests WHERE status = 'queued' ORDER BY seq LIMIT 1",
            "SELECT * FROM requests WHERE username = 'a' AND status != 'revoked' ORDER BY seq",
            "SELECT id FROM requests WHERE lease_expires_at IS NOT NULL AND lease_expires_at < 5",
            "SELECT seq FROM requests WHERE status IN ('processed', 'failed') AND updated_at < 5 ORDER BY updated_at LIMIT 5",
            "SELECT staging_key FROM requests WHERE staging_key IN ('a', 'b')",
            "SELECT * FROM requests WHERE id = 'x'",
            "SELECT CAST(created_at / 60 AS INTEGER) AS minute, count(*) AS n FROM requests WHERE created_at >= 5 GROUP BY minute",
        ]
        for query in queries {
            let plan = try plans.plan(for: query)
            #expect(!plan.contains("SCAN requests"), "full scan for: \(query)\n\(plan)")
        }
        // The broker's reads walk the index of waiting requests in its order: a step per user.
        let dispatchQueries = [
            "SELECT collection, username FROM requests INDEXED BY requests_waiting WHERE status = 'waiting' AND (collection, username) > ('a', 'b') ORDER BY collection, username LIMIT 1",
            "SELECT seq, id FROM requests WHERE status = 'waiting' AND collection = 'c' AND username = 'u' ORDER BY seq LIMIT 8",
        ]
        for query in dispatchQueries {
            let plan = try plans.plan(for: query)
            #expect(plan.contains("requests_waiting") && !plan.contains("TEMP B-TREE"), "sorting for: \(query)\n\(plan)")
        }
        // Telemetry's counts read finished requests from an index only, and waiting ones from
        // theirs: no scan of every row with its request text.
        let counts = try plans.plan(for: SQLiteRequestStore.statisticsSQL)
        #expect(counts.contains("COVERING INDEX requests_finished_by_collection") && counts.contains("INDEX requests_waiting"), "\(counts)")
        #expect(!counts.split(separator: "\n").contains { $0.contains("SCAN requests") && !$0.contains("INDEX") }, "\(counts)")
    }
}

@Suite("SQLite group commit")
struct GroupCommitTests {
    @Test("concurrent inserts are all committed, each caller returning after its own row", arguments: [SQLiteRequestStore.Durability.normal, .full])
    func concurrentInserts(_ durability: SQLiteRequestStore.Durability) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRequestStoreTests.makeStore(in: directory, durability: durability)
        let records = (0..<300).map { Fixtures.record(at: Date(timeIntervalSince1970: 1_800_000_000 + Double($0))) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for record in records {
                group.addTask {
                    try await store.insert(record)
                    let stored = try await store.request(id: record.id)
                    if stored != record { throw TestFailure(description: "row of \(record.id) not readable after insert returned") }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.requestCount(ofUser: "alice") == 300)
    }

    @Test("a row that cannot be inserted fails alone")
    func failingRow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteRequestStoreTests.makeStore(in: directory)
        let duplicate = Fixtures.record()
        try await store.insert(duplicate)
        let others = (0..<50).map { _ in Fixtures.record() }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await store.insert(duplicate)) != nil }
            for record in others { group.addTask { (try? await store.insert(record)) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0 }.count == 1)
        #expect(try await store.requestCount(ofUser: "alice") == 51)
    }
}

@Suite("SQLite query plans of writes")
struct SQLiteWritePlanTests {
    @Test("queuing requests looks them up by id, not by scanning every waiting request")
    func markQueuedUsesTheIdIndex() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try SQLiteRequestStoreTests.makeStore(in: directory)
        let statement = SQLiteRow.markQueuedSQL.replacingOccurrences(of: "?", with: "'[\"x\", \"y\"]'")
        let plan = try SQLiteQueryPlans(path: directory.file("polytope.sqlite")).plan(for: statement)
        #expect(plan.contains("sqlite_autoindex_requests_1"), "\(plan)")
        #expect(!plan.contains("requests_by_status"), "\(plan)")
    }
}

@Suite("SQLite background checkpoints")
struct SQLiteCheckpointerTests {
    /// The WAL header's checkpoint sequence number: it changes each time the log starts over,
    /// which happens only after a checkpoint copied all of it into the database.
    static func walSequence(_ path: String) throws -> UInt32 {
        let header = try Data(contentsOf: URL(fileURLWithPath: path + "-wal")).prefix(16)
        return header.suffix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    @Test("with checkpoints in the background, commits never checkpoint; the checkpointer does")
    func checkpointsHappenInTheBackground() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("polytope.sqlite")
        let store = try SQLiteRequestStore(configuration: .init(path: path, checkpointsInBackground: true), logger: Logger.quiet)
        for index in 0..<3000 { try await store.insert(Fixtures.record(at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)))) }
        let before = try Self.walSequence(path)
        for index in 0..<200 { try await store.insert(Fixtures.record(at: Date(timeIntervalSince1970: 1_900_000_000 + Double(index)))) }
        #expect(try Self.walSequence(path) == before, "no commit started the log over by itself")

        let checkpointer = SQLiteCheckpointer(path: path, interval: .milliseconds(20), logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await checkpointer.run() }
            try await eventually("the log starts over after a background checkpoint") {
                try await store.insert(Fixtures.record())
                return try Self.walSequence(path) != before
            }
            group.cancelAll()
        }
        #expect(try await store.requestCount(ofUser: "alice") >= 3201)
    }
}
