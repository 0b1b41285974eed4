import Foundation
import Logging
import NIOCore
import PolytopeCore
import Synchronization
import _NIOFileSystem

/// Runs one claimed request: the datasource streams into staging while a heartbeat keeps the
/// lease, then the outcome is recorded in the store.
struct RequestRunner<C: Clock<Duration>>: Sendable {
    let configuration: WorkerPoolConfiguration
    let queue: any WorkQueue
    let staging: any StagingArea
    /// Reads archive data named by URL; nil where no archive sources are configured.
    let archiveSources: (any ArchiveSourceReader)?
    let catalog: CollectionCatalog
    let clock: C
    let wallClock: any WallClock
    let metrics: PolytopeMetrics
    let logger: Logger
    /// Shared with the pool: set before a request is handed back for a staging failure.
    let stagingPause = StagingPause<C>()

    fileprivate enum AttemptEnd: Sendable {
        case staged(StagedResult)
        /// An archive request's data is archived; `upload` is its staged copy, to remove
        /// (nil when a worker fetched the data from the request's `url`).
        case archived(upload: StagedResult?, message: String)
        case failed(message: String)
        case stagingUnavailable(StagingUnavailable)
        /// The result did not fit in staging: tried again later, or failed once attempts are used up.
        case doesNotFit(StagingFull)
        case leaseLost
        case handedBack
    }

    /// What the pool needs to know about a finished run.
    enum RunOutcome: Sendable {
        case done
        /// Staging could not be written: the request went back to the queue.
        case stagingUnavailable
    }

    /// Runs `record` until it is staged, fails, loses its lease, or `handBack` opens.
    func run(_ record: RequestRecord, handBack: Latch) async -> RunOutcome {
        let logger = requestLogger(for: record)
        logger.info("request started", metadata: ["attempt": "\(record.attempts)"])
        let waited = wallClock.now().timeIntervalSince(record.createdAt)
        metrics.queueWait(.milliseconds(Int64(max(0, waited) * 1000)), collection: record.collection)
        let started = ContinuousClock.now

        guard let route = catalog[record.collection]?.route(named: record.datasource) else {
            let message = "The datasource '\(record.datasource)' of collection '\(record.collection)' is no longer configured on this server."
            await self.record(.failed(message: message), for: record, logger: logger)
            return .done
        }
        var prepared = DatasourceRequest(
            id: record.id, user: record.user, verb: record.verb, collection: record.collection,
            text: record.requestText, document: record.normalisedRequest
        )
        let (queue, owner, wallClock) = (queue, Self.leaseOwner(of: record, pool: configuration.workerID), wallClock)
        let allowance = UserMessageAllowance()
        prepared.tellUser = { line in
            guard let line = allowance.admit(line) else { return }
            do {
                try await queue.appendUserMessage(id: record.id, worker: owner, line, at: wallClock.now())
            } catch {
                logger.warning("could not add to the user's message", metadata: ["error": "\(error)"])
            }
        }
        let request = prepared
        let key = StagingKey.make(id: record.id, attempt: record.attempts)
        let contentType = route.datasource.contentType(for: request)

        let progress = ByteCounter()
        let end = await withTaskGroup(of: AttemptEnd?.self) { group in
            group.addTask {
                do {
                    if record.verb == .archive {
                        return try await archive(request, record: record, route: route, progress: progress)
                    }
                    let size = try await staging.store(key: key, contentType: contentType) { sink in
                        try await route.datasource.retrieve(request, into: CountingSink(base: sink, counter: progress))
                    }
                    return .staged(StagedResult(key: key, contentType: contentType, contentLength: size))
                } catch is CancellationError {
                    return nil
                } catch let error as StagingUnavailable {
                    return .stagingUnavailable(error)
                } catch let error as StagingFull {
                    return .doesNotFit(error)
                } catch {
                    return .failed(message: userMessage(for: error, record: record, logger: logger))
                }
            }
            group.addTask { await heartbeat(record.id, owner: owner, progress: progress, logger: logger) }
            group.addTask {
                await handBack.wait()
                return Task.isCancelled ? nil : .handedBack
            }
            var end: AttemptEnd?
            while end == nil, let next = await group.next() {
                end = next
            }
            group.cancelAll()
            return end ?? .handedBack
        }
        let elapsed = ContinuousClock.now - started
        logger.info("request attempt ended", metadata: ["outcome": "\(end.logName)", "elapsed": "\(elapsed)"])
        metrics.processingTime(elapsed, collection: record.collection, datasource: record.datasource)
        metrics.bytesStaged(progress.total, collection: record.collection, datasource: record.datasource)
        await self.record(end, for: record, logger: logger)
        if case .stagingUnavailable = end { return .stagingUnavailable }
        return .done
    }

