import Foundation

/// Everything the request store keeps about one request. The store is the single source of
/// truth: every role reads and changes requests only through it.
public struct RequestRecord: Sendable, Hashable {
    public var id: RequestID
    public var user: User
    public var verb: Verb
    public var collection: String
    /// The datasource chosen at submit time.
    public var datasource: String
    public var status: RequestStatus
    /// The first time each status was reached, oldest first.
    public var statusHistory: [StatusChange]
    /// Lines meant for the user (progress, errors); shown when polling.
    public var userMessage: String
    /// The request exactly as the client sent it.
    public var requestText: String
    /// The request after parsing, defaults and patches: what the datasource runs.
    public var normalisedRequest: RequestDocument
    /// Set once the result is staged.
    public var result: StagedResult?
    /// Archive requests only: the http(s) URL a worker fetches the data from (instead of an upload).
    public var sourceURL: String?
    /// How many times a worker has started the request.
    public var attempts: Int
    /// Bytes of the result staged so far, reported by the worker's heartbeat while processing.
    public var stagedBytes: Int64
    /// The worker currently holding the request and until when, while `processing`.
    public var lease: Lease?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: RequestID = RequestID(),
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
public struct Lease: Sendable, Hashable {
    public var owner: String
    public var expiresAt: Date

    public init(owner: String, expiresAt: Date) {
        self.owner = owner
        self.expiresAt = expiresAt
    }
}

/// Where and what a staged result is.
public struct StagedResult: Sendable, Hashable {
    /// The staging key (unique per attempt, so two workers never write the same object).
    public var key: String
    public var contentType: String
    public var contentLength: Int64

    public init(key: String, contentType: String, contentLength: Int64) {
        self.key = key
        self.contentType = contentType
        self.contentLength = contentLength
    }
}
