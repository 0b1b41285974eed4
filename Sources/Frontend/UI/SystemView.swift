import Foundation
import PolytopeCore
import Synchronization

/// What the operators' view of the web page shows, read from the store in one go: the queue
/// per collection with its limits, the worker pools and their slots, recent failures,
/// staging use, and how many requests arrived per minute in the last hour.
struct SystemSnapshot: Sendable {
    /// One collection's requests by status, and its limits.
    struct CollectionRow: Sendable {
        var name: String
        var counts: [String: Int]
        var limits: CollectionLimits
        /// Active requests (queued or processing) now, and the users with the most of them.
        var active: Int
        var busiestUsers: [(username: String, active: Int)]
    }

    /// A request that failed recently.
    struct Failure: Sendable {
        var id: String
        var username: String
        var collection: String
        var ageSeconds: Double
        var message: String
    }

    var collections: [CollectionRow]
    var pools: [WorkerStatus]
    var failures: [Failure]
    var stagingObjects: Int?
    var stagingBytes: Int64?
    /// Requests submitted per minute, oldest minute first, the last one the current minute.
    var submissionsPerMinute: [Int]
    var oldestWaitingSeconds: Double?
    /// The broker's `max-active`, if set.
    var maximumActive: Int?
    var now: Date
}

/// Requests submitted per clock minute over the last hour, remembering the minutes that are
/// over, so that each refresh of the system view reads only the minutes since the one before.
/// A minute counts as over `settling` after its end, for submissions that commit late.
struct SubmissionTally: Sendable {
    static let minutes = 60
    static let settling: TimeInterval = 10

    /// Counts of minutes that are over (minute since 1970 → submissions).
    private var settled: [Int64: Int] = [:]
    /// The newest minute in `settled`; every minute of the window up to it is there (absent: 0).
    private var settledThrough: Int64?

    static func minute(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }

    /// The first minute to read from the store for the hour up to `now`.
    func firstMinuteToRead(now: Date) -> Int64 {
        let first = Self.minute(of: now) - Int64(Self.minutes) + 1
        return max(first, (settledThrough ?? first - 1) + 1)
    }

    /// Takes the counts read from `firstMinuteToRead(now:)` on, and gives the hour's counts,
    /// oldest minute first, the current minute last.
    mutating func record(_ read: [Int64: Int], now: Date) -> [Int] {
        let current = Self.minute(of: now)
        let first = current - Int64(Self.minutes) + 1
        let over = Self.minute(of: now.addingTimeInterval(-Self.settling)) - 1
        let from = firstMinuteToRead(now: now)
        if from <= over {
            for minute in from...over { settled[minute] = read[minute] ?? 0 }
            settledThrough = over
        }
        settled = settled.filter { $0.key >= first }
        return (first...current).map { settled[$0] ?? read[$0] ?? 0 }
    }
}

/// Reads a `SystemSnapshot`. Staging is listed at most every 30 s (a listing walks every
/// object); submissions per minute are read for the minutes since the last snapshot.
final class SystemOverview: Sendable {
    typealias OverviewStore = TelemetryStore & WorkerRegistry
    static let stagingListingInterval: TimeInterval = 30

    let store: any FrontendStore
    let overview: any OverviewStore
    let staging: any StagingArea
    let catalog: CollectionCatalog
    let maximumActive: Int?
    let wallClock: any WallClock
    private let stagingUse = Mutex<(at: Date, objects: Int, bytes: Int64)?>(nil)
    private let submissions = Mutex(SubmissionTally())

    init(
        store: any FrontendStore, overview: any OverviewStore, staging: any StagingArea, catalog: CollectionCatalog, maximumActive: Int?,
        wallClock: any WallClock
    ) {
        self.store = store
        self.overview = overview
        self.staging = staging
        self.catalog = catalog
        self.maximumActive = maximumActive
        self.wallClock = wallClock
    }

    func snapshot() async throws -> SystemSnapshot {
        let now = wallClock.now()
        let statistics = try await overview.statistics()
        let active = try await store.activeRequestCounts()
        let collections = catalog.collections.map { collection in
            let users = active.perCollectionUser.filter { $0.key.collection == collection.name }
                .sorted { ($0.value, $1.key.username) > ($1.value, $0.key.username) }
                .prefix(5).map { (username: $0.key.username, active: $0.value) }
            return SystemSnapshot.CollectionRow(
                name: collection.name, counts: statistics.byCollection[collection.name] ?? [:], limits: collection.limits,
                active: active.perCollection[collection.name] ?? 0, busiestUsers: Array(users))
        }
        let pools = try await overview.workers(seenSince: now.addingTimeInterval(-30))
        let failed = try await overview.requests(matching: RequestQuery(status: .failed, limit: 10)).records
        let failures = failed.map {
            SystemSnapshot.Failure(
                id: $0.id.description, username: $0.user.owner, collection: $0.collection, ageSeconds: now.timeIntervalSince($0.updatedAt),
                message: String($0.userMessage.split(separator: "\n").last ?? ""))
        }
        let read = try await overview.submissionsPerMinute(from: submissions.withLock { $0.firstMinuteToRead(now: now) })
        let perMinute = submissions.withLock { $0.record(read, now: now) }
        let staged = await stagingTotals(now: now)
        return SystemSnapshot(
            collections: collections, pools: pools, failures: failures, stagingObjects: staged?.objects, stagingBytes: staged?.bytes,
            submissionsPerMinute: perMinute,
            oldestWaitingSeconds: statistics.oldestWaitingSince.map { now.timeIntervalSince($0) }, maximumActive: maximumActive, now: now)
    }

    /// Objects and bytes in staging, listed at most every 30 s; nil if staging cannot be listed.
    private func stagingTotals(now: Date) async -> (objects: Int, bytes: Int64)? {
        if let known = stagingUse.withLock({ $0 }), now.timeIntervalSince(known.at) < Self.stagingListingInterval {
            return (known.objects, known.bytes)
        }
        guard let objects = try? await staging.list() else { return nil }
        let bytes = objects.reduce(Int64(0)) { $0 + $1.size }
        stagingUse.withLock { $0 = (now, objects.count, bytes) }
        return (objects.count, bytes)
    }
}
