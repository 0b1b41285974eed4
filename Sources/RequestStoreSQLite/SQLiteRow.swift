import Foundation
import GRDB
import PolytopeCore
import RequestStoreSupport

/// Conversion between `RequestRecord` and rows of the `requests` table.
struct SQLiteRow {
    /// SQL that appends a status change (two arguments: status, time) to `status_history`.
    static let appendHistory = "json_insert(status_history, '$[#]', json_object('status', ?, 'at', ?))"
    /// SQL that appends a line (two arguments: the same line twice) to `user_message`.
    static let appendMessage = "CASE WHEN user_message = '' THEN ? ELSE user_message || char(10) || ? END"

    /// Inserts one row; the arguments are `arguments`.
    static let insertSQL = """
        INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
            user_message, request_text, request_normalised, staging_key, content_type, content_length,
            attempts, staged_bytes, lease_owner, lease_expires_at, created_at, updated_at, source_url,
            input_staging_key, input_content_type, input_content_length)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The staged objects of a row, as `result` and `input` read them.
    static let stagedColumns = "staging_key, content_type, content_length, input_staging_key, input_content_type, input_content_length"

    /// Queues waiting requests by id (arguments: time, "queued", time, then `idList` of the
    /// ids). `+status` keeps SQLite on the id index: with the status index it would scan every
    /// waiting request, which costs milliseconds per call with 100,000 of them.
    static let markQueuedSQL =
        "UPDATE requests SET status = 'queued', updated_at = ?, status_history = \(appendHistory) "
        + "WHERE id IN (SELECT value FROM json_each(?)) AND +status = 'waiting'"

    /// Request ids as one JSON array argument, for `IN (SELECT value FROM json_each(?))`: one
    /// statement text for any number of ids, so it is compiled once and cached.
    static func idList(_ ids: some Collection<RequestIdentifier>) -> String {
        "[" + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    let arguments: StatementArguments

    init(_ record: RequestRecord) throws {
        let columns = try StoredRequestColumns(record)
        arguments = [
            columns.id, columns.username, columns.userJSON, columns.verb, columns.collection, columns.datasource,
            columns.status, columns.statusHistoryJSON, columns.userMessage, columns.requestText, columns.normalisedJSON,
            columns.stagingKey, columns.contentType, columns.contentLength,
            columns.attempts, columns.stagedBytes, columns.leaseOwner, columns.leaseExpiresAt,
            columns.createdAt, columns.updatedAt, columns.sourceURL,
            columns.inputStagingKey, columns.inputContentType, columns.inputContentLength,
        ]
    }

    static func record(_ row: Row) throws -> RequestRecord {
        try StoredRequestColumns(
            id: row["id"], username: row["username"], userJSON: row["user_json"], verb: row["verb"], collection: row["collection"],
            datasource: row["datasource"], status: row["status"], statusHistoryJSON: row["status_history"], userMessage: row["user_message"],
            requestText: row["request_text"], normalisedJSON: row["request_normalised"], stagingKey: row["staging_key"],
            contentType: row["content_type"], contentLength: row["content_length"], attempts: row["attempts"], stagedBytes: row["staged_bytes"],
            leaseOwner: row["lease_owner"], leaseExpiresAt: row["lease_expires_at"], createdAt: row["created_at"], updatedAt: row["updated_at"],
            sourceURL: row["source_url"], inputStagingKey: row["input_staging_key"], inputContentType: row["input_content_type"],
            inputContentLength: row["input_content_length"]
        ).record()
    }

    /// A page of `limit` records from `rows`, fetched with one row more than `limit` to learn
    /// whether another page follows; rows need `seq`.
    static func page(_ rows: [Row], limit: Int) throws -> RequestPage {
        let shown = rows.prefix(limit)
        let next = rows.count > limit ? shown.last.map { RequestListCursor(sequence: $0["seq"]) } : nil
        return RequestPage(records: try shown.map(record), next: next)
    }

    static func userJSON(_ user: User) -> String {
        StoredRequestColumns.userJSON(user)
    }

    /// The staged result of a row that has `stagedColumns`.
    static func result(_ row: Row) -> StagedResult? {
        StoredRequestColumns.staged(key: row["staging_key"], contentType: row["content_type"], contentLength: row["content_length"])
    }

    /// The archive input of a row that has `stagedColumns`.
    static func input(_ row: Row) -> StagedResult? {
        StoredRequestColumns.staged(
            key: row["input_staging_key"], contentType: row["input_content_type"], contentLength: row["input_content_length"])
    }

    static func requestID(_ text: String) throws -> RequestIdentifier {
        guard let id = RequestIdentifier(text) else { throw PolytopeError(.internalError, "request store row has a malformed id") }
        return id
    }

    static func decodeUser(_ json: String) throws -> User {
        try StoredRequestColumns.decodeUser(json)
    }
}
