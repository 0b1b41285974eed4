import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    package func claimNext(worker: String, leaseExpiry: Date, at now: Date) async throws -> ClaimedRequest? {
        // Where other processes share the file, a pool woken with nothing queued (another
        // pool took it) finds out with a read (beside writers in WAL mode), sparing the write
        // lock that their finishing requests wait for. Alone, the claim itself finds out as
        // cheaply. A claim tells whether more are queued, so a pool does not try again to find out.
        if presence.othersPresent {
            guard try await read({ db in try Self.anyQueued(db) }) else { return nil }
        }
        return try await write { db in
            let time = now.timeIntervalSince1970
            let claimed = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE requests SET status = 'processing', attempts = attempts + 1, staged_bytes = 0, lease_owner = ?, lease_expires_at = ?,
                            updated_at = ?, status_history = \(SQLiteRow.appendHistory)
                        WHERE seq = (SELECT seq FROM requests WHERE status = 'queued' ORDER BY seq LIMIT 1)
                        RETURNING *
                        """),
                arguments: [worker, leaseExpiry.timeIntervalSince1970, time, "processing", time]
            ).map(SQLiteRow.record)
            return try claimed.map { ClaimedRequest(record: $0, moreQueued: try Self.anyQueued(db)) }
        }
    }

    private static func anyQueued(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM requests WHERE status = 'queued')")) ?? false
    }

    package func renewLease(id: RequestIdentifier, worker: String, until expiry: Date, stagedBytes: Int64) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE requests SET lease_expires_at = ?, staged_bytes = ?
                    WHERE id = ? AND lease_owner = ? AND status IN ('processing', 'revoked')
                    """
            ).execute(arguments: [expiry.timeIntervalSince1970, stagedBytes, id.description, worker]
            )
            return db.changesCount == 1
        }
    }

    package func finish(id: RequestIdentifier, worker: String, outcome: WorkOutcome, at now: Date) async throws -> FinishResult {
        try await write { db in
            let time = now.timeIntervalSince1970
            switch outcome {
            case .processed(let result, let message):
                try db.cachedStatement(
                    sql: """
                        UPDATE requests SET status = 'processed', staging_key = ?, content_type = ?, content_length = ?,
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                            user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                        WHERE id = ? AND lease_owner = ? AND status = 'processing'
                        """
                ).execute(arguments: [
                    result.key, result.contentType, result.contentLength, time, message, message, "processed", time,
                    id.description, worker,
                ]
                )
            case .failed(let message):
                try db.cachedStatement(
                    sql: """
                        UPDATE requests SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                            user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                        WHERE id = ? AND lease_owner = ? AND status = 'processing'
                        """
                ).execute(arguments: [time, message, message, "failed", time, id.description, worker]
                )
            case .archived(let message):
                // The input is archived: the worker deletes its staged copy, which nothing references now.
                try db.cachedStatement(
                    sql: """
                        UPDATE requests SET status = 'processed', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
                            input_staging_key = NULL, input_content_type = NULL, input_content_length = NULL,
                            user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                        WHERE id = ? AND lease_owner = ? AND status = 'processing'
                        """
                ).execute(arguments: [time, message, message, "processed", time, id.description, worker]
                )
            }
            return try Self.finishResult(db, id: id, worker: worker)
        }
    }

    package func release(id: RequestIdentifier, worker: String, message: String, countingAttempt: Bool, at now: Date) async throws -> FinishResult {
        try await write { db in
            let time = now.timeIntervalSince1970
            try db.cachedStatement(
                sql: """
                    UPDATE requests SET status = 'queued', attempts = max(attempts - ?, 0), lease_owner = NULL, lease_expires_at = NULL,
                        updated_at = ?, user_message = \(SQLiteRow.appendMessage), status_history = \(SQLiteRow.appendHistory)
                    WHERE id = ? AND lease_owner = ? AND status = 'processing'
                    """
            ).execute(arguments: [countingAttempt ? 0 : 1, time, message, message, "queued", time, id.description, worker]
            )
            return try Self.finishResult(db, id: id, worker: worker)
        }
    }

    package func appendUserMessage(id: RequestIdentifier, worker: String, _ line: String, at now: Date) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE requests SET user_message = \(SQLiteRow.appendMessage), updated_at = ?
                    WHERE id = ? AND lease_owner = ? AND status = 'processing'
                    """
            ).execute(arguments: [line, line, now.timeIntervalSince1970, id.description, worker]
            )
        }
    }

    /// After a conditional update: recorded if a row changed; otherwise, if the request was
    /// revoked under this worker, delete it now; otherwise the lease was lost.
    private static func finishResult(_ db: Database, id: RequestIdentifier, worker: String) throws -> FinishResult {
        if db.changesCount == 1 { return .recorded }
        try db.cachedStatement(sql: "DELETE FROM requests WHERE id = ? AND status = 'revoked' AND lease_owner = ?").execute(arguments: [
            id.description, worker,
        ])
        return db.changesCount == 1 ? .revoked : .leaseLost
    }
}
