import Foundation
import PolytopeCore
import PostgresNIO

extension PostgresRequestStore {
    package func insert(_ record: RequestRecord, idempotencyKey: IdempotencyKey, since: Date) async throws -> IdempotentSubmission? {
        let insert = try Self.insertQuery(record)
        let (username, key, digest) = (record.user.owner, idempotencyKey.key, idempotencyKey.digest)
        let (id, created, cutoff) = (record.id.description, record.createdAt.timeIntervalSince1970, since.timeIntervalSince1970)
        let logger = self.logger
        return try await transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES (\(username), \(key), \(id), \(digest), \(created))
                ON CONFLICT (username, key) DO NOTHING RETURNING request_id
                """,
                logger: logger
            ).collect()
            if inserted.isEmpty {
                // The key is taken: lock it (waiting for a concurrent submission with it to
                // commit), then look with a fresh snapshot whether its request still lives.
                let rows = try await connection.query(
                    "SELECT request_id, digest, created_at FROM idempotency_keys WHERE username = \(username) AND key = \(key) FOR UPDATE",
                    logger: logger
                ).collect()
                if let row = rows.first?.makeRandomAccess() {
                    let earlier = IdempotentSubmission(
                        id: try Self.requestID(row, column: "request_id"), digest: try row["digest"].decode(String.self))
                    let alive = try await connection.query(
                        "SELECT 1 FROM requests WHERE id = \(earlier.id.description)", logger: logger
                    ).collect()
                    if try row["created_at"].decode(Double.self) >= cutoff, !alive.isEmpty { return earlier }
                }
                try await connection.query(
                    """
                    UPDATE idempotency_keys SET request_id = \(id), digest = \(digest), created_at = \(created)
                    WHERE username = \(username) AND key = \(key)
                    """,
                    logger: logger
                )
            }
            try await connection.query(insert, logger: logger)
            return nil
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