    /// Has the datasource archive the data of an archive request: its upload, read in place
    /// when staging is a local file system, otherwise first copied into a private local file
    /// (from S3 staging, or from the request's `url`).
    private func archive(_ request: DatasourceRequest, record: RequestRecord, route: DatasourceRoute, progress: ByteCounter) async throws
        -> AttemptEnd
    {
        guard let datasource = route.datasource as? any ArchivingDatasource else {
            return .failed(message: "The datasource '\(record.datasource)' does not archive data.")
        }
        guard record.archiveInput != nil || record.sourceURL != nil else {
            throw PolytopeError(.internalError, "archive request \(record.id) has no uploaded data")
        }
        if let input = record.archiveInput, let localStaging = staging as? any LocalFileStaging {
            guard let file = try await localStaging.fileURL(key: input.key) else {
                throw PolytopeError(.internalError, "the uploaded data of archive request \(record.id) is missing from staging")
            }
            progress.add(Int(clamping: input.contentLength))
            return .archived(upload: input, message: try await datasource.archive(request, file: file))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("polytope-upload-\(record.id)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            // Written with NIO's file system (its own threads), not blocking the tasks' threads.
            try await FileSystem.shared.withFileHandle(
                forWritingAt: FilePath(file.path), options: .newFile(replaceExisting: false, permissions: .ownerReadWrite)
            ) { handle in
                var writer = handle.bufferedWriter(capacity: .mebibytes(1))
                if let input = record.archiveInput {
                    try await staging.read(key: input.key, range: 0..<input.contentLength) { buffer in
                        try await writer.write(contentsOf: buffer)
                        progress.add(buffer.readableBytes)
                    }
                } else if let source = record.sourceURL {
                    guard let archiveSources else {
                        throw PolytopeError.invalidRequest("This worker cannot fetch archive data from \(source).")
                    }
                    try await archiveSources.read(source, maximumSize: configuration.maximumArchiveSize) { chunk in
                        try await writer.write(contentsOf: chunk)
                        progress.add(chunk.readableBytes)
                    }
                }
                try await writer.flush()
            }
        } catch let error as PolytopeError where error.code == .unavailable {
            throw StagingUnavailable(error)  // the object store is away: hand the request back
        }
        let message = try await datasource.archive(request, file: file)
        return .archived(upload: record.archiveInput, message: message)
    }

    private func requestLogger(for record: RequestRecord) -> Logger {
        var logger = logger
        logger[metadataKey: "request-id"] = "\(record.id)"
        logger[metadataKey: "user"] = "\(record.user.username)"
        logger[metadataKey: "collection"] = "\(record.collection)"
        logger[metadataKey: "datasource"] = "\(record.datasource)"
        return logger
    }

    /// Who holds the lease of a claimed request: the claim's own owner (`<pool>/<claim>`), so
    /// that a slot whose lease ran out cannot renew, finish or release the claim another slot
    /// of the same pool made since.
    static func leaseOwner(of record: RequestRecord, pool: String) -> String {
        record.lease?.owner ?? pool
    }

    /// Renews the lease (reporting progress) until the task is cancelled; returns
    /// `.leaseLost` if the store says another worker holds it now, or once no renewal has
    /// succeeded for a whole lease (the store unreachable): by then the broker may have
    /// queued the request again, and another worker may be running it.
    private func heartbeat(_ id: RequestIdentifier, owner: String, progress: ByteCounter, logger: Logger) async -> AttemptEnd? {
        var renewedAt = clock.now
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: configuration.heartbeatInterval)
            } catch {
                return nil
            }
            do {
                let expiry = wallClock.now().addingTimeInterval(configuration.leaseDuration.timeInterval)
                let renewed = try await queue.renewLease(id: id, worker: owner, until: expiry, stagedBytes: progress.total)
                if !renewed {
                    logger.warning("lease lost; abandoning the attempt")
                    return .leaseLost
                }
                renewedAt = clock.now
            } catch {
                if renewedAt.duration(to: clock.now) >= configuration.leaseDuration {
                    logger.error(
                        "the lease could not be renewed for as long as it lasts; abandoning the attempt", metadata: ["error": "\(error)"])
                    return .leaseLost
                }
                logger.error("renewing the lease failed; will retry", metadata: ["error": "\(error)"])
            }
        }
        return nil
    }

    private func record(_ end: AttemptEnd, for record: RequestRecord, logger: Logger) async {
        let worker = Self.leaseOwner(of: record, pool: configuration.workerID)
        do {
            switch end {
            case .staged(let result):
                let outcome = try await queue.finish(
                    id: record.id, worker: worker, outcome: .processed(result, message: "Success."), at: wallClock.now()
                )
                if outcome == .recorded {
                    metrics.requestFinished(collection: record.collection, datasource: record.datasource, status: .processed)
                }
                if outcome != .recorded {
                    logger.info("result discarded", metadata: ["reason": "\(outcome)"])
                    try await staging.delete(key: result.key)
                }
            case .archived(let upload, let message):
                let outcome = try await queue.finish(id: record.id, worker: worker, outcome: .archived(message: message), at: wallClock.now())
                if outcome == .recorded {
                    metrics.requestFinished(collection: record.collection, datasource: record.datasource, status: .processed)
                }
                // Archived (or revoked meanwhile): the store no longer references the staged copy.
                if outcome != .leaseLost, let upload { try await staging.delete(key: upload.key) }
            case .failed(let message):
                let outcome = try await queue.finish(id: record.id, worker: worker, outcome: .failed(message: message), at: wallClock.now())
                if outcome == .recorded {
                    metrics.requestFinished(collection: record.collection, datasource: record.datasource, status: .failed)
                }
                // A failed archive request keeps its upload until the garbage collector removes the request.
                if outcome == .revoked, let input = record.archiveInput { try await staging.delete(key: input.key) }
            case .stagingUnavailable(let error):
                logger.error("staging is unavailable; the request goes back to the queue", metadata: ["error": "\(error)"])
                _ = stagingPause.failed(now: clock.now)  // before the release: no slot may take it again meanwhile
                _ = try await queue.release(
                    id: record.id, worker: worker,
                    message: "The result could not be stored (staging is unavailable); the request was queued again.", at: wallClock.now()
                )
            case .doesNotFit(let full) where record.attempts >= configuration.maximumAttempts:
                logger.warning("the result does not fit in staging; no attempts left, the request fails", metadata: ["error": "\(full)"])
                let message = "\(full.userMessage) It was tried \(record.attempts) times; ask for less data, or try again later."
                let outcome = try await queue.finish(id: record.id, worker: worker, outcome: .failed(message: message), at: wallClock.now())
                if outcome == .recorded {
                    metrics.requestFinished(collection: record.collection, datasource: record.datasource, status: .failed)
                }
            case .doesNotFit(let full):
                logger.warning("the result does not fit in staging; the request goes back to the queue", metadata: ["error": "\(full)"])
                _ = try await queue.release(
                    id: record.id, worker: worker,
                    message: "\(full.userMessage) The request was queued again (attempt \(record.attempts) of \(configuration.maximumAttempts)).",
                    countingAttempt: true, at: wallClock.now()
                )
            case .leaseLost:
                break
            case .handedBack:
                _ = try await queue.release(
                    id: record.id, worker: worker,
                    message: "The worker shut down before finishing; the request was queued again.", at: wallClock.now()
                )
            }
        } catch {
            logger.error("recording the outcome failed; the lease will expire and the broker will retry", metadata: ["error": "\(error)"])
        }
    }

    private func userMessage(for error: any Error, record: RequestRecord, logger: Logger) -> String {
        if let error = error as? any UserFacingError {
            return error.userMessage
        }
        logger.error("datasource or staging failed", metadata: ["error": "\(error)"])
        return
            "Internal error while processing the request on datasource '\(record.datasource)'; the operator's log has the details (request \(record.id))."
    }
}

extension RequestRunner.AttemptEnd {
    fileprivate var logName: String {
        switch self {
        case .staged: return "staged"
        case .archived: return "archived"
        case .failed: return "failed"
        case .stagingUnavailable: return "staging-unavailable"
        case .doesNotFit: return "does-not-fit"
        case .leaseLost: return "lease-lost"
        case .handedBack: return "handed-back"
        }
    }
}

/// Counts bytes as they pass through a sink, for progress reports.
private final class CountingSink: ByteSink {
    let base: any ByteSink
    let counter: ByteCounter

    init(base: any ByteSink, counter: ByteCounter) {
        self.base = base
        self.counter = counter
    }

    func write(_ buffer: ByteBuffer) async throws {
        try await base.write(buffer)
        counter.add(buffer.readableBytes)
    }
}

/// A byte count shared between the task that writes and the heartbeat that reports it.
private final class ByteCounter: Sendable {
    private let value = Atomic<Int64>(0)

    func add(_ count: Int) {
        value.add(Int64(count), ordering: .relaxed)
    }

    var total: Int64 { value.load(ordering: .relaxed) }
}
