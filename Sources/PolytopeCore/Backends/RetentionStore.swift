import Foundation

/// The request store as the garbage collector uses it.
package protocol RetentionStore: Sendable {
    /// Deletes finished (processed or failed) requests last changed before `cutoff`, oldest
    /// first, at most `limit`, leaving a note that they expired at `now`; returns what was
    /// staged for them (results, and the uploads of archive requests that failed).
    func purgeFinishedRequests(before cutoff: Date, limit: Int, at now: Date) async throws -> [PurgedRequest]

    /// Deletes the oldest finished requests that have staged objects (results or uploads),
    /// just enough of them for their objects to add up to `bytes` (at most `limit`
    /// requests), to relieve staging; returns what was staged for them.
    func purgeOldestResults(freeing bytes: Int64, limit: Int, at now: Date) async throws -> [PurgedRequest]

    /// Fails archive requests still `uploading` that were created before `cutoff` (their
    /// data never came), adding `message` for their users; returns how many.
    func failAbandonedUploads(createdBefore cutoff: Date, message: String, at now: Date) async throws -> Int

    /// Forgets notes of expiry older than `cutoff`.
    func pruneExpiryNotes(before cutoff: Date) async throws

    /// Forgets idempotency keys recorded before `cutoff`.
    func pruneIdempotencyKeys(before cutoff: Date) async throws

    /// Forgets worker pools last seen before `cutoff` (killed ones never remove themselves);
    /// returns how many.
    func pruneWorkers(seenBefore cutoff: Date) async throws -> Int

    /// Forgets API keys that expired or were revoked before `cutoff` (web page sessions
    /// leave one each); returns how many.
    func pruneAPIKeys(unusableBefore cutoff: Date) async throws -> Int

    /// Which of `keys` a request references, as its result or as its archive input (the
    /// others are orphaned objects).
    func referencedStagingKeys(among keys: [String]) async throws -> Set<String>

    /// Whether the store is reachable and can record requests.
    /// - Throws: a `PolytopeError` saying why not; its `cause` is `DiskFull` when the
    ///   store's disk is full.
    func checkHealth() async throws
}

/// A request removed by retention.
package struct PurgedRequest: Sendable, Hashable {
    package var id: RequestIdentifier
    package var result: StagedResult?
    /// The upload of an archive request that was never archived (it failed).
    package var archiveInput: StagedResult?

    package init(id: RequestIdentifier, result: StagedResult?, archiveInput: StagedResult? = nil) {
        self.id = id
        self.result = result
        self.archiveInput = archiveInput
    }

    /// Every staged object of the request, to delete.
    package var stagedObjects: [StagedResult] {
        [result, archiveInput].compactMap(\.self)
    }
}
