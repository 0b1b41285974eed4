import Foundation
import PolytopeCore
import PostgresNIO

extension PostgresRequestStore {
    /// `moreQueued` is always true: a worker claims until a claim finds nothing.
    package func claimNext(worker: String, leaseExpiry: Date, at now: Date) async throws -> ClaimedRequest? {
        let time = now.timeIntervalSince1970
        return try await query(
            """
            UPDATE requests SET status = 'processing', attempts = attempts + 1, staged_bytes = 0, lease_owner = \(worker),
                lease_expires_at = \(leaseExpiry.timeIntervalSince1970), updated_at = \(time),
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'processing', 'at', \(time)::float8)))::text
            WHERE seq = (SELECT seq FROM requests WHERE status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        ).first.map { ClaimedRequest(record: try Self.record($0), moreQueued: true) }
    }

    package func renewLease(id: RequestIdentifier, worker: String, until expiry: Date, stagedBytes: Int64) async throws -> Bool {
        try await !query(
            """
            UPDATE requests SET lease_expires_at = \(expiry.timeIntervalSince1970), staged_bytes = \(stagedBytes)
            WHERE id = \(id.description) AND lease_owner = \(worker) AND status IN ('processing', 'revoked')
            RETURNING id
            """
        ).isEmpty
    }

    package func finish(id: RequestIdentifier, worker: String, outcome: WorkOutcome, at now: Date) async throws -> FinishResult {
        let time = now.timeIntervalSince1970
        let status: String
        let message: String
        var result: StagedResult?
        // Archived: the input's staged copy is deleted by the worker, and nothing references it now.
        var inputArchived = false
        switch outcome {
        case .processed(let staged, let text):
            status = "processed"
            message = text
            result = staged
        case .failed(let text):
            status = "failed"
            message = text
        case .archived(let text):
            status = "processed"
            message = text
            inputArchived = true
        }
        let changed = try await query(
            """
            UPDATE requests SET status = \(status), staging_key = COALESCE(\(result?.key), staging_key),
                content_type = COALESCE(\(result?.contentType), content_type), content_length = COALESCE(\(result?.contentLength), content_length),
                input_staging_key = CASE WHEN \(inputArchived) THEN NULL ELSE input_staging_key END,
                input_content_type = CASE WHEN \(inputArchived) THEN NULL ELSE input_content_type END,
                input_content_length = CASE WHEN \(inputArchived) THEN NULL ELSE input_content_length END,
                lease_owner = NULL, lease_expires_at = NULL, updated_at = \(time),
                user_message = CASE WHEN user_message = '' THEN \(message) ELSE user_message || E'\\n' || \(message) END,
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', \(status)::text, 'at', \(time)::float8)))::text
            WHERE id = \(id.description) AND lease_owner = \(worker) AND status = 'processing'
            RETURNING id
            """
        )
        return try await finishResult(changed: !changed.isEmpty, id: id, worker: worker)
    }

    package func release(id: RequestIdentifier, worker: String, message: String, countingAttempt: Bool, at now: Date) async throws -> FinishResult {
        let time = now.timeIntervalSince1970
        let uncounted = countingAttempt ? 0 : 1
        let changed = try await query(
            """
            UPDATE requests SET status = 'queued', attempts = greatest(attempts - \(uncounted), 0), lease_owner = NULL, lease_expires_at = NULL,
                updated_at = \(time),
                user_message = CASE WHEN user_message = '' THEN \(message) ELSE user_message || E'\\n' || \(message) END,
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'queued', 'at', \(time)::float8)))::text
            WHERE id = \(id.description) AND lease_owner = \(worker) AND status = 'processing'
            RETURNING id
            """
        )
        return try await finishResult(changed: !changed.isEmpty, id: id, worker: worker)
    }

    package func appendUserMessage(id: RequestIdentifier, worker: String, _ line: String, at now: Date) async throws {
        _ = try await query(
            """
            UPDATE requests SET user_message = CASE WHEN user_message = '' THEN \(line) ELSE user_message || E'\\n' || \(line) END,
                updated_at = \(now.timeIntervalSince1970)
            WHERE id = \(id.description) AND lease_owner = \(worker) AND status = 'processing'
            """
        )
    }

    /// After a conditional update: recorded if a row changed; otherwise, if the request was
    /// revoked under this worker, delete it now; otherwise the lease was lost.
    private func finishResult(changed: Bool, id: RequestIdentifier, worker: String) async throws -> FinishResult {
        if changed { return .recorded }
        let deleted = try await query(
            "DELETE FROM requests WHERE id = \(id.description) AND status = 'revoked' AND lease_owner = \(worker) RETURNING id"
        )
        return deleted.isEmpty ? .leaseLost : .revoked
    }
}
