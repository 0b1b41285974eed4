import Foundation
import GRDB
import Logging
import PolytopeCore

/// The embedded request store: one SQLite file in WAL mode, shared by every role of one
/// process and by every process on the host that opens the same file.
///
/// Writes are `BEGIN IMMEDIATE` transactions; concurrent writers from other processes wait
/// (busy timeout) instead of failing with "database is locked". `insert` returns only after
/// the commit, so a 202 answered after it survives a crash of the process.
package final class SQLiteRequestStore: RequestStoreBackend {
    /// How hard commits are pushed to disk.
    package enum Durability: String, Sendable {
        /// `synchronous=NORMAL`: commits survive a crash of the process, not a power loss.
        case normal
        /// `synchronous=FULL`: commits survive a power loss too, at the cost of an fsync each.
        case full
    }

    /// Settings of the SQLite store.
    package struct Configuration: Sendable {
        package var path: String
        package var durability: Durability
        /// How long a writer waits for another process's write to finish.
        package var busyTimeout: Duration
        /// Whether WAL checkpoints are left to a `SQLiteCheckpointer` instead of being run by
        /// whichever commit crosses SQLite's threshold (which then waits for the checkpoint's
        /// writes to the main file: the slowest submissions of a large store).
        package var checkpointsInBackground: Bool

        package init(path: String, durability: Durability = .normal, busyTimeout: Duration = .seconds(30), checkpointsInBackground: Bool = false) {
            self.path = path
            self.durability = durability
            self.busyTimeout = busyTimeout
            self.checkpointsInBackground = checkpointsInBackground
        }
    }

    let pool: DatabasePool
    let logger: Logger
    package let configuration: Configuration
    /// Concurrent inserts share transactions (see `GroupCommit`).
    private let inserts: GroupCommit

    /// Opens (creating if needed) the database file and brings its schema up to date.
    package init(configuration: Configuration, logger: Logger) throws {
        var grdb = GRDB.Configuration()
        grdb.busyMode = .timeout(configuration.busyTimeout.timeInterval)
        grdb.label = "polytope.request-store"
        let synchronous = configuration.durability == .full ? "FULL" : "NORMAL"
        let autocheckpoint = configuration.checkpointsInBackground ? 0 : 1000
        grdb.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autocheckpoint)")
            try db.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)")
            // Index pages of a large store are read through memory mapping instead of a
            // system call each; the writer also keeps more of them in its own cache.
            try db.execute(sql: "PRAGMA mmap_size = \(256 << 20)")
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -16384") }
        }
        let directory = URL(fileURLWithPath: configuration.path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.pool = try DatabasePool(path: configuration.path, configuration: grdb)
        self.logger = logger
        self.configuration = configuration
        self.inserts = GroupCommit(pool: pool, sql: SQLiteRow.insertSQL)
        try SQLiteSchema.migrator.migrate(pool)
    }

    // MARK: RequestStore

    package func insert(_ record: RequestRecord) async throws {
        try await inserts.insert(try SQLiteRow(record).arguments)
    }

    package func request(id: RequestID) async throws -> RequestRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM requests WHERE id = ?", arguments: [id.description]).map(SQLiteRow.record)
        }
    }

    package func requests(ofUser username: String, collection: String?) async throws -> [RequestRecord] {
        try await pool.read { db in
            var sql = "SELECT * FROM requests WHERE username = ? AND status != 'revoked'"
            var arguments: StatementArguments = [username]
            if let collection {
                sql += " AND collection = ?"
                arguments += [collection]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY seq", arguments: arguments).map(SQLiteRow.record)
        }
    }

    package func requestCount(ofUser username: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE username = ? AND status != 'revoked'", arguments: [username]) ?? 0
        }
    }

    package func revoke(id: RequestID, ofUser username: String, at now: Date) async throws -> Revocation? {
        try await pool.write { db in
            try Self.revoke(db, where: "id = ? AND username = ?", arguments: [id.description, username], at: now).first
        }
    }

    package func revokeAll(ofUser username: String, at now: Date) async throws -> [Revocation] {
        try await pool.write { db in
            try Self.revoke(db, where: "username = ?", arguments: [username], at: now)
        }
    }

    /// Requests a worker holds become `revoked` (deleted when the worker lets go); others are deleted now.
    private static func revoke(_ db: Database, where condition: String, arguments: StatementArguments, at now: Date) throws -> [Revocation] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT id, status, staging_key, content_type, content_length FROM requests WHERE \(condition) AND status != 'revoked'",
            arguments: arguments
        )
        var revocations: [Revocation] = []
        for row in rows {
            let idText: String = row["id"]
            guard let id = RequestID(idText), let status = RequestStatus(rawValue: row["status"]) else { continue }
            if status == .processing {
                try db.execute(
                    sql: "UPDATE requests SET status = 'revoked', updated_at = ?, status_history = \(SQLiteRow.appendHistory) WHERE id = ?",
                    arguments: [now.timeIntervalSince1970, "revoked", now.timeIntervalSince1970, idText]
                )
                revocations.append(Revocation(id: id, previousStatus: status, orphanedResult: nil))
            } else {
                try db.execute(sql: "DELETE FROM requests WHERE id = ?", arguments: [idText])
                revocations.append(Revocation(id: id, previousStatus: status, orphanedResult: SQLiteRow.result(row)))
            }
        }
        return revocations
    }

    // MARK: DispatchStore

    package func waitingRequests(after cursor: DispatchCursor?, limit: Int) async throws -> [DispatchCandidate] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT seq, id, username, user_json, collection FROM requests WHERE status = 'waiting' AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [cursor?.sequence ?? 0, limit]
            )
            // Most waiting requests share a few users: decode each user once per page.
            var roles: [String: [String]] = [:]
            return try rows.map { row in
                let json: String = row["user_json"]
                let userRoles = try roles[json] ?? SQLiteRow.decodeUser(json).roles
                roles[json] = userRoles
                return DispatchCandidate(
                    id: try SQLiteRow.requestID(row["id"]),
                    cursor: DispatchCursor(sequence: row["seq"]),
                    username: row["username"],
                    roles: userRoles,
                    collection: row["collection"]
                )
            }
        }
    }

    package func activeRequestCounts() async throws -> ActiveRequestCounts {
        try await pool.read { db in
            var counts = ActiveRequestCounts()
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT collection, username, count(*) AS n FROM requests
                    WHERE status IN ('queued', 'processing', 'revoked')
                    GROUP BY collection, username
                    """
            )
            for row in rows {
                counts.add(collection: row["collection"], username: row["username"], count: row["n"])
            }
            return counts
        }
    }

    package func markQueued(_ ids: [RequestID], at now: Date) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.write { db in
            var queued = 0
            for chunk in ids.chunked(into: 500) {
                var arguments: StatementArguments = [now.timeIntervalSince1970, "queued", now.timeIntervalSince1970]
                arguments += StatementArguments(chunk.map(\.description))
                try db.execute(sql: SQLiteRow.markQueuedSQL(count: chunk.count), arguments: arguments)
                queued += db.changesCount
            }
            return queued
        }
    }

    package func markUploaded(id: RequestID, upload: StagedResult, at now: Date) async throws -> Bool {
        try await pool.write { db in
            let time = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    UPDATE requests SET status = 'waiting', staging_key = ?, content_type = ?, content_length = ?, updated_at = ?,
                        status_history = \(SQLiteRow.appendHistory)
                    WHERE id = ? AND status = 'uploading'
                    """,
                arguments: [upload.key, upload.contentType, upload.contentLength, time, "waiting", time, id.description]
            )
            return db.changesCount == 1
        }
    }

    package func failWaiting(_ id: RequestID, message: String, at now: Date) async throws {
        _ = try await fail(where: "id = ? AND status = 'waiting'", [id.description], message: message, at: now)
    }

    package func failAbandonedUploads(createdBefore cutoff: Date, message: String, at now: Date) async throws -> Int {
        try await fail(where: "status = 'uploading' AND created_at < ?", [cutoff.timeIntervalSince1970], message: message, at: now)
    }

    /// Fails the requests that match `condition` (with `arguments`), adding `message` for
    /// their users; returns how many.
    private func fail(where condition: String, _ arguments: StatementArguments, message: String, at now: Date) async throws -> Int {
        try await pool.write { db in
            let time = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    UPDATE requests SET status = 'failed', updated_at = ?,
                        user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                    WHERE \(condition)
                    """,
                arguments: [time, message, message, "failed", time] + arguments
            )
            return db.changesCount
        }
    }

    package func recoverExpiredLeases(at now: Date, maximumAttempts: Int) async throws -> [LeaseRecovery] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, status, attempts, lease_owner FROM requests WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?",
                arguments: [now.timeIntervalSince1970]
            )
            var recoveries: [LeaseRecovery] = []
            let time = now.timeIntervalSince1970
            for row in rows {
                let idText: String = row["id"]
                let attempts: Int = row["attempts"]
                let owner: String = row["lease_owner"] ?? "unknown"
                let id = try SQLiteRow.requestID(idText)
                if row["status"] == "revoked" {
                    try db.execute(sql: "DELETE FROM requests WHERE id = ?", arguments: [idText])
                    recoveries.append(LeaseRecovery(id: id, outcome: .purged, attempts: attempts, previousOwner: owner))
                } else if attempts >= maximumAttempts {
                    let message =
                        "The request was started \(attempts) times and each time the worker running it stopped responding; giving up."
                    try db.execute(
                        sql: """
                            UPDATE requests SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                                user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                            WHERE id = ?
                            """,
                        arguments: [time, message, message, "failed", time, idText]
                    )
                    recoveries.append(LeaseRecovery(id: id, outcome: .failed, attempts: attempts, previousOwner: owner))
                } else {
                    let message =
                        "The worker running the request stopped responding; it was queued again (attempt \(attempts + 1) of \(maximumAttempts))."
                    try db.execute(
                        sql: """
                            UPDATE requests SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                                user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                            WHERE id = ?
                            """,
                        arguments: [time, message, message, "queued", time, idText]
                    )
                    recoveries.append(LeaseRecovery(id: id, outcome: .requeued, attempts: attempts, previousOwner: owner))
                }
            }
            return recoveries
        }
    }

    // MARK: RetentionStore

    package func purgeFinishedRequests(before cutoff: Date, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        try await purge(
            selecting: "SELECT seq FROM requests WHERE status IN ('processed', 'failed') AND updated_at < ? ORDER BY updated_at LIMIT ?",
            arguments: [cutoff.timeIntervalSince1970, limit],
            at: now
        )
    }

    package func purgeOldestResults(freeing bytes: Int64, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        // Oldest first, stopping once the requests before already free enough.
        try await purge(
            selecting: """
                SELECT seq FROM (
                    SELECT seq, sum(content_length) OVER (ORDER BY updated_at, seq) - content_length AS freed_before
                    FROM requests WHERE status IN ('processed', 'failed') AND staging_key IS NOT NULL
                    ORDER BY updated_at, seq LIMIT ?
                ) WHERE freed_before < ?
                """,
            arguments: [limit, bytes],
            at: now
        )
    }

    /// Deletes the selected requests and notes that they expired, in one transaction.
    private func purge(selecting query: String, arguments: StatementArguments, at now: Date) async throws -> [PurgedRequest] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: "DELETE FROM requests WHERE seq IN (\(query)) RETURNING id, username, staging_key, content_type, content_length",
                arguments: arguments
            )
            let note = try db.cachedStatement(sql: "INSERT OR REPLACE INTO expired_requests (id, username, expired_at) VALUES (?, ?, ?)")
            for row in rows {
                try note.execute(arguments: [row["id"], row["username"], now.timeIntervalSince1970])
            }
            return try rows.map { PurgedRequest(id: try SQLiteRow.requestID($0["id"]), result: SQLiteRow.result($0)) }
        }
    }

    package func pruneExpiryNotes(before cutoff: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM expired_requests WHERE expired_at < ?", arguments: [cutoff.timeIntervalSince1970])
        }
    }

    package func expiryDate(of id: RequestID, ofUser username: String) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db, sql: "SELECT expired_at FROM expired_requests WHERE id = ? AND username = ?", arguments: [id.description, username]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    package func referencedStagingKeys(among keys: [String]) async throws -> Set<String> {
        try await pool.read { db in
            var referenced = Set<String>()
            for chunk in keys.chunked(into: 500) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let found = try String.fetchAll(
                    db,
                    sql: "SELECT staging_key FROM requests WHERE staging_key IN (\(placeholders))",
                    arguments: StatementArguments(chunk)
                )
                referenced.formUnion(found)
            }
            return referenced
        }
    }

    package func checkHealth() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension SQLiteRequestStore {
    package func statistics() async throws -> RequestStatistics {
        try await pool.read { db in
            var statistics = RequestStatistics()
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT collection, status, count(*) AS n FROM requests WHERE status != 'revoked' GROUP BY collection, status"
            )
            for row in rows {
                statistics.byCollection[row["collection"], default: [:]][row["status"]] = row["n"]
            }
            let oldest = try Double.fetchOne(db, sql: "SELECT created_at FROM requests WHERE status = 'waiting' ORDER BY seq LIMIT 1")
            statistics.oldestWaitingSince = oldest.map(Date.init(timeIntervalSince1970:))
            return statistics
        }
    }

    package func requests(matching query: RequestQuery) async throws -> [RequestRecord] {
        try await pool.read { db in
            var conditions = ["status != 'revoked'"]
            var arguments: StatementArguments = []
            if let status = query.status {
                conditions.append("status = ?")
                arguments += [status.rawValue]
            }
            if let username = query.username {
                conditions.append("username = ?")
                arguments += [username]
            }
            if let collection = query.collection {
                conditions.append("collection = ?")
                arguments += [collection]
            }
            arguments += [query.limit]
            let sql = "SELECT * FROM requests WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(SQLiteRow.record)
        }
    }

    package func reportWorker(_ status: WorkerStatus) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO workers (id, slots, busy, started_at, seen_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET slots = excluded.slots, busy = excluded.busy, seen_at = excluded.seen_at
                    """,
                arguments: [
                    status.id, status.slots, status.busy, status.startedAt.timeIntervalSince1970, status.seenAt.timeIntervalSince1970,
                ]
            )
        }
    }

    package func removeWorker(id: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [id])
        }
    }

    package func workers(seenSince date: Date) async throws -> [WorkerStatus] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM workers WHERE seen_at >= ? ORDER BY id", arguments: [date.timeIntervalSince1970]).map { row in
                WorkerStatus(
                    id: row["id"], slots: row["slots"], busy: row["busy"],
                    startedAt: Date(timeIntervalSince1970: row["started_at"]), seenAt: Date(timeIntervalSince1970: row["seen_at"])
                )
            }
        }
    }
}
