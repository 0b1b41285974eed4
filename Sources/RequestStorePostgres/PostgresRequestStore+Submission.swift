import Foundation
import PolytopeCore
import PostgresNIO
import RequestStoreSupport

extension PostgresRequestStore {
    package func record(_ submission: NewSubmission) async throws -> SubmissionOutcome {
        let record = submission.record
        guard submission.idempotencyKey != nil || submission.reuse != nil || submission.admittingUpTo != nil else {
            // Nothing to check: one statement, without a transaction's two more round trips.
            try await insert(record)
            return .recorded
        }
        let insert = try Self.insertQuery(record)
        let normalised = try submission.reuse.map { try StoredRequestColumns($0.answered).normalisedJSON }
        let logger = self.logger
        do {
            return try await transaction { connection in
                if let key = submission.idempotencyKey,
                    let earlier = try await Self.claim(key, for: record, since: submission.keysRecordedSince, on: connection, logger: logger)
                {
                    return .repeated(earlier)
                }
                if let reuse = submission.reuse, let normalised,
                    let (source, answered) = try await Self.answered(reuse, normalised: normalised, on: connection, logger: logger)
                {
                    try await connection.query(try Self.insertQuery(answered), logger: logger)
                    return .reused(source: source)
                }
                if let maximum = submission.admittingUpTo {
                    guard try await Self.admits(record, upTo: maximum, on: connection, logger: logger) else {
                        // Rolls back the key claimed above.
                        throw AdmissionRefused()
                    }
                }
                try await connection.query(insert, logger: logger)
                return .recorded
            }
        } catch let error as PostgresTransactionError where error.closureError is AdmissionRefused && error.rollbackError == nil {
            return .refused
        }
    }

    /// Thrown inside a submission's transaction to roll it back when admission refuses it.
    private struct AdmissionRefused: Error {}

    /// Claims `key` for `record`: returns the live request recorded under it after `since`,
    /// or nil once the key names `record` (inserted, or taken over from a request that is
    /// gone or too old). A concurrent claim of the same key waits for this transaction.
    private static func claim(
        _ key: IdempotencyKey, for record: RequestRecord, since: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> IdempotentSubmission? {
        let (username, digest) = (record.user.owner, key.digest)
        let (id, created, cutoff) = (record.id.description, record.createdAt.timeIntervalSince1970, since.timeIntervalSince1970)
        let inserted = try await connection.query(
            """
            INSERT INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES (\(username), \(key.key), \(id), \(digest), \(created))
            ON CONFLICT (username, key) DO NOTHING RETURNING request_id
            """,
            logger: logger
        ).collect()
        guard inserted.isEmpty else { return nil }
        // The key is taken: lock it (waiting for a concurrent submission with it to commit),
        // then look with a fresh snapshot whether its request still lives.
        let rows = try await connection.query(
            "SELECT request_id, digest, created_at FROM idempotency_keys WHERE username = \(username) AND key = \(key.key) FOR UPDATE",
            logger: logger
        ).collect()
        if let row = rows.first?.makeRandomAccess() {
            let earlier = IdempotentSubmission(id: try requestID(row, column: "request_id"), digest: try row["digest"].decode(String.self))
            let alive = try await connection.query("SELECT 1 FROM requests WHERE id = \(earlier.id.description)", logger: logger).collect()
            if try row["created_at"].decode(Double.self) >= cutoff, !alive.isEmpty { return earlier }
        }
        try await connection.query(
            """
            UPDATE idempotency_keys SET request_id = \(id), digest = \(digest), created_at = \(created)
            WHERE username = \(username) AND key = \(key.key)
            """,
            logger: logger
        )
        return nil
    }

    /// The source and the answered request when a staged result may answer `reuse`. FOR
    /// SHARE: the source cannot be deleted (and its result with it) before this commits.
    private static func answered(
        _ reuse: ResultReuse, normalised: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (RequestIdentifier, RequestRecord)? {
        let (collection, datasource, cutoff) = (reuse.answered.collection, reuse.answered.datasource, reuse.since.timeIntervalSince1970)
        let rows = try await connection.query(
            """
            SELECT id, updated_at, user_message, staging_key, content_type, content_length FROM requests
            WHERE status = 'processed' AND staging_key IS NOT NULL AND request_normalised = \(normalised)
                AND collection = \(collection) AND datasource = \(datasource) AND verb = 'retrieve' AND updated_at >= \(cutoff)
            ORDER BY updated_at DESC LIMIT 1 FOR SHARE
            """,
            logger: logger
        ).collect()
        guard let source = rows.first?.makeRandomAccess(), let result = try result(source) else { return nil }
        let finishedAt = Date(timeIntervalSince1970: try source["updated_at"].decode(Double.self))
        let sourceMessage = try source["user_message"].decode(String.self)
        return (try requestID(source), reuse.answered(sharing: result, finishedAt: finishedAt, sourceMessage: sourceMessage))
    }

    /// Whether `record`'s user has fewer than `maximum` requests waiting or uploading in its
    /// collection. Admissions of one user in one collection take turns, whichever frontend
    /// they come through; each count then reads the inserts committed before it (READ COMMITTED).
    private static func admits(_ record: RequestRecord, upTo maximum: Int, on connection: PostgresConnection, logger: Logger) async throws
        -> Bool
    {
        let (collection, username) = (record.collection, record.user.owner)
        try await connection.query(
            "SELECT pg_advisory_xact_lock(\(admissionLockClass), hashtext(\(collection) || '/' || \(username)))", logger: logger)
        let held =
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM (SELECT 1 FROM requests WHERE status = 'waiting' AND collection = \(collection)
                            AND username = \(username) LIMIT \(maximum)) AS w)
                     + (SELECT count(*) FROM (SELECT 1 FROM requests WHERE status = 'uploading' AND collection = \(collection)
                            AND username = \(username) LIMIT \(maximum)) AS u) AS n
                """,
                logger: logger
            ).collect().first?.makeRandomAccess()["n"].decode(Int.self) ?? 0
        return held < maximum
    }
}
