import Foundation

/// The request store as users see the queue: what is active, what waits ahead of a request,
/// and how fast requests have been finishing. Read by the frontend (poll answers, admission)
/// and telemetry to explain waits; every count is bounded, so a poll costs little whatever
/// the size of the backlog.
package protocol QueueStandingStore: Sendable {
    /// Active requests counted per collection and user, as the broker counts them.
    func activeRequestCounts() async throws -> ActiveRequestCounts

    /// How many requests wait (status `waiting`) in `scope`, arrived before `id` if given;
    /// counting stops at `cap`.
    func waitingCount(in scope: WaitingScope, before id: RequestIdentifier?, upTo cap: Int) async throws -> Int

    /// The collection and user of requests that finished (processed or failed) since `since`,
    /// newest first, at most `limit`.
    func recentFinishes(since: Date, limit: Int) async throws -> [ActiveRequestCounts.CollectionUser]
}

/// The waiting requests a request competes with.
package enum WaitingScope: Sendable, Hashable {
    /// Those of one user in one collection (held by the per-user limit).
    case user(ActiveRequestCounts.CollectionUser)
    /// Those of one collection (held by the collection's limit).
    case collection(String)
    /// All of them (held by the global `max-active`).
    case all
}
