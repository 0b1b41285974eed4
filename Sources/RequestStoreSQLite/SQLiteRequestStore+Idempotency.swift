import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    package func idempotentSubmission(username: String, key: String, since: Date) async throws -> IdempotentSubmission? {
        try await read { db in try Self.idempotentSubmission(db, username: username, key: key, since: since) }
    }

    package func pruneIdempotencyKeys(before cutoff: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM idempotency_keys WHERE created_at < ?").execute(arguments: [cutoff.timeIntervalSince1970])
        }
    }

    /// The live request under `key`: recorded after `since` and not deleted since.
    static func idempotentSubmission(_ db: Database, username: String, key: String, since: Date) throws -> IdempotentSubmission? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT k.request_id, k.digest FROM idempotency_keys k JOIN requests r ON r.id = k.request_id
                        WHERE k.username = ? AND k.key = ? AND k.created_at >= ?
                        """),
                arguments: [username, key, since.timeIntervalSince1970])
        else { return nil }
        return IdempotentSubmission(id: try SQLiteRow.requestID(row["request_id"]), digest: row["digest"])
    }
}
