import Foundation
import Logging
import PolytopeConfig
import PolytopeCore
import ServiceLifecycle
import Synchronization

/// The garbage-collector role: keeps staging and the request store from growing forever.
///
/// Each pass (every `interval`):
/// 0. fails archive requests whose data was not uploaded within `uploadTimeout`;
/// 1. deletes finished (processed or failed) requests older than `maximumAge`, with their
///    results (and the uploads of archive requests that failed);
/// 2. deletes staged objects that no request references as its result or archive input (left
///    by a crash between staging and recording), once they are older than `orphanGracePeriod`
///    and were found unreferenced by the previous pass too (an upload is referenced only once
///    the store accepted it), and writes that a crashed
///    worker never finished (S3 multipart uploads) once older than `abandonedWriteAge`;
/// 3. while staging holds more than `stagingThreshold`, deletes the oldest finished requests'
///    results and records (until the pass's first failed delete).
/// Waiting, queued and processing requests are never touched. Requires `run()` to be running.
package struct GarbageCollectorService<C: Clock<Duration>>: Service {
    package typealias Configuration = GarbageCollectorConfiguration

    /// What one pass removed.
    package struct Report: Sendable, Hashable {
        /// Archive requests failed because their data never came.
        package var abandonedUploads = 0
        package var expiredRequests = 0
        package var evictedRequests = 0
        package var orphanedObjects = 0
        /// Unfinished uploads of crashed workers (S3 multipart uploads) that were removed.
        package var abandonedWrites = 0
        package var bytesFreed: Int64 = 0
    }

    /// How long expired and revoked API keys stay listed (`polytope keys list`) before they
    /// are forgotten: a week.
    static var unusableKeyRetention: TimeInterval { 7 * 86_400 }

    /// How long a worker pool that stopped reporting (killed, its host lost) stays in the
    /// store's list of pools: a day. Telemetry shows only pools heard from recently anyway.
    static var silentWorkerRetention: TimeInterval { 86_400 }

    let configuration: Configuration
    /// Objects found unreferenced by the last pass: only those found so again are deleted.
    /// An object's age alone does not tell that its request will not record it in a moment
    /// (S3 dates a multipart object from the start of its upload, which may be older than
    /// `orphanGracePeriod` when the upload completes).
    private let orphanCandidates = OrphanCandidates()
    let store: any RetentionStore
    let staging: any StagingArea
    let clock: C
    let wallClock: any WallClock
    let metrics: PolytopeMetrics
    let logger: Logger

    package init(
        configuration: Configuration,
        store: any RetentionStore,
        staging: any StagingArea,
        clock: C,
        wallClock: any WallClock = SystemWallClock(),
        metrics: PolytopeMetrics = PolytopeMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.store = store
        self.staging = staging
        self.clock = clock
        self.wallClock = wallClock
        self.logger = logger
    }

    package func run() async throws {
        logger.info(
            "garbage collector started",
            metadata: ["interval": "\(configuration.interval)", "maximum-age": "\(configuration.maximumAge)"]
        )
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await collect()
                if report != Report() {
                    logger.info(
                        "garbage collected",
                        metadata: [
                            "abandoned-uploads": "\(report.abandonedUploads)", "expired": "\(report.expiredRequests)",
                            "evicted": "\(report.evictedRequests)",
                            "orphans": "\(report.orphanedObjects)", "abandoned-writes": "\(report.abandonedWrites)",
                            "bytes-freed": "\(report.bytesFreed)",
                        ]
                    )
                }
            } catch is CancellationError {
                break
            } catch {
                logger.error("garbage collection pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [clock, configuration] in
                try await clock.sleep(for: configuration.interval)
            }
        }
        logger.info("garbage collector stopped")
    }

    /// One pass, as described on the type.
    package func collect() async throws -> Report {
        var report = Report()
        let now = wallClock.now()
        report.abandonedUploads = try await store.failAbandonedUploads(
            createdBefore: now.addingTimeInterval(-configuration.uploadTimeout.timeInterval),
            message: "No data was uploaded within \(HumanDuration.format(configuration.uploadTimeout)) of this archive request; it was given up.",
            at: now
        )
        let cutoff = now.addingTimeInterval(-configuration.maximumAge.timeInterval)
        var expiredBytes: Int64 = 0
        while true {
            let purged = try await store.purgeFinishedRequests(before: cutoff, limit: 500, at: now)
            report.expiredRequests += purged.count
            expiredBytes += try await deleteResults(of: purged).freed
            if purged.count < 500 { break }
        }
        metrics.garbageCollected(count: report.expiredRequests, bytes: expiredBytes, reason: "expired")

        var objects = try await staging.list()
        let referenced = try await store.referencedStagingKeys(among: objects.map(\.key))
        let orphanCutoff = now.addingTimeInterval(-configuration.orphanGracePeriod.timeInterval)
        var orphanBytes: Int64 = 0
        let unreferenced = objects.filter { !referenced.contains($0.key) && $0.modifiedAt < orphanCutoff }
        let seenBefore = orphanCandidates.replace(with: Set(unreferenced.map(\.key)))
        for object in unreferenced where seenBefore.contains(object.key) {
            if await delete(key: object.key) {
                report.orphanedObjects += 1
                orphanBytes += object.size
            }
        }
        objects.removeAll { !referenced.contains($0.key) }
        metrics.garbageCollected(count: report.orphanedObjects, bytes: orphanBytes, reason: "orphan")
        do {
            report.abandonedWrites = try await staging.removeAbandonedWrites(
                startedBefore: now.addingTimeInterval(-configuration.abandonedWriteAge.timeInterval)
            )
        } catch {
            logger.error("removing abandoned staging writes failed", metadata: ["error": "\(error)"])
        }

        var evictedBytes: Int64 = 0
        if let threshold = configuration.stagingThreshold {
            var usage = objects.reduce(0) { $0 + $1.size }
            while usage > threshold {
                let purged = try await store.purgeOldestResults(freeing: usage - threshold, limit: 500, at: now)
                guard !purged.isEmpty else { break }
                report.evictedRequests += purged.count
                let deletion = try await deleteResults(of: purged)
                evictedBytes += deletion.freed
                usage -= deletion.freed
                // Staging that refuses deletes frees nothing: going on would purge every
                // finished request in search of space. The objects left are orphans now,
                // which the next passes delete once staging takes deletes again.
                if deletion.failures > 0 {
                    logger.warning(
                        "eviction stopped for this pass: staging refused to delete results",
                        metadata: ["failed-deletes": "\(deletion.failures)", "staged-bytes": "\(usage)", "threshold": "\(threshold)"])
                    break
                }
            }
        }
        metrics.garbageCollected(count: report.evictedRequests, bytes: evictedBytes, reason: "evicted")
        try await store.pruneExpiryNotes(before: now.addingTimeInterval(-configuration.expiryNoteAge.timeInterval))
        try await store.pruneIdempotencyKeys(before: IdempotencyKey.oldestCounted(at: now))
        _ = try await store.pruneAPIKeys(unusableBefore: now.addingTimeInterval(-Self.unusableKeyRetention))
        _ = try await store.pruneWorkers(seenBefore: now.addingTimeInterval(-Self.silentWorkerRetention))
        report.bytesFreed = expiredBytes + orphanBytes + evictedBytes
        return report
    }

    /// Deletes the staged objects of purged requests, except results that another request
    /// reused and still holds; returns the bytes freed and how many deletes failed.
    private func deleteResults(of requests: [PurgedRequest]) async throws -> (freed: Int64, failures: Int) {
        var seen = Set<String>()
        let objects = requests.flatMap(\.stagedObjects).filter { seen.insert($0.key).inserted }  // shared by two purged requests: once
        let stillHeld = try await store.referencedStagingKeys(among: objects.map(\.key))
        var (freed, failures): (Int64, Int) = (0, 0)
        for object in objects where !stillHeld.contains(object.key) {
            if await delete(key: object.key) {
                freed += object.contentLength
            } else {
                failures += 1
            }
        }
        return (freed, failures)
    }

    private func delete(key: String) async -> Bool {
        do {
            try await staging.delete(key: key)
            return true
        } catch {
            logger.error("deleting a staged object failed", metadata: ["key": "\(key)", "error": "\(error)"])
            return false
        }
    }
}

