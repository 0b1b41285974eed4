import Foundation
import PolytopeCore
import Synchronization

/// The columns of a stored request, as every request store writes them: plain values, with
/// the structured parts (user, status history, normalised request) as JSON text.
///
/// Stores convert rows to and from these, so the JSON formats are the same in SQLite and
/// PostgreSQL and a database can be inspected (or migrated) with the same expectations.
/// The column names are those of both schemas (`staging_key`, `input_staging_key`, ...).
package struct StoredRequestColumns: Sendable, Hashable {
    package var id: String
    package var username: String
    package var userJSON: String
    package var verb: String
    package var collection: String
    package var datasource: String
    package var status: String
    package var statusHistoryJSON: String
    package var userMessage: String
    package var requestText: String
    package var normalisedJSON: String
    /// `staging_key`, `content_type`, `content_length`: the staged result.
    package var stagingKey: String?
    package var contentType: String?
    package var contentLength: Int64?
    package var attempts: Int
    package var stagedBytes: Int64
    package var leaseOwner: String?
    package var leaseExpiresAt: Double?
    package var createdAt: Double
    package var updatedAt: Double
    /// `source_url` (schema v5).
    package var sourceURL: String?
    /// `input_staging_key`, `input_content_type`, `input_content_length` (schema v6): the
    /// uploaded data of an archive request.
    package var inputStagingKey: String?
    package var inputContentType: String?
    package var inputContentLength: Int64?

    package init(
        id: String, username: String, userJSON: String, verb: String, collection: String, datasource: String, status: String,
        statusHistoryJSON: String, userMessage: String, requestText: String, normalisedJSON: String, stagingKey: String?,
        contentType: String?, contentLength: Int64?, attempts: Int, stagedBytes: Int64, leaseOwner: String?, leaseExpiresAt: Double?,
        createdAt: Double, updatedAt: Double, sourceURL: String? = nil, inputStagingKey: String? = nil, inputContentType: String? = nil,
        inputContentLength: Int64? = nil
    ) {
        self.id = id
        self.username = username
        self.userJSON = userJSON
        self.verb = verb
        self.collection = collection
        self.datasource = datasource
        self.status = status
        self.statusHistoryJSON = statusHistoryJSON
        self.userMessage = userMessage
        self.requestText = requestText
        self.normalisedJSON = normalisedJSON
        self.stagingKey = stagingKey
        self.contentType = contentType
        self.contentLength = contentLength
        self.attempts = attempts
        self.stagedBytes = stagedBytes
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sourceURL = sourceURL
        self.inputStagingKey = inputStagingKey
        self.inputContentType = inputContentType
        self.inputContentLength = inputContentLength
    }

    package init(_ record: RequestRecord) throws {
        self.init(
            id: record.id.description,
            username: record.user.owner,
            userJSON: Self.userJSON(record.user),
            verb: record.verb.rawValue,
            collection: record.collection,
            datasource: record.datasource,
            status: record.status.rawValue,
            statusHistoryJSON: "["
                + record.statusHistory.map { "{\"status\":\"\($0.status.rawValue)\",\"at\":\($0.at.timeIntervalSince1970)}" }
                .joined(separator: ",") + "]",
            userMessage: record.userMessage,
            requestText: record.requestText,
            normalisedJSON: try record.normalisedRequest.compactJSON
                ?? String(decoding: try JSONEncoder().encode(record.normalisedRequest), as: UTF8.self),
            stagingKey: record.result?.key,
            contentType: record.result?.contentType,
            contentLength: record.result?.contentLength,
            attempts: record.attempts,
            stagedBytes: record.stagedBytes,
            leaseOwner: record.lease?.owner,
            leaseExpiresAt: record.lease?.expiresAt.timeIntervalSince1970,
            createdAt: record.createdAt.timeIntervalSince1970,
            updatedAt: record.updatedAt.timeIntervalSince1970,
            sourceURL: record.sourceURL,
            inputStagingKey: record.archiveInput?.key,
            inputContentType: record.archiveInput?.contentType,
            inputContentLength: record.archiveInput?.contentLength
        )
    }

    /// The record these columns describe.
    /// - Throws: `PolytopeError.internalError` if a column holds something no store writes.
    package func record() throws -> RequestRecord {
        let decoder = JSONDecoder()
        guard let requestID = RequestIdentifier(id), let verb = Verb(rawValue: verb), let status = RequestStatus(rawValue: status) else {
            throw PolytopeError(.internalError, "request store row \(id) has a malformed id, verb or status")
        }
        let history = try decoder.decode([HistoryEntry].self, from: Data(statusHistoryJSON.utf8))
        let normalised = try decoder.decode(RequestDocument.self, from: Data(normalisedJSON.utf8))
        var record = RequestRecord(
            id: requestID,
            user: try Self.decodeUser(userJSON),
            verb: verb,
            collection: collection,
            datasource: datasource,
            status: status,
            userMessage: userMessage,
            requestText: requestText,
            normalisedRequest: normalised,
            result: Self.staged(key: stagingKey, contentType: contentType, contentLength: contentLength),
            attempts: attempts,
            stagedBytes: stagedBytes,
            lease: leaseOwner.flatMap { owner in leaseExpiresAt.map { Lease(owner: owner, expiresAt: Date(timeIntervalSince1970: $0)) } },
            createdAt: Date(timeIntervalSince1970: createdAt),
            statusHistory: history.compactMap(\.change),
            updatedAt: Date(timeIntervalSince1970: updatedAt)
        )
        record.sourceURL = sourceURL
        record.archiveInput = Self.staged(key: inputStagingKey, contentType: inputContentType, contentLength: inputContentLength)
        return record
    }

    /// A staged object from its three columns; nil without a key.
    package static func staged(key: String?, contentType: String?, contentLength: Int64?) -> StagedResult? {
        key.map { StagedResult(key: $0, contentType: contentType ?? "application/octet-stream", contentLength: contentLength ?? 0) }
    }

    /// `{"username":...,"realm":...,"roles":[...],"attributes":{...}}`, as `User`'s Codable reads it.
    package static func userJSON(_ user: User) -> String {
        let attributes = user.attributes.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }
        return "{\"username\":" + JSONText.string(user.username) + ",\"realm\":" + JSONText.string(user.realm) + ",\"roles\":"
            + JSONText.array(user.roles) + ",\"attributes\":{" + attributes.joined(separator: ",") + "}}"
    }

    /// The user of `userJSON`. Most rows name one of a few users, so decoded users are kept
    /// (up to 1,024 distinct texts) and every read of a row does not decode its user again.
    package static func decodeUser(_ json: String) throws -> User {
        if let user = decodedUsers.withLock({ $0[json] }) { return user }
        let user = try JSONDecoder().decode(User.self, from: Data(json.utf8))
        decodedUsers.withLock { users in
            if users.count >= 1024 { users.removeAll(keepingCapacity: true) }
            users[json] = user
        }
        return user
    }

    private static let decodedUsers = Mutex<[String: User]>([:])

    /// One element of the status history JSON array.
    struct HistoryEntry: Codable {
        var status: String
        var at: Double

        var change: StatusChange? {
            RequestStatus(rawValue: status).map { StatusChange(status: $0, at: Date(timeIntervalSince1970: at)) }
        }
    }
}
