import Foundation

/// The request store as the frontend uses it: record new requests, read them back for their
/// owner, take the data of archive requests, and revoke them.
///
/// One slice of the request store; the broker, workers, garbage collector and telemetry
/// have theirs (`DispatchStore`, `WorkQueue`, `RetentionStore`, `TelemetryStore`), and a
/// backend provides them all (`RequestStoreBackend`). Every backend passes the same
/// conformance suite (`RequestStoreConformance` in the test support target), so roles
/// behave the same over SQLite and PostgreSQL.
package protocol FrontendStore: QueueStandingStore {
    /// Records a new request. When this returns, the request is durably committed: it
    /// survives a crash of the process at any later moment.
    func insert(_ record: RequestRecord) async throws

    /// Records a new submission, making its checks in the same step as the insert, in this
    /// order:
    /// 1. its idempotency key: if a request the user submitted under the same key, recorded
    ///    after `keysRecordedSince`, still exists, nothing is recorded (`.repeated`);
    /// 2. its `reuse`: if a processed retrieval of the same collection, datasource and
    ///    normalised request finished after `reuse.since` and its result is still staged, the
    ///    request is recorded as `reuse.answered` with the newest such result and that
    ///    result's `updatedAt`, so it expires with the result and never makes it look younger
    ///    (`.reused`); results shared so are deleted only with the last request holding them;
    /// 3. admission: with `admittingUpTo`, nothing is recorded if the user already has that
    ///    many requests waiting or uploading in the collection (`.refused`).
    ///
    /// The key is recorded with the request. Concurrent submissions, through any number of
    /// frontends, never pass the limit, and of those with one key exactly one is recorded.
    /// Like `insert`, a recorded request is durably committed when this returns.
    func record(_ submission: NewSubmission) async throws -> SubmissionOutcome

    /// The request `username` submitted under `key` after `since`, if it still exists.
    func idempotentSubmission(username: String, key: String, since: Date) async throws -> IdempotentSubmission?

    /// The request with `id`, whatever its owner; nil if unknown. Revoked requests are
    /// returned too (callers hide them).
    func request(id: RequestIdentifier) async throws -> RequestRecord?

    /// One page of the user's requests, oldest first, optionally in one collection: at most
    /// `limit` requests that arrived after `cursor` (from the start without one). Revoked
    /// requests are left out. Pages do not overlap, and paging from the start to the end
    /// visits every request that existed throughout.
    func requests(ofUser username: String, collection: String?, after cursor: RequestListCursor?, limit: Int) async throws
        -> RequestPage

    /// When the user's request `id` was removed by the garbage collector, if it was (and the
    /// record of that is still kept), so that a poll can say so instead of a bare 404.
    func expiryDate(of id: RequestIdentifier, ofUser username: String) async throws -> Date?

    /// The current status of each of `ids` that exists (for held polls: one read for all).
    func statuses(of ids: [RequestIdentifier]) async throws -> [RequestIdentifier: RequestStatus]

    /// How many requests the user has that are not revoked.
    func requestCount(ofUser username: String) async throws -> Int

    /// Revokes the user's request. A request that no worker holds is deleted at once (its
    /// staged objects, if any, are reported so that the caller can remove them); one that a
    /// worker is processing becomes `revoked` and is deleted when the worker lets go of it.
    /// - Returns: nil if the user has no such request.
    func revoke(id: RequestIdentifier, ofUser username: String, at now: Date) async throws -> Revocation?

    /// Revokes every request of the user, as `revoke(id:ofUser:at:)` does.
    func revokeAll(ofUser username: String, at now: Date) async throws -> [Revocation]

    /// Moves an archive request from `uploading` to `waiting`, with the data its user uploaded
    /// staged as `upload` (its `archiveInput`; a worker archives it from there). Of several
    /// concurrent uploads to one request, exactly one succeeds.
    /// - Returns: false if the request is not uploading (any more): revoked, given up, or
    ///   uploaded already; the caller then removes its staged object.
    func markUploaded(id: RequestIdentifier, upload: StagedResult, at now: Date) async throws -> Bool
}

/// What revoking one request did.
package struct Revocation: Sendable, Hashable {
    package var id: RequestIdentifier
    /// The status the request had when revoked.
    package var previousStatus: RequestStatus
    /// A staged result that is no longer referenced (not even by a request that reused it)
    /// and should be deleted from staging.
    package var orphanedResult: StagedResult?
    /// The staged upload of an archive request that will not be archived now.
    package var orphanedArchiveInput: StagedResult?

    package init(id: RequestIdentifier, previousStatus: RequestStatus, orphanedResult: StagedResult?, orphanedArchiveInput: StagedResult? = nil) {
        self.id = id
        self.previousStatus = previousStatus
        self.orphanedResult = orphanedResult
        self.orphanedArchiveInput = orphanedArchiveInput
    }

    /// Every staged object to delete.
    package var orphanedObjects: [StagedResult] {
        [orphanedResult, orphanedArchiveInput].compactMap(\.self)
    }
}

/// A position in a list of requests, for the next page (the store's arrival order; opaque
/// to clients, who get it as a `token`).
package struct RequestListCursor: Sendable, Hashable {
    package var sequence: Int64

    package init(sequence: Int64) {
        self.sequence = sequence
    }

    /// The cursor as clients see it (`?after=`).
    package var token: String { String(sequence) }

    /// The cursor of a token; nil if it is not one.
    package init?(token: String) {
        guard token.count <= 19, token.allSatisfy(\.isASCII), let sequence = Int64(token), sequence >= 0 else { return nil }
        self.sequence = sequence
    }
}

/// One page of a list of requests.
package struct RequestPage: Sendable, Hashable {
    package var records: [RequestRecord]
    /// Where the next page starts; nil when this page is the last.
    package var next: RequestListCursor?

    package init(records: [RequestRecord], next: RequestListCursor?) {
        self.records = records
        self.next = next
    }
}