/// Settings of the garbage collector.
package struct GarbageCollectorConfiguration: Sendable {
    package var interval: Duration
    package var maximumAge: Duration
    /// Staging size above which the oldest results are evicted; nil for no limit.
    package var stagingThreshold: Int64?
    /// Unreferenced objects younger than this are left alone (their request may be about
    /// to record them).
    package var orphanGracePeriod: Duration
    /// Unfinished uploads (S3 multipart) started longer ago than this are taken as abandoned
    /// by a crashed worker and removed. Longer than the slowest upload of a large result.
    package var abandonedWriteAge: Duration
    /// How long a poll of a removed request still answers that it expired (rather than a
    /// plain "not found").
    package var expiryNoteAge: Duration
    /// Archive requests still waiting for their data this long after submission fail.
    package var uploadTimeout: Duration

    package init(
        interval: Duration = .seconds(60),
        maximumAge: Duration = .seconds(86_400),
        stagingThreshold: Int64? = 10 * 1 << 30,
        orphanGracePeriod: Duration = .seconds(600),
        abandonedWriteAge: Duration = .seconds(86_400),
        expiryNoteAge: Duration = .seconds(7 * 86_400),
        uploadTimeout: Duration = .seconds(86_400)
    ) {
        self.interval = interval
        self.maximumAge = maximumAge
        self.stagingThreshold = stagingThreshold
        self.orphanGracePeriod = orphanGracePeriod
        self.abandonedWriteAge = abandonedWriteAge
        self.expiryNoteAge = expiryNoteAge
        self.uploadTimeout = uploadTimeout
    }
}

/// The keys one garbage-collection pass found orphaned, for the next.
private final class OrphanCandidates: Sendable {
    private let keys = Mutex<Set<String>>([])

    /// Stores `current`; returns the keys stored by the previous pass.
    func replace(with current: Set<String>) -> Set<String> {
        keys.withLock { keys in
            defer { keys = current }
            return keys
        }
    }
}
