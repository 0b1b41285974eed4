import Foundation
import GarbageCollector
import Logging
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import StagingFilesystem
import Testing

@Suite("Garbage collector")
struct GarbageCollectorTests {
    final class Setup: Sendable {
        let directory: TemporaryDirectory
        let store: SQLiteRequestStore
        let staging: FilesystemStaging
        let clock = ManualClock(date: Date())

        init() throws {
            directory = try TemporaryDirectory()
            store = try SQLiteRequestStore(configuration: .init(path: directory.file("db.sqlite")), logger: Logger.quiet)
            staging = try FilesystemStaging(configuration: .init(root: directory.file("staging")))
        }

        func collector(
            age: Duration = .seconds(3600), threshold: Int64? = nil, orphanGrace: Duration = .zero, uploadTimeout: Duration = .seconds(7200),
            staging: (any StagingArea)? = nil
        ) -> GarbageCollectorService<ManualClock> {
            GarbageCollectorService(
                configuration: .init(
                    interval: .seconds(60), maximumAge: age, stagingThreshold: threshold, orphanGracePeriod: orphanGrace, uploadTimeout: uploadTimeout
                ),
                store: store, staging: staging ?? self.staging, clock: clock, wallClock: clock.wallClock, logger: Logger.quiet
            )
        }

        /// A processed request with `size` staged bytes, finished at the clock's current date.
        func processed(size: Int) async throws -> RequestRecord {
            let record = Fixtures.record(at: clock.date)
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: clock.date)
            _ = try await store.claimNextRequest(worker: "w", leaseExpiry: clock.date.addingTimeInterval(30), at: clock.date)
            let key = StagingKey.make(id: record.id, attempt: 1)
            let length = try await staging.store(key: key, contentType: "application/x-grib") { sink in
                try await sink.write(ByteBuffer(repeating: 7, count: size))
            }
            let result = StagedResult(key: key, contentType: "application/x-grib", contentLength: length)
            _ = try await store.finish(id: record.id, worker: "w", outcome: .processed(result, message: "ok"), at: clock.date)
            return record
        }

        /// `count` processed requests of `size` staged bytes, finished a second apart, oldest first.
        func processedOneSecondApart(count: Int, size: Int) async throws -> [RequestRecord] {
            var records: [RequestRecord] = []
            for _ in 0..<count {
                records.append(try await processed(size: size))
                clock.advance(by: .seconds(1))
            }
            return records
        }

