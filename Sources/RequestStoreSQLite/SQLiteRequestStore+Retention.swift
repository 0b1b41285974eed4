import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    // MARK: RetentionStore

    // The selections name `requests_finished`: without `ANALYZE` statistics SQLite would read
    // every finished request through `requests_by_status` and sort them, inside the write
    // transaction (about a second with a million stored).

    package func purgeFinishedRequests(before cutoff: Date, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        try await purge(
            selecting: """
                SELECT seq FROM requests INDEXED BY requests_finished
                WHERE status IN ('processed', 'failed') AND updated_at < ? ORDER BY updated_at LIMIT ?
                """,
            arguments: [cutoff.timeIntervalSince1970, limit],
            at: now
        )
    }

    package func purgeOldestResults(freeing bytes: Int64, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        // Oldest first, stopping once the requests before already free enough. A request's
        // objects are its result and, for an archive request that failed, its upload.
        try await purge(
            selecting: """
                SELECT seq FROM (
                    SELECT seq, sum(size) OVER (ORDER BY updated_at, seq) - size AS freed_before FROM (
                        SELECT seq, updated_at, coalesce(content_length, 0) + coalesce(input_content_length, 0) AS size
                        FROM requests INDEXED BY requests_finished WHERE status IN ('processed', 'failed')
                            AND (staging_key IS NOT NULL OR input_staging_key IS NOT NULL)
                        ORDER BY updated_at, seq LIMIT ?
                    )
                ) WHERE freed_before < ?
                """,
            arguments: [limit, bytes],
            at: now
        )
    }

    /// Deletes the selected requests and notes that they expired, in one transaction.
    private func purge(selecting query: String, arguments: StatementArguments, at now: Date) async throws -> [PurgedRequest] {
        try await write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "DELETE FROM requests WHERE seq IN (\(query)) RETURNING id, username, \(SQLiteRow.stagedColumns)"),
                arguments: arguments
            )
            let note = try db.cachedStatement(sql: "INSERT OR REPLACE INTO expired_requests (id, username, expired_at) VALUES (?, ?, ?)")
            for row in rows {
                try note.execute(arguments: [row["id"], row["username"], now.timeIntervalSince1970])
            }
            return try rows.map {
                PurgedRequest(id: try SQLiteRow.requestID($0["id"]), result: SQLiteRow.result($0), archiveInput: SQLiteRow.input($0))
            }
        }
    }

    package func pruneWorkers(seenBefore cutoff: Date) async throws -> Int {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM workers WHERE seen_at < ?").execute(arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    package func pruneExpiryNotes(before cutoff: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM expired_requests WHERE expired_at < ?").execute(arguments: [cutoff.timeIntervalSince1970])
        }
    }

    package func expiryDate(of id: RequestIdentifier, ofUser username: String) async throws -> Date? {
        try await read { db in
            try Double.fetchOne(
                db.cachedStatement(sql: "SELECT expired_at FROM expired_requests WHERE id = ? AND username = ?"),
                arguments: [id.description, username]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    package func referencedStagingKeys(among keys: [String]) async throws -> Set<String> {
        try await read { db in
            var referenced = Set<String>()
            for chunk in keys.chunked(into: 500) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let found = try String.fetchAll(
                    db,
                    sql: """
                        SELECT staging_key FROM requests WHERE staging_key IN (\(placeholders))
                        UNION ALL SELECT input_staging_key FROM requests WHERE input_staging_key IN (\(placeholders))
                        """,
                    arguments: StatementArguments(chunk + chunk)
                )
                referenced.formUnion(found)
            }
            return referenced
        }
    }

    package func checkHealth() async throws {
        _ = try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT 1")) }
        try diskSpace.check()
    }
}
