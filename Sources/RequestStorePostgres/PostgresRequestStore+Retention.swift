import Foundation
import PolytopeCore
import PostgresNIO
import RequestStoreSupport

extension PostgresRequestStore {
    package func purgeFinishedRequests(before cutoff: Date, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        try await purge(
            """
            WITH chosen AS (
                SELECT seq FROM requests WHERE status IN ('processed', 'failed') AND updated_at < \(cutoff.timeIntervalSince1970)
                ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), removed AS (
                DELETE FROM requests WHERE seq IN (SELECT seq FROM chosen)
                RETURNING id, username, staging_key, content_type, content_length, input_staging_key, input_content_type, input_content_length
            ), noted AS (
                INSERT INTO expired_requests (id, username, expired_at) SELECT id, username, \(now.timeIntervalSince1970) FROM removed
                ON CONFLICT (id) DO UPDATE SET expired_at = excluded.expired_at
            )
            SELECT * FROM removed
            """
        )
    }

    package func purgeOldestResults(freeing bytes: Int64, limit: Int, at now: Date) async throws -> [PurgedRequest] {
        try await purge(
            """
            WITH candidates AS (
                SELECT seq, updated_at, coalesce(content_length, 0) + coalesce(input_content_length, 0) AS size
                FROM requests WHERE status IN ('processed', 'failed') AND (staging_key IS NOT NULL OR input_staging_key IS NOT NULL)
                ORDER BY updated_at, seq LIMIT \(limit)
            ), ordered AS (
                SELECT seq, sum(size) OVER (ORDER BY updated_at, seq) - size AS freed_before FROM candidates
            ), removed AS (
                DELETE FROM requests WHERE seq IN (SELECT seq FROM ordered WHERE freed_before < \(bytes))
                RETURNING id, username, staging_key, content_type, content_length, input_staging_key, input_content_type, input_content_length
            ), noted AS (
                INSERT INTO expired_requests (id, username, expired_at) SELECT id, username, \(now.timeIntervalSince1970) FROM removed
                ON CONFLICT (id) DO UPDATE SET expired_at = excluded.expired_at
            )
            SELECT * FROM removed
            """
        )
    }

    private func purge(_ statement: PostgresQuery) async throws -> [PurgedRequest] {
        try await query(statement).map { PurgedRequest(id: try Self.requestID($0), result: try Self.result($0), archiveInput: try Self.input($0)) }
    }

    package func failAbandonedUploads(createdBefore cutoff: Date, message: String, at now: Date) async throws -> Int {
        let time = now.timeIntervalSince1970
        return try await query(
            """
            UPDATE requests SET status = 'failed', updated_at = \(time),
                user_message = CASE WHEN user_message = '' THEN \(message) ELSE user_message || E'\\n' || \(message) END,
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'failed', 'at', \(time)::float8)))::text
            WHERE status = 'uploading' AND created_at < \(cutoff.timeIntervalSince1970)
            RETURNING id
            """
        ).count
    }

    package func pruneWorkers(seenBefore cutoff: Date) async throws -> Int {
        try await query("DELETE FROM workers WHERE seen_at < \(cutoff.timeIntervalSince1970) RETURNING id").count
    }

    package func pruneExpiryNotes(before cutoff: Date) async throws {
        _ = try await query("DELETE FROM expired_requests WHERE expired_at < \(cutoff.timeIntervalSince1970)")
    }