        var stagedKeys: Set<String> {
            get async throws { Set(try await staging.list().map(\.key)) }
        }
    }

    @Test("finished requests older than the age go, with their data; younger and active ones stay")
    func ageExpiry() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let old = try await setup.processed(size: 100)
        setup.clock.advance(by: .seconds(3000))
        let young = try await setup.processed(size: 100)
        let waiting = Fixtures.record(at: setup.clock.date)
        try await setup.store.insert(waiting)
        setup.clock.advance(by: .seconds(700))

        let report = try await setup.collector().collect()
        #expect(report.expiredRequests == 1)
        #expect(report.bytesFreed == 100)
        #expect(try await setup.store.request(id: old.id) == nil)
        #expect(try await setup.store.request(id: young.id)?.status == .processed)
        #expect(try await setup.store.request(id: waiting.id)?.status == .waiting)
        #expect(try await setup.stagedKeys == [StagingKey.make(id: young.id, attempt: 1)])
    }

    @Test("archive requests whose data never came fail after the upload timeout, then expire like others")
    func abandonedUploads() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        func uploading() async throws -> RequestRecord {
            var record = Fixtures.record(at: setup.clock.date)
            record.verb = .archive
            record.status = .uploading
            record.statusHistory = [StatusChange(status: .uploading, at: setup.clock.date)]
            try await setup.store.insert(record)
            return record
        }
        let abandoned = try await uploading()
        setup.clock.advance(by: .seconds(5400))
        let recent = try await uploading()
        setup.clock.advance(by: .seconds(1900))

        let report = try await setup.collector().collect()
        #expect(report.abandonedUploads == 1)
        let failed = try #require(try await setup.store.request(id: abandoned.id))
        #expect(failed.status == .failed)
        #expect(failed.userMessage.contains("No data was uploaded within 2h of this archive request"))
        #expect(failed.statusHistory.map(\.status) == [.uploading, .failed])
        #expect(try await setup.store.request(id: recent.id)?.status == .uploading)

        setup.clock.advance(by: .seconds(3700))
        let later = try await setup.collector().collect()
        #expect(later.abandonedUploads == 0 && later.expiredRequests == 1, "failed an hour ago: expired; the other is not yet due")
        #expect(try await setup.store.request(id: abandoned.id) == nil)
        #expect(try await setup.store.request(id: recent.id)?.status == .uploading)
    }

    @Test("an archive request's upload is kept while it waits, and goes with the request once it failed and expired")
    func archiveInputs() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        var record = Fixtures.record(at: setup.clock.date)
        record.verb = .archive
        record.status = .uploading
        try await setup.store.insert(record)
        let key = StagingKey.makeUpload(id: record.id)
        let size = try await setup.staging.store(key: key, contentType: "x") { try await $0.write(ByteBuffer(repeating: 1, count: 300)) }
        #expect(
            try await setup.store.markUploaded(
                id: record.id, upload: StagedResult(key: key, contentType: "x", contentLength: size), at: setup.clock.date))
        setup.clock.advance(by: .seconds(600))
        let waiting = try await setup.collector(threshold: 100, orphanGrace: .zero).collect()
        #expect(
            waiting.orphanedObjects == 0 && waiting.evictedRequests == 0 && waiting.bytesFreed == 0, "the upload is referenced, its request active")
        #expect(try await setup.stagedKeys == [key])

        _ = try await setup.store.markQueued([record.id], at: setup.clock.date)
        _ = try await setup.store.claimNextRequest(worker: "w", leaseExpiry: setup.clock.date.addingTimeInterval(30), at: setup.clock.date)
        _ = try await setup.store.finish(id: record.id, worker: "w", outcome: .failed(message: "bad data"), at: setup.clock.date)
        #expect(try await setup.stagedKeys == [key], "a failed request keeps its upload until it expires")
        setup.clock.advance(by: .seconds(3700))
        let expired = try await setup.collector().collect()
        #expect(expired.expiredRequests == 1 && expired.bytesFreed == 300)
        #expect(try await setup.stagedKeys.isEmpty)
    }

    @Test("over the size threshold, the oldest results go first until under it")
    func sizePressure() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let records = try await setup.processedOneSecondApart(count: 5, size: 1000)
        let report = try await setup.collector(threshold: 2500).collect()
        #expect(report.evictedRequests == 3)
        for record in records.prefix(3) { #expect(try await setup.store.request(id: record.id) == nil) }
        for record in records.suffix(2) { #expect(try await setup.store.request(id: record.id)?.status == .processed) }
        #expect(try await setup.stagedKeys == Set(records.suffix(2).map { StagingKey.make(id: $0.id, attempt: 1) }))
    }

    @Test("staging that refuses deletes stops eviction after one batch instead of purging every finished request")
    func evictionWhenDeletesFail() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let records = try await setup.processedOneSecondApart(count: 5, size: 1000)
        let refusing = RefusingDeletes(wrapped: setup.staging)
        let report = try await setup.collector(threshold: 2500, staging: refusing).collect()
        #expect(report.evictedRequests == 3)
        for record in records.suffix(2) { #expect(try await setup.store.request(id: record.id)?.status == .processed) }
        // Once staging deletes again, the objects of the evicted requests go as orphans (the
        // clock moved on: files bear the real time of their writing).
        setup.clock.advance(by: .seconds(600))
        let working = setup.collector(threshold: 2500)
        _ = try await working.collect()
        let next = try await working.collect()
        #expect(next.orphanedObjects == 3 && next.evictedRequests == 0)
        #expect(try await setup.stagedKeys == Set(records.suffix(2).map { StagingKey.make(id: $0.id, attempt: 1) }))
    }

    @Test("objects no request references are removed after the grace period")
    func orphans() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let kept = try await setup.processed(size: 10)
        let orphan = StagingKey.make(id: RequestIdentifier(), attempt: 1)
        _ = try await setup.staging.store(key: orphan, contentType: "x") { try await $0.write(ByteBuffer(string: "left behind")) }

        let young = try await setup.collector(orphanGrace: .seconds(3600)).collect()
        #expect(young.orphanedObjects == 0, "the orphan is younger than the grace period")
        setup.clock.advance(by: .seconds(600))
        let collector = setup.collector(orphanGrace: .zero)
        let first = try await collector.collect()
        #expect(first.orphanedObjects == 0, "found old and unreferenced once: it may be about to be recorded")
        #expect(try await setup.stagedKeys.count == 2)
        let second = try await collector.collect()
        #expect(second.orphanedObjects == 1, "found so by two passes in a row")
        #expect(try await setup.stagedKeys == [StagingKey.make(id: kept.id, attempt: 1)])
    }

    @Test("a download in progress keeps reading the file it opened while the collector deletes it")
    func downloadDuringCollection() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let record = try await setup.processed(size: 3 << 20)
        let key = StagingKey.make(id: record.id, attempt: 1)
        setup.clock.advance(by: .seconds(7200))
        var received = 0
        var collected = false
        try await setup.staging.read(key: key, range: 0..<(3 << 20)) { chunk in
            received += chunk.readableBytes
            if !collected {
                collected = true
                _ = try await setup.collector().collect()
            }
        }
        #expect(collected)
        #expect(received == 3 << 20)
        #expect(try await setup.staging.size(of: key) == nil)
    }
}

/// Staging whose deletes fail (a read-only mount, an object store refusing them).
private struct RefusingDeletes: StagingArea {
    struct Refused: Error {}
    let wrapped: FilesystemStaging

    func store(key: String, contentType: String, _ produce: (any ByteSink) async throws -> Void) async throws -> Int64 {
        try await wrapped.store(key: key, contentType: contentType, produce)
    }
    func size(of key: String) async throws -> Int64? { try await wrapped.size(of: key) }
    func read(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        try await wrapped.read(key: key, range: range, consume)
    }
    func delete(key: String) async throws { throw Refused() }
    func list() async throws -> [StagedObjectInfo] { try await wrapped.list() }
    func checkWritable() async throws {}
}
