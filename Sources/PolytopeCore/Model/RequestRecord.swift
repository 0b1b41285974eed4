import Foundation

/// Everything the request store keeps about one request. The store is the single source of
/// truth: every role reads and changes requests only through it.
package struct RequestRecord: Sendable, Hashable {
    package var id: RequestIdentifier
    package var user: User
    package var verb: Verb
    package var collection: String
    /// The datasource chosen at submit time.
    package var datasource: String
    package var status: RequestStatus
    /// The first time each status was reached, oldest first.
    package var statusHistory: [StatusChange]
    /// Lines meant for the user (progress, errors); shown when polling.
    package var userMessage: String
    /// The request exactly as the client sent it.
    package var requestText: String
    /// The request after parsing, defaults and patches: what the datasource runs.
    package var normalisedRequest: RequestDocument
    /// Set once the result is staged (retrieve requests; archive requests have none).
    package var result: StagedResult?
    /// Archive requests only: the http(s) URL a worker fetches the data from (instead of an upload).
    package var sourceURL: String?
    /// Archive requests only: the data its user uploaded, staged from the upload until a
    /// worker has archived it (then the store forgets it and the worker deletes the object).
    package var archiveInput: StagedResult?
    /// How many times a worker has started the request.
    package var attempts: Int
    /// Bytes of the result staged so far, reported by the worker's heartbeat while processing.
    package var stagedBytes: Int64
    /// The worker currently holding the request and until when, while `processing`.
    package var lease: Lease?
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: RequestIdentifier = RequestIdentifier(),
        user: User,
        verb: Verb,
        collection: String,
        datasource: String,
        status: RequestStatus = .waiting,
        userMessage: String = "",
        requestText: String,
        normalisedRequest: RequestDocument,
        result: StagedResult? = nil,
        attempts: Int = 0,
        stagedBytes: Int64 = 0,
        lease: Lease? = nil,
        createdAt: Date,
        statusHistory: [StatusChange]? = nil,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.user = user
        self.verb = verb
        self.collection = collection
        self.datasource = datasource
        self.status = status
        self.userMessage = userMessage
        self.requestText = requestText
        self.normalisedRequest = normalisedRequest
        self.result = result
        self.attempts = attempts
        self.stagedBytes = stagedBytes
        self.lease = lease
        self.createdAt = createdAt
        self.statusHistory = statusHistory ?? [StatusChange(status: status, at: createdAt)]
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// A worker's claim on a request: only the owner may finish it, and only until `expiresAt`
/// unless renewed by a heartbeat.
package struct Lease: Sendable, Hashable {
    package var owner: String
    package var expiresAt: Date

    package init(owner: String, expiresAt: Date) {
        self.owner = owner
        self.expiresAt = expiresAt
    }
}

/// Where and what a staged object is: a request's result, or the uploaded data of an
/// archive request.
package struct StagedResult: Sendable, Hashable {
    /// The staging key (unique per attempt and per upload, so two writers never write the
    /// same object; see `StagingKey`).
    package var key: String
    package var contentType: String
    package var contentLength: Int64

    package init(key: String, contentType: String, contentLength: Int64) {
        self.key = key
        self.contentType = contentType
        self.contentLength = contentLength
    }
}
