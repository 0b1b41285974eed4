import Foundation
import GRDB
import PolytopeCore
import RequestStoreSupport

extension SQLiteRequestStore {
    package func record(_ submission: NewSubmission) async throws -> SubmissionOutcome {
        let record = submission.record
        let arguments = try SQLiteRow(record).arguments
        let normalised = try submission.reuse.map { try StoredRequestColumns($0.answered).normalisedJSON }
        // In one write transaction (shared with concurrent submissions, each seeing those
        // before it): SQLite runs one at a time, so every check sees the store as the insert
        // finds it.
        return try await diskSpace.write {
            try await submissions.run { db in
                if let key = submission.idempotencyKey,
                    let earlier = try Self.idempotentSubmission(db, username: record.user.owner, key: key.key, since: submission.keysRecordedSince)
                {
                    return .repeated(earlier)
                }
                var outcome = SubmissionOutcome.recorded
                if let reuse = submission.reuse, let normalised,
                    let (source, result, finishedAt, sourceMessage) = try Self.reusableResult(db, for: reuse, normalised: normalised)
                {
                    let answered = reuse.answered(sharing: result, finishedAt: finishedAt, sourceMessage: sourceMessage)
                    try db.cachedStatement(sql: SQLiteRow.insertSQL).execute(arguments: try SQLiteRow(answered).arguments)
                    outcome = .reused(source: source)
                } else {
                    if let maximum = submission.admittingUpTo {
                        let (collection, username) = (record.collection, record.user.owner)
                        let held =
                            try Int.fetchOne(
                                db.cachedStatement(sql: Self.admissionCountSQL),
                                arguments: [collection, username, maximum, collection, username, maximum]) ?? 0
                        guard held < maximum else { return .refused }
                    }
                    try db.cachedStatement(sql: SQLiteRow.insertSQL).execute(arguments: arguments)
                }
                if let key = submission.idempotencyKey {
                    try db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES (?, ?, ?, ?, ?)"
                    ).execute(arguments: [
                        record.user.owner, key.key, record.id.description, key.digest, record.createdAt.timeIntervalSince1970,
                    ])
                }
                return outcome
            }
        }
    }

    /// The user's waiting and uploading requests in a collection, each count capped.
    static let admissionCountSQL = """
        SELECT (SELECT count(*) FROM (SELECT 1 FROM requests INDEXED BY requests_waiting
                    WHERE status = 'waiting' AND collection = ? AND username = ? LIMIT ?))
             + (SELECT count(*) FROM (SELECT 1 FROM requests INDEXED BY requests_by_status
                    WHERE status = 'uploading' AND collection = ? AND username = ? LIMIT ?))
        """

    /// The newest staged result `reuse` may take: its request, the result, when it finished
    /// and what its user was told.
    private static func reusableResult(_ db: Database, for reuse: ResultReuse, normalised: String) throws
        -> (RequestIdentifier, StagedResult, Date, String)?
    {
        guard
            let source = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT id, updated_at, user_message, \(SQLiteRow.stagedColumns) FROM requests INDEXED BY requests_reusable
                        WHERE status = 'processed' AND staging_key IS NOT NULL AND collection = ? AND datasource = ? AND request_normalised = ?
                            AND verb = 'retrieve' AND updated_at >= ?
                        ORDER BY updated_at DESC LIMIT 1
                        """),
                arguments: [reuse.answered.collection, reuse.answered.datasource, normalised, reuse.since.timeIntervalSince1970]),
            let result = SQLiteRow.result(source)
        else { return nil }
        return (try SQLiteRow.requestID(source["id"]), result, Date(timeIntervalSince1970: source["updated_at"]), source["user_message"])
    }
}
