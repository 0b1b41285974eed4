import Foundation
import Logging
import PolytopeCore

/// Tells the registry, every `statusInterval`, that a worker pool is alive and how busy it
/// is, and notices another pool reporting under the same `worker.id`.
///
/// Two pools sharing an id show as one in telemetry, and the first to stop removes the
/// other's entry. Before each report the reporter reads the pool's entry back: if it was
/// written since this pool's last report by anyone else (its time differs), the id is shared,
/// and an error says so, once. A pool restarted under a fixed id after a crash is not
/// mistaken for one: its earlier self no longer writes.
struct WorkerStatusReporter {
    let registry: any WorkerRegistry
    let id: String
    let slots: Int
    let startedAt: Date
    let wallClock: any WallClock
    let logger: Logger
    /// The time this pool's last report carried.
    private(set) var lastReport: Date?
    /// Whether the shared id was reported.
    private(set) var sharedIDReported = false

    init(registry: any WorkerRegistry, id: String, slots: Int, startedAt: Date, wallClock: any WallClock, logger: Logger) {
        self.registry = registry
        self.id = id
        self.slots = slots
        self.startedAt = startedAt
        self.wallClock = wallClock
        self.logger = logger
    }

    /// Reports `busy` slots; first checks whether another pool wrote this pool's entry.
    mutating func report(busy: Int) async {
        do {
            if let lastReport, !sharedIDReported, let other = try await otherWriter(since: lastReport) {
                sharedIDReported = true
                logger.error(
                    "another worker pool reports under this pool's worker.id; give each pool its own (the default is unique)",
                    metadata: ["worker": "\(id)", "other-slots": "\(other.slots)", "other-seen-at": "\(other.seenAt)"])
            }
            let now = wallClock.now()
            try await registry.reportWorker(WorkerStatus(id: id, slots: slots, busy: busy, startedAt: startedAt, seenAt: now))
            lastReport = now
        } catch {
            logger.warning("reporting worker status failed", metadata: ["error": "\(error)"])
        }
    }

    /// This pool's entry if someone else wrote it after `lastReport` (a store keeps times to
    /// a microsecond at least).
    private func otherWriter(since lastReport: Date) async throws -> WorkerStatus? {
        let entries = try await registry.workers(seenSince: lastReport.addingTimeInterval(-3600))
        return entries.first { $0.id == id && abs($0.seenAt.timeIntervalSince(lastReport)) > 0.001 }
    }
}
