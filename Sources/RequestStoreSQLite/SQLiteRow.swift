import Foundation
import GRDB
import PolytopeCore

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
            attempts, staged_bytes, lease_owner, lease_expires_at, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    let arguments: StatementArguments

    init(_ record: RequestRecord) throws {
        let user = Self.userJSON(record.user)
        let history =
            "["
            + record.statusHistory.map { "{\"status\":\"\($0.status.rawValue)\",\"at\":\($0.at.timeIntervalSince1970)}" }
            .joined(separator: ",") + "]"
        let normalised =
            try record.normalisedRequest.compactJSON
            ?? String(decoding: try JSONEncoder().encode(record.normalisedRequest), as: UTF8.self)
        arguments = [
            record.id.description, record.user.username, user, record.verb.rawValue, record.collection, record.datasource,
            record.status.rawValue, history, record.userMessage, record.requestText, normalised,
            record.result?.key, record.result?.contentType, record.result?.contentLength,
            record.attempts, record.stagedBytes, record.lease?.owner, record.lease?.expiresAt.timeIntervalSince1970,
            record.createdAt.timeIntervalSince1970, record.updatedAt.timeIntervalSince1970,
        ]
    }

    static func record(_ row: Row) throws -> RequestRecord {
        let decoder = JSONDecoder()
        let history = try decoder.decode([HistoryEntry].self, from: Data((row["status_history"] as String).utf8))
        let normalised = try decoder.decode(RequestDocument.self, from: Data((row["request_normalised"] as String).utf8))
        guard let verb = Verb(rawValue: row["verb"]), let status = RequestStatus(rawValue: row["status"]) else {
            throw PolytopeError(.internalError, "request store row has an unknown verb or status")
        }
        let lease: Lease? = (row["lease_owner"] as String?).flatMap { owner in
            (row["lease_expires_at"] as Double?).map { Lease(owner: owner, expiresAt: Date(timeIntervalSince1970: $0)) }
        }
        return RequestRecord(
            id: try requestID(row["id"]),
            user: try decodeUser(row["user_json"]),
            verb: verb,
            collection: row["collection"],
            datasource: row["datasource"],
            status: status,
            userMessage: row["user_message"],
            requestText: row["request_text"],
            normalisedRequest: normalised,
            result: result(row),
            attempts: row["attempts"],
            stagedBytes: row["staged_bytes"],
            lease: lease,
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            statusHistory: history.compactMap(\.change),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"])
        )
    }

    /// `{"username":...,"realm":...,"roles":[...],"attributes":{...}}`, as `User`'s Codable reads it.
    static func userJSON(_ user: User) -> String {
        let attributes = user.attributes.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }
        return "{\"username\":" + JSONText.string(user.username) + ",\"realm\":" + JSONText.string(user.realm) + ",\"roles\":"
            + JSONText.array(user.roles) + ",\"attributes\":{" + attributes.joined(separator: ",") + "}}"
    }

    static func result(_ row: Row) -> StagedResult? {
        guard let key: String = row["staging_key"] else { return nil }
        return StagedResult(key: key, contentType: row["content_type"] ?? "application/octet-stream", contentLength: row["content_length"] ?? 0)
    }

    static func requestID(_ text: String) throws -> RequestID {
        guard let id = RequestID(text) else { throw PolytopeError(.internalError, "request store row has a malformed id") }
        return id
    }

    static func decodeUser(_ json: String) throws -> User {
        try JSONDecoder().decode(User.self, from: Data(json.utf8))
    }

    /// One element of the `status_history` JSON array.
    struct HistoryEntry: Codable {
        var status: String
        var at: Double

        init(_ change: StatusChange) {
            status = change.status.rawValue
            at = change.at.timeIntervalSince1970
        }

        var change: StatusChange? {
            RequestStatus(rawValue: status).map { StatusChange(status: $0, at: Date(timeIntervalSince1970: at)) }
        }
    }
}
