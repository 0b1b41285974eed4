import Foundation
import PolytopeCore
import PostgresNIO

extension PostgresRequestStore {
    package func insert(_ record: RequestRecord, idempotencyKey: IdempotencyKey, since: Date) async throws -> IdempotentSubmission? {
        let insert = try Self.insertQuery(record)
        let (username, key, digest) = (record.user.username, idempotencyKey.key, idempotencyKey.digest)
        let (id, created, cutoff) = (record.id.description, record.createdAt.timeIntervalSince1970, since.timeIntervalSince1970)
        let logger = self.logger
        return try await transaction { connection in
            // Take the key unless a live request holds it; a concurrent submission with the
            // same key waits here for this one's commit, then sees its request.
            let claimed = try await connection.query(
                """
                INSERT INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES (\(username), \(key), \(id), \(digest), \(created))
                ON CONFLICT (username, key) DO UPDATE SET request_id = EXCLUDED.request_id, digest = EXCLUDED.digest, created_at = EXCLUDED.created_at
                WHERE idempotency_keys.created_at < \(cutoff) OR NOT EXISTS (SELECT 1 FROM requests WHERE id = idempotency_keys.request_id)
                RETURNING request_id
                """,
                logger: logger
            ).collect()
            guard claimed.isEmpty else {
                try await connection.query(insert, logger: logger)
                return nil
            }
            let rows = try await connection.query(
                "SELECT request_id, digest FROM idempotency_keys WHERE username = \(username) AND key = \(key)", logger: logger
            ).collect()
            guard let row = rows.first?.makeRandomAccess() else { return nil }
            return IdempotentSubmission(id: try Self.requestID(row, column: "request_id"), digest: try row["digest"].decode(String.self))
        }
    }

    package func idempotentSubmission(username: String, key: String, since: Date) async throws -> IdempotentSubmission? {
        try await query(
            """
            SELECT k.request_id, k.digest FROM idempotency_keys k JOIN requests r ON r.id = k.request_id
            WHERE k.username = \(username) AND k.key = \(key) AND k.created_at >= \(since.timeIntervalSince1970)
            """
        ).first.map { IdempotentSubmission(id: try Self.requestID($0, column: "request_id"), digest: try $0["digest"].decode(String.self)) }
    }

    package func pruneIdempotencyKeys(before cutoff: Date) async throws {
        _ = try await query("DELETE FROM idempotency_keys WHERE created_at < \(cutoff.timeIntervalSince1970)")
    }
}
