import Foundation
import GRDB
import Logging
import PolytopeCore
import RequestStoreSupport

/// The embedded request store: one SQLite file in WAL mode, shared by every role of one
/// process and by every process on the host that opens the same file.
///
/// Writes are `BEGIN IMMEDIATE` transactions; concurrent writers from other processes wait
/// (busy timeout) instead of failing with "database is locked". `insert` returns only after
/// the commit, so a 202 answered after it survives a crash of the process. A full disk is
/// reported as `DiskFull` (HTTP 503), also by `checkHealth`, until space is freed
/// (`SQLiteDiskSpace`).
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
        /// After a write failed for want of space, the store is reported as full (not
        /// ready) until its file system has this much free.
        package var minimumFreeSpace: Int64

        package init(
            path: String, durability: Durability = .normal, busyTimeout: Duration = .seconds(30), checkpointsInBackground: Bool = false,
            minimumFreeSpace: Int64 = 1 << 20
        ) {
            self.path = path
            self.durability = durability
            self.busyTimeout = busyTimeout
            self.checkpointsInBackground = checkpointsInBackground
            self.minimumFreeSpace = minimumFreeSpace
        }
    }

    let pool: DatabasePool
    let logger: Logger
    package let configuration: Configuration
    /// New requests, with their checks, share transactions (see `GroupCommit`).
    let submissions: GroupCommit<SubmissionOutcome>
    let diskSpace: SQLiteDiskSpace

    /// Signalled after each write transaction of this store that changed a row commits (held
    /// polls look again); commits of other processes are seen by `SQLiteChangeWatcher`.
    let committed: WakeSignal

    /// Whether other processes have this store open (the change watcher asks).
    package let presence: SQLiteProcessPresence

    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// - Parameter committed: signalled after each write transaction of this store commits.
    package init(configuration: Configuration, committed: WakeSignal = WakeSignal(), logger: Logger) throws {
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
        self.presence = SQLiteProcessPresence(databasePath: configuration.path)  // before this process's first commit
        self.pool = try DatabasePool(path: configuration.path, configuration: grdb)
        self.logger = logger
        self.configuration = configuration
        self.committed = committed
        self.submissions = GroupCommit(pool: pool)
        self.diskSpace = SQLiteDiskSpace(path: configuration.path, minimumFreeBytes: configuration.minimumFreeSpace)
        try SQLiteSchema.migrator.migrate(pool)
    }

    /// A write transaction, signalled on `committed` if it changed a row; a full disk becomes
    /// `DiskFull`.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        let (value, changed) = try await diskSpace.write {
            try await pool.write { db in
                let before = db.totalChangesCount
                return (try updates(db), db.totalChangesCount != before)
            }
        }
        if changed { committed.signal() }
        return value
    }

    /// A read; a full disk (for temporary files) becomes `DiskFull`.
    func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try await diskSpace.read { try await pool.read(value) }
    }

    // MARK: FrontendStore

    package func insert(_ record: RequestRecord) async throws {
        let arguments = try SQLiteRow(record).arguments
        _ = try await diskSpace.write {
            try await submissions.run { db in
                try db.cachedStatement(sql: SQLiteRow.insertSQL).execute(arguments: arguments)
                return .recorded
            }
        }
    }

    package func request(id: RequestIdentifier) async throws -> RequestRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM requests WHERE id = ?"), arguments: [id.description]).map(SQLiteRow.record)
        }
    }

    package func requests(ofUser username: String, collection: String?, after cursor: RequestListCursor?, limit: Int) async throws
        -> RequestPage
    {
        try await read { db in
            var sql = "SELECT * FROM requests WHERE username = ? AND seq > ? AND status != 'revoked'"
            var arguments: StatementArguments = [username, cursor?.sequence ?? 0]
            if let collection {
                sql += " AND collection = ?"
                arguments += [collection]
            }
            arguments += [limit + 1]
            return try SQLiteRow.page(Row.fetchAll(db.cachedStatement(sql: sql + " ORDER BY seq LIMIT ?"), arguments: arguments), limit: limit)
        }
    }

    package func requestCount(ofUser username: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM requests WHERE username = ? AND status != 'revoked'"), arguments: [username]) ?? 0
        }
    }

    package func revoke(id: RequestIdentifier, ofUser username: String, at now: Date) async throws -> Revocation? {
        try await write { db in
            try Self.revoke(db, where: "id = ? AND username = ?", arguments: [id.description, username], at: now).first
        }
    }

    package func revokeAll(ofUser username: String, at now: Date) async throws -> [Revocation] {
        try await write { db in
            try Self.revoke(db, where: "username = ?", arguments: [username], at: now)
        }
    }

    /// Requests a worker holds become `revoked` (deleted when the worker lets go); others are deleted now.
    private static func revoke(_ db: Database, where condition: String, arguments: StatementArguments, at now: Date) throws -> [Revocation] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, status, \(SQLiteRow.stagedColumns) FROM requests WHERE \(condition) AND status != 'revoked'"),
            arguments: arguments
        )
        var revocations: [Revocation] = []
        for row in rows {
            let idText: String = row["id"]
            guard let id = RequestIdentifier(idText), let status = RequestStatus(rawValue: row["status"]) else { continue }
            if status == .processing {
                try db.cachedStatement(
                    sql: "UPDATE requests SET status = 'revoked', updated_at = ?, status_history = \(SQLiteRow.appendHistory) WHERE id = ?"
                ).execute(arguments: [now.timeIntervalSince1970, "revoked", now.timeIntervalSince1970, idText]
                )
                revocations.append(Revocation(id: id, previousStatus: status, orphanedResult: nil))
            } else {
                try db.cachedStatement(sql: "DELETE FROM requests WHERE id = ?").execute(arguments: [idText])
                var result = SQLiteRow.result(row)
                if let key = result?.key,
                    try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM requests WHERE staging_key = ?)"), arguments: [key])
                        == true
                {
                    result = nil  // reused by another request, which keeps it
                }
                revocations.append(
                    Revocation(id: id, previousStatus: status, orphanedResult: result, orphanedArchiveInput: SQLiteRow.input(row)))
            }
        }
        return revocations
    }

    // MARK: DispatchStore

    package func waitingUsers() async throws -> [ActiveRequestCounts.CollectionUser] {
        try await read { db in try Self.waitingUsers(db) }
    }

    package func waitingRequests(quotas: QuotaTable) async throws -> [DispatchCandidate] {
        try await read { db in try Self.waitingRequests(quotas: quotas, db) }
    }

    package func activeRequestCounts() async throws -> ActiveRequestCounts {
        try await read { db in try Self.activeRequestCounts(db) }
    }

    /// The three reads in one snapshot (one trip through the reader pool).
    package func dispatchSnapshot(
        quotas: @Sendable (_ waiting: [ActiveRequestCounts.CollectionUser], _ active: ActiveRequestCounts) -> QuotaTable
    ) async throws -> DispatchSnapshot? {
        try await read { db in
            let waiting = try Self.waitingUsers(db)
            guard !waiting.isEmpty else { return nil }
            let active = try Self.activeRequestCounts(db)
            let table = quotas(waiting, active)
            return DispatchSnapshot(active: active, candidates: table.isEmpty ? [] : try Self.waitingRequests(quotas: table, db))
        }
    }

    private static func waitingUsers(_ db: Database) throws -> [ActiveRequestCounts.CollectionUser] {
        // A loose index scan: one step of the `requests_waiting` index per user.
        var users: [ActiveRequestCounts.CollectionUser] = []
        var after = ("", "")
        while let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT collection, username FROM requests INDEXED BY requests_waiting
                    WHERE status = 'waiting' AND (collection, username) > (?, ?)
                    ORDER BY collection, username LIMIT 1
                    """),
            arguments: [after.0, after.1])
        {
            after = (row["collection"], row["username"])
            users.append(.init(collection: after.0, username: after.1))
        }
        return users
    }

    private static func waitingRequests(quotas: QuotaTable, _ db: Database) throws -> [DispatchCandidate] {
        var candidates: [DispatchCandidate] = []
        for (group, quota) in quotas where quota > 0 {
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT seq, id, username, user_json, collection FROM requests
                        WHERE status = 'waiting' AND collection = ? AND username = ? ORDER BY seq LIMIT ?
                        """),
                arguments: [group.collection, group.username, quota]
            )
            while let row = try rows.next() {
                // Decoded users are kept (`decodeUser`): most waiting requests share a few users.
                candidates.append(
                    DispatchCandidate(
                        id: try SQLiteRow.requestID(row["id"]), cursor: DispatchCursor(sequence: row["seq"]),
                        username: row["username"], roles: try SQLiteRow.decodeUser(row["user_json"]).roles, collection: row["collection"]))
            }
        }
        return candidates.sorted { $0.cursor < $1.cursor }
    }

    private static func activeRequestCounts(_ db: Database) throws -> ActiveRequestCounts {
        var counts = ActiveRequestCounts()
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT collection, username, count(*) AS n FROM requests
                    WHERE status IN ('queued', 'processing', 'revoked')
                    GROUP BY collection, username
                    """)
        )
        for row in rows {
            counts.add(collection: row["collection"], username: row["username"], count: row["n"])
        }
        return counts
    }

    package func markQueued(_ ids: [RequestIdentifier], at now: Date, leadership: BrokerLeadership?) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await write { db in
            if let leadership { try Self.checkLeadership(leadership, db) }
            try db.cachedStatement(sql: SQLiteRow.markQueuedSQL).execute(arguments: [
                now.timeIntervalSince1970, "queued", now.timeIntervalSince1970, SQLiteRow.idList(ids),
            ])
            return db.changesCount
        }
    }

    package func markUploaded(id: RequestIdentifier, upload: StagedResult, at now: Date) async throws -> Bool {
        try await write { db in
            let time = now.timeIntervalSince1970
            try db.cachedStatement(
                sql: """
                    UPDATE requests SET status = 'waiting', input_staging_key = ?, input_content_type = ?, input_content_length = ?,
                        updated_at = ?, status_history = \(SQLiteRow.appendHistory)
                    WHERE id = ? AND status = 'uploading'
                    """
            ).execute(arguments: [upload.key, upload.contentType, upload.contentLength, time, "waiting", time, id.description]
            )
            return db.changesCount == 1
        }
    }

    package func failWaiting(_ id: RequestIdentifier, message: String, at now: Date) async throws {
        _ = try await fail(where: "id = ? AND status = 'waiting'", [id.description], message: message, at: now)
    }

    package func failAbandonedUploads(createdBefore cutoff: Date, message: String, at now: Date) async throws -> Int {
        try await fail(where: "status = 'uploading' AND created_at < ?", [cutoff.timeIntervalSince1970], message: message, at: now)
    }

    /// Fails the requests that match `condition` (with `arguments`), adding `message` for
    /// their users; returns how many.
    private func fail(where condition: String, _ arguments: StatementArguments, message: String, at now: Date) async throws -> Int {
        try await write { db in
            let time = now.timeIntervalSince1970
            try db.cachedStatement(
                sql: """
                    UPDATE requests SET status = 'failed', updated_at = ?,
                        user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                    WHERE \(condition)
                    """
            ).execute(
                arguments: [time, message, message, "failed", time] + arguments
            )
            return db.changesCount
        }
    }

    package func recoverExpiredLeases(at now: Date, maximumAttempts: Int) async throws -> [LeaseRecovery] {
        // The broker asks every round, and a lease has almost always not expired: a read (which
        // runs beside writers in WAL mode) decides whether the write lock is needed at all.
        let anyExpired = try await read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM requests WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?)"),
                arguments: [now.timeIntervalSince1970]) ?? false
        }
        guard anyExpired else { return [] }
        return try await write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, status, attempts, lease_owner, collection, datasource FROM requests
                        WHERE lease_expires_at IS NOT NULL AND lease_expires_at < ?
                        """),
                arguments: [now.timeIntervalSince1970]
            )
            let time = now.timeIntervalSince1970
            return try rows.map { row in
                let idText: String = row["id"]
                let recovery = LeaseRecovery(
                    id: try SQLiteRow.requestID(idText), status: RequestStatus(rawValue: row["status"]) ?? .processing,
                    attempts: row["attempts"], previousOwner: row["lease_owner"] ?? "unknown", maximumAttempts: maximumAttempts,
                    collection: row["collection"], datasource: row["datasource"] ?? "")
                if let status = recovery.outcome.status, let message = recovery.userMessage {
                    try db.cachedStatement(
                        sql: """
                            UPDATE requests SET status = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                                user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                            WHERE id = ?
                            """
                    ).execute(arguments: [status.rawValue, time, message, message, status.rawValue, time, idText])
                } else {
                    try db.cachedStatement(sql: "DELETE FROM requests WHERE id = ?").execute(arguments: [idText])
                }
                return recovery
            }
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
