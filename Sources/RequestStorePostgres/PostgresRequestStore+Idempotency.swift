import Foundation
import PolytopeCore
import PostgresNIO

extension PostgresRequestStore {
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