    package func referencedStagingKeys(among keys: [String]) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return Set(
            try await query(
                """
                SELECT staging_key AS key FROM requests WHERE staging_key = ANY(\(keys))
                UNION ALL SELECT input_staging_key FROM requests WHERE input_staging_key = ANY(\(keys))
                """
            ).map { try $0["key"].decode(String.self) })
    }

    package func checkHealth() async throws {
        _ = try await query("SELECT 1")
    }

    // MARK: TelemetryStore

    package func statistics() async throws -> RequestStatistics {
        var statistics = RequestStatistics()
        // Each part from an index (see SQLiteRequestStore.statisticsSQL), not every row.
        let counts = try await query(
            """
            SELECT collection, status, count(*) AS n FROM requests WHERE status IN ('processed', 'failed') GROUP BY collection, status
            UNION ALL SELECT collection, 'waiting', count(*) FROM requests WHERE status = 'waiting' GROUP BY collection
            UNION ALL SELECT collection, status, count(*) FROM requests WHERE status IN ('uploading', 'queued', 'processing', 'revoked')
                GROUP BY collection, status
            """
        )
        for row in counts {
            statistics.byCollection[try row["collection"].decode(String.self), default: [:]][try row["status"].decode(String.self)] = try row["n"]
                .decode(Int.self)
        }
        let oldest = try await query("SELECT created_at FROM requests WHERE status = 'waiting' ORDER BY seq LIMIT 1").first
        statistics.oldestWaitingSince = try oldest.map { Date(timeIntervalSince1970: try $0["created_at"].decode(Double.self)) }
        return statistics
    }

    package func requests(matching filter: RequestQuery) async throws -> RequestPage {
        try Self.page(
            await query(
                """
                SELECT * FROM requests WHERE status <> 'revoked' AND seq < \(filter.after?.sequence ?? Int64.max)
                    AND (\(filter.status?.rawValue)::text IS NULL OR status = \(filter.status?.rawValue))
                    AND (\(filter.username)::text IS NULL OR username = \(filter.username))
                    AND (\(filter.collection)::text IS NULL OR collection = \(filter.collection))
                ORDER BY seq DESC LIMIT \(filter.limit + 1)
                """
            ),
            limit: filter.limit
        )
    }

    package func submissionsPerMinute(from first: Int64) async throws -> [Int64: Int] {
        let rows = try await query(
            "SELECT floor(created_at / 60)::bigint AS minute, count(*) AS n FROM requests WHERE created_at >= \(Double(first) * 60) GROUP BY minute"
        )
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0["minute"].decode(Int64.self), try $0["n"].decode(Int.self)) })
    }

    // MARK: WorkerRegistry

    package func reportWorker(_ status: WorkerStatus) async throws {
        _ = try await query(
            """
            INSERT INTO workers (id, slots, busy, started_at, seen_at)
            VALUES (\(status.id), \(status.slots), \(status.busy), \(status.startedAt.timeIntervalSince1970), \(status.seenAt.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET slots = excluded.slots, busy = excluded.busy, seen_at = excluded.seen_at
            """
        )
    }

    package func removeWorker(id: String) async throws {
        _ = try await query("DELETE FROM workers WHERE id = \(id)")
    }

    package func workers(seenSince date: Date) async throws -> [WorkerStatus] {
        try await query("SELECT * FROM workers WHERE seen_at >= \(date.timeIntervalSince1970) ORDER BY id").map { row in
            WorkerStatus(
                id: try row["id"].decode(String.self), slots: try row["slots"].decode(Int.self), busy: try row["busy"].decode(Int.self),
                startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
                seenAt: Date(timeIntervalSince1970: try row["seen_at"].decode(Double.self))
            )
        }
    }

    // MARK: APIKeyStore

    package func insertAPIKey(_ key: APIKeyRecord) async throws {
        _ = try await query(
            """
            INSERT INTO api_keys (id, key_hash, username, user_json, label, created_at, expires_at, revoked_at)
            VALUES (\(key.id), \(key.keyHash), \(key.user.username), \(StoredRequestColumns.userJSON(key.user)), \(key.label),
                \(key.createdAt.timeIntervalSince1970), \(key.expiresAt.timeIntervalSince1970), \(key.revokedAt?.timeIntervalSince1970))
            """
        )
    }

    package func apiKey(withHash hash: String) async throws -> APIKeyRecord? {
        try await query("SELECT * FROM api_keys WHERE key_hash = \(hash)").first.map(Self.apiKey)
    }

    package func apiKeys(ofUser username: String?) async throws -> [APIKeyRecord] {
        try await query("SELECT * FROM api_keys WHERE \(username)::text IS NULL OR username = \(username) ORDER BY created_at DESC").map(Self.apiKey)
    }

    package func revokeAPIKey(id: String, at now: Date) async throws -> Bool {
        try await !query("UPDATE api_keys SET revoked_at = \(now.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").isEmpty
    }

    package func pruneAPIKeys(unusableBefore cutoff: Date) async throws -> Int {
        let time = cutoff.timeIntervalSince1970
        return try await query("DELETE FROM api_keys WHERE expires_at < \(time) OR revoked_at < \(time) RETURNING id").count
    }

    static func apiKey(_ row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row["id"].decode(String.self),
            keyHash: try row["key_hash"].decode(String.self),
            user: try StoredRequestColumns.decodeUser(try row["user_json"].decode(String.self)),
            label: try row["label"].decode(String.self),
            createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)),
            expiresAt: Date(timeIntervalSince1970: try row["expires_at"].decode(Double.self)),
            revokedAt: try row["revoked_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
        )
    }
}
