import Foundation
import GRDB
import Logging
import PolytopeCore
import PolytopeTestSupport
import Synchronization
import Testing

@testable import RequestStoreSQLite

@Suite("SQLite request store: migrations and a full disk")
struct SQLiteStoreHardeningTests {
    @Test("v6 moves the uploads of existing archive requests out of the result columns")
    func archiveInputMigration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("polytope.sqlite")
        let archive = {
            var record = Fixtures.record()
            record.verb = .archive
            return record
        }()
        let retrieve = Fixtures.record()
        do {
            // A store file as the version before wrote it: the upload in staging_key.
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v5: archive sources")
            let normalised = try #require(archive.normalisedRequest.compactJSON)
            try await queue.write { db in
                for (record, key) in [(archive, "\(archive.id).0"), (retrieve, "\(retrieve.id).1")] {
                    try db.execute(
                        sql: """
                            INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
                                request_text, request_normalised, staging_key, content_type, content_length, created_at, updated_at)
                            VALUES (?, 'alice', ?, ?, 'debug', 'echo', 'processed', '[]', 'x', ?, ?, 'application/x-grib', 42, 0, 0)
                            """,
                        arguments: [
                            record.id.description, SQLiteRow.userJSON(record.user), record.verb.rawValue,
                            normalised, key,
                        ]
                    )
                }
            }
        }
        let store = try SQLiteRequestStoreTests.makeStore(in: directory)
        let migrated = try #require(try await store.request(id: archive.id))
        #expect(migrated.result == nil)
        #expect(migrated.archiveInput == StagedResult(key: "\(archive.id).0", contentType: "application/x-grib", contentLength: 42))
        let untouched = try #require(try await store.request(id: retrieve.id))
        #expect(untouched.result?.key == "\(retrieve.id).1" && untouched.archiveInput == nil)
        #expect(try await store.referencedStagingKeys(among: ["\(archive.id).0", "\(retrieve.id).1"]).count == 2)
    }

    @Test("v13 gives the requests and keys of users of other realms to `<realm>/<name>`")
    func ownerMigration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("polytope.sqlite")
        let local = Fixtures.record(user: User(username: "dana", roles: ["default"]))
        let visitor = Fixtures.record(user: User(username: "dana", realm: "ecmwf", roles: ["default"]))
        do {
            // A store file as the version before wrote it: both owned by the bare name.
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v12: telemetry indexes")
            try await queue.write { db in
                for record in [local, visitor] {
                    try db.execute(
                        sql: """
                            INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
                                request_text, request_normalised, created_at, updated_at)
                            VALUES (?, 'dana', ?, 'retrieve', 'debug', 'echo', 'waiting', '[]', 'x', '[]', 0, 0)
                            """,
                        arguments: [record.id.description, SQLiteRow.userJSON(record.user)])
                    try db.execute(
                        sql: "INSERT INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES ('dana', ?, ?, 'd', 0)",
                        arguments: ["k-\(record.user.realm)", record.id.description])
                }
            }
        }
        let store = try SQLiteRequestStoreTests.makeStore(in: directory)
        #expect(try await store.requests(ofUser: "dana", collection: nil, after: nil, limit: 10).records.map(\.id) == [local.id])
        #expect(try await store.requests(ofUser: "ecmwf/dana", collection: nil, after: nil, limit: 10).records.map(\.id) == [visitor.id])
        #expect(try await store.idempotentSubmission(username: "ecmwf/dana", key: "k-ecmwf", since: .distantPast)?.id == visitor.id)
        #expect(try await store.idempotentSubmission(username: "dana", key: "k-local", since: .distantPast)?.id == local.id)
    }

    @Test("the orphan lookup of archive inputs uses an index")
    func inputKeysAreIndexed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try SQLiteRequestStoreTests.makeStore(in: directory)
        let plans = try SQLiteQueryPlans(path: directory.file("polytope.sqlite"))
        for query in [
            "SELECT input_staging_key FROM requests WHERE input_staging_key IN ('a', 'b')",
            "SELECT * FROM requests WHERE username = 'a' AND seq > 5 AND status != 'revoked' ORDER BY seq LIMIT 10",
        ] {
            let plan = try plans.plan(for: query)
            #expect(!plan.contains("SCAN requests"), "full scan for: \(query)\n\(plan)")
        }
    }

    @Test("a full disk answers 503 with Retry-After and makes the store unready; writes work again once there is room")
    func fullDisk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The file system never has "enough" room here: the store stays unready once full.
        let store = try SQLiteRequestStore(
            configuration: .init(path: directory.file("polytope.sqlite"), minimumFreeSpace: .max), logger: Logger.quiet)
        try await store.insert(Fixtures.record())
        try await store.checkHealth()
        // SQLite reports a database that may not grow as it reports a full disk.
        try await store.pool.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        let big = Fixtures.record(text: String(repeating: "x", count: 64 << 10))
        let error = try await #require(throws: PolytopeError.self) { try await store.insert(big) }
        #expect(error.code == .unavailable && error.retryAfter == DiskFull.retryAfterSeconds)
        #expect(error.message == "The request store's disk is full; please retry later.")
        #expect(error.cause is DiskFull)
        let health = try await #require(throws: PolytopeError.self) { try await store.checkHealth() }
        #expect(health.cause is DiskFull, "readiness names the full disk")
        #expect(try await store.request(id: big.id) == nil)

        try await store.pool.write { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
        try await store.insert(big)
        #expect(try await store.request(id: big.id) == big)
    }

    @Test("once full, the store is unready until its file system has room again, without a restart")
    func readinessRecovers() async throws {
        let free = Mutex<Int64?>(0)
        let space = SQLiteDiskSpace(path: "/nonexistent/polytope.sqlite", minimumFreeBytes: 1000, freeBytes: { free.withLock { $0 } })
        try space.check()
        let full: () async throws -> Void = { throw DatabaseError(resultCode: .SQLITE_FULL) }
        let error = try await #require(throws: PolytopeError.self) { try await space.write(full) }
        #expect(error.cause is DiskFull)
        #expect(throws: PolytopeError.self) { try space.check() }
        _ = try await space.write { 1 }
        #expect(throws: PolytopeError.self, "a small write that fits does not mean there is room") { try space.check() }
        free.withLock { $0 = 999 }
        #expect(throws: PolytopeError.self) { try space.check() }
        free.withLock { $0 = 1000 }
        try space.check()
        try space.check()
        #expect(SQLiteDiskSpace.isDiskFull(DatabaseError(resultCode: .SQLITE_FULL)))
        #expect(!SQLiteDiskSpace.isDiskFull(DatabaseError(resultCode: .SQLITE_BUSY)))
        let busy = try await #require(throws: DatabaseError.self) { try await space.read { throw DatabaseError(resultCode: .SQLITE_BUSY) } }
        #expect(busy.resultCode == .SQLITE_BUSY, "other errors pass unchanged")
    }
}
