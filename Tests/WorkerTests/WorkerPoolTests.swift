import Datasources
import Foundation
import Logging
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import ServiceLifecycle
import StagingFilesystem
import Synchronization
import Testing
import Worker

@Suite("Worker pool")
struct WorkerPoolTests {
    /// A store, staging, a catalog with echo/dummy/raise/gated datasources, and a manual clock.
    final class Setup: Sendable {
        let directory: TemporaryDirectory
        let store: SQLiteRequestStore
        let staging: FilesystemStaging
        let clock = ManualClock()
        let workQueued = WakeSignal()
        let gate = Latch()
        let gatedStarted = WakeSignal()
        let archiver = RecordingArchiver()
        let catalog: CollectionCatalog

        init() throws {
            directory = try TemporaryDirectory()
            store = try SQLiteRequestStore(configuration: .init(path: directory.file("db.sqlite")), logger: Logger.quiet)
            staging = try FilesystemStaging(configuration: .init(root: directory.file("staging")))
            catalog = CollectionCatalog([
                CollectionDefinition(
                    name: "debug",
                    routes: [
                        DatasourceRoute(name: "echo", datasource: EchoDatasource()),
                        DatasourceRoute(name: "dummy", datasource: DummyDatasource(maximumSize: 1 << 30)),
                        DatasourceRoute(name: "raise", datasource: RaiseDatasource(message: "always fails")),
                        DatasourceRoute(name: "gated", datasource: GatedDatasource(gate: gate, started: gatedStarted, prefix: "12345")),
                        DatasourceRoute(name: "archiver", datasource: archiver),
                    ]
                )
            ])
        }

        func pool(
            slots: Int = 2, workerID: String = "w1", grace: Duration = .seconds(30), staging: (any StagingArea)? = nil,
            queue: (any WorkQueue)? = nil
        ) -> WorkerPool<ManualClock> {
            WorkerPool(
                configuration: .init(
                    slots: slots, leaseDuration: .seconds(30), heartbeatInterval: .seconds(10), pollInterval: .seconds(1),
                    shutdownGracePeriod: grace, workerID: workerID
                ),
                queue: queue ?? store, staging: staging ?? self.staging, catalog: catalog, workQueued: workQueued, clock: clock,
                wallClock: clock.wallClock, logger: Logger.quiet
            )
        }

        /// Inserts and queues a request for `datasource`.
        func submit(_ datasource: String, text: String) async throws -> RequestIdentifier {
            let record = RequestRecord(
                user: Fixtures.alice, verb: .retrieve, collection: "debug", datasource: datasource, requestText: text,
                normalisedRequest: try RequestTextParser().parse(text), createdAt: clock.date
            )
            try await store.insert(record)
            _ = try await store.markQueued([record.id], at: clock.date)
            workQueued.signal()
            return record.id
        }

        /// Inserts an archive request, stages `data` as its upload, and queues it.
        func submitArchive(_ data: [UInt8]) async throws -> (RequestIdentifier, StagedResult) {
            let record = RequestRecord(
                user: Fixtures.alice, verb: .archive, collection: "debug", datasource: "archiver", status: .uploading, requestText: "a: 1",
                normalisedRequest: try RequestTextParser().parse("a: 1"), createdAt: clock.date
            )
            try await store.insert(record)
            let key = StagingKey.makeUpload(id: record.id)
            let size = try await staging.store(key: key, contentType: "application/x-grib") { try await $0.write(ByteBuffer(bytes: data)) }
            let upload = StagedResult(key: key, contentType: "application/x-grib", contentLength: size)
            #expect(try await store.markUploaded(id: record.id, upload: upload, at: clock.date))
            _ = try await store.markQueued([record.id], at: clock.date)
            workQueued.signal()
            return (record.id, upload)
        }

        func status(_ id: RequestIdentifier) async throws -> RequestStatus? {
            try await store.request(id: id)?.status
        }

        func statuses(_ ids: [RequestIdentifier]) async throws -> [RequestStatus?] {
            var statuses: [RequestStatus?] = []
            for id in ids { statuses.append(try await status(id)) }
            return statuses
        }

        func bytes(of id: RequestIdentifier) async throws -> [UInt8] {
            let result = try #require(try await store.request(id: id)?.result)
            var bytes: [UInt8] = []
            try await staging.read(key: result.key, range: 0..<result.contentLength) { bytes += $0.readableBytesView }
            return bytes
        }
    }

    /// Runs `service` in a service group while `body` runs, then shuts it down gracefully.
    func whileRunning(_ services: [any Service], _ body: (ServiceGroup) async throws -> Void) async throws {
        let group = ServiceGroup(services: services, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(group)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("requests run on their datasource and their results are staged")
    func processes() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool()]) { _ in
            let echo = try await setup.submit("echo", text: "datasource: echo\nx: 1\n")
            let dummy = try await setup.submit("dummy", text: "size: 2500000")
            let raise = try await setup.submit("raise", text: "datasource: raise")
            try await eventually("all finished") {
                try await setup.statuses([echo, dummy, raise]) == [.processed, .processed, .failed]
            }
            #expect(String(decoding: try await setup.bytes(of: echo), as: UTF8.self) == "datasource: echo\nx: 1\n")
            let echoRecord = try await setup.store.request(id: echo)
            #expect(echoRecord?.result?.contentType == "application/octet-stream")
            #expect(try await setup.bytes(of: dummy).count == 2_500_000)
            #expect(try await setup.store.request(id: dummy)?.result?.contentType == "application/x-grib")
            #expect(try await setup.store.request(id: raise)?.userMessage == "always fails")
        }
    }

    @Test("an upload in local staging is archived from its staged file in place, which is then removed")
    func archivesUploadsInPlace() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool()]) { _ in
            let data = Array("GRIB data".utf8)
            let (id, upload) = try await setup.submitArchive(data)
            try await eventually("archived") { try await setup.status(id) == .processed }
            let archived = setup.archiver.archived.withLock { $0 }
            let stagedFile = URL(fileURLWithPath: setup.directory.file("staging")).appendingPathComponent(upload.key)
            #expect(archived.map(\.file.standardizedFileURL) == [stagedFile.standardizedFileURL], "read in place, not copied")
            #expect(archived.map(\.bytes) == [data])
            let record = try await setup.store.request(id: id)
            #expect(record?.archiveInput == nil && record?.result == nil && record?.userMessage == "Archived 9 bytes.")
            try await eventually("the upload is removed") { try await setup.staging.list().isEmpty }
        }
    }

    @Test("an upload in staging that is not local is copied into a private file to be archived")
    func archivesCopiesOfRemoteUploads() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool(staging: OutageStaging(base: setup.staging))]) { _ in
            let data = Array("GRIB data".utf8)
            let (id, upload) = try await setup.submitArchive(data)
            try await eventually("archived") { try await setup.status(id) == .processed }
            let archived = setup.archiver.archived.withLock { $0 }
            #expect(archived.map(\.bytes) == [data])
            #expect(archived.first?.file.lastPathComponent != upload.key, "a copy")
            #expect(!FileManager.default.fileExists(atPath: archived.first?.file.path ?? ""), "the copy is removed")
            try await eventually("the upload is removed") { try await setup.staging.list().isEmpty }
        }
    }

    @Test("no more than `slots` requests run at once")
    func slots() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool(slots: 2)]) { _ in
            let ids = [
                try await setup.submit("gated", text: "a: 1"), try await setup.submit("gated", text: "a: 2"),
                try await setup.submit("gated", text: "a: 3"),
            ]
            try await eventually("two processing") {
                try await setup.statuses(ids).filter { $0 == .processing }.count == 2
            }
            setup.gate.open()
            try await eventually("all processed") { try await setup.statuses(ids) == [.processed, .processed, .processed] }
        }
    }

    @Test("heartbeats keep the lease of a long request alive and report progress")
    func heartbeats() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool()]) { _ in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            let firstExpiry = try #require(try await setup.store.request(id: id)?.lease?.expiresAt)
            try await eventually("the heartbeat sleeps") { setup.clock.sleeperCount >= 2 }
            setup.clock.advance(by: .seconds(10))
            try await eventually("the lease is renewed") {
                (try await setup.store.request(id: id)?.lease?.expiresAt ?? .distantPast) > firstExpiry
            }
            #expect(try await setup.store.request(id: id)?.stagedBytes == 5)
            setup.gate.open()
            try await eventually("processed") { try await setup.status(id) == .processed }
        }
    }

    @Test("at shutdown, running requests finish within the grace period")
    func drainFinishes() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool()]) { group in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            await group.triggerGracefulShutdown()
            setup.gate.open()
            try await eventually("processed after shutdown began") { try await setup.status(id) == .processed }
        }
    }

    @Test("after the grace period, running requests are handed back to the queue")
    func drainHandsBack() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool(grace: .seconds(5))]) { group in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            await group.triggerGracefulShutdown()
            try await eventually("the grace timer sleeps") { setup.clock.sleeperCount >= 3 }
            setup.clock.advance(by: .seconds(5))
            try await eventually("handed back") { try await setup.status(id) == .queued }
            let record = try await setup.store.request(id: id)
            #expect(record?.attempts == 0)
            #expect(record?.userMessage.contains("queued again") == true)
        }
    }

    @Test("during a staging outage requests go back to the queue, without using attempts, and claims pause")
    func stagingOutage() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let staging = OutageStaging(base: setup.staging)
        staging.down.withLock { $0 = true }
        try await whileRunning([setup.pool(staging: staging)]) { _ in
            let id = try await setup.submit("echo", text: "a: 1")
            try await eventually("handed back") { try await setup.status(id) == .queued && staging.attempts.withLock { $0 } == 1 }
            let record = try await setup.store.request(id: id)
            #expect(record?.attempts == 0)
            #expect(record?.userMessage.contains("staging is unavailable") == true)
            // Paused: wake-ups do not make the pool claim it again until the pause is over.
            for _ in 0..<5 {
                setup.workQueued.signal()
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(staging.attempts.withLock { $0 } == 1)
            #expect(try await setup.status(id) == .queued)
            staging.down.withLock { $0 = false }
            setup.clock.advance(by: .seconds(1))
            try await eventually("processed once staging is back") { try await setup.status(id) == .processed }
            #expect(try await setup.store.request(id: id)?.attempts == 1)
        }
    }

    @Test("a result that does not fit in staging is tried max-attempts times, then fails saying so; other requests never pause")
    func resultDoesNotFit() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let staging = OutageStaging(base: setup.staging)
        staging.full.withLock { $0 = true }
        try await whileRunning([setup.pool(staging: staging)]) { _ in
            let id = try await setup.submit("echo", text: "a: 1")
            try await eventually("failed after three attempts") {
                setup.workQueued.signal()
                return try await setup.status(id) == .failed
            }
            let record = try #require(try await setup.store.request(id: id))
            #expect(record.attempts == 3 && staging.attempts.withLock { $0 } == 3)
            #expect(record.userMessage.contains("does not fit in the staging area: the space ran out after 2.0 MiB of it (512 B free now)"))
            #expect(record.userMessage.contains("It was tried 3 times"))
            #expect(record.userMessage.contains("attempt 2 of 3"))

            // No pause: with room again, the next request runs at once (the clock stands still).
            staging.full.withLock { $0 = false }
            let next = try await setup.submit("echo", text: "b: 2")
            try await eventually("processed without a pause") { try await setup.status(next) == .processed }
        }
    }

    @Test("a result finished after revocation is deleted with the request")
    func revokedWhileRunning() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await whileRunning([setup.pool()]) { _ in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            _ = try await setup.store.revoke(id: id, ofUser: "alice", at: setup.clock.date)
            setup.gate.open()
            try await eventually("deleted") { try await setup.store.request(id: id) == nil }
            try await eventually("nothing staged") { try await setup.staging.list().isEmpty }
        }
    }

    @Test("a worker that lost its lease stops and leaves the request to the new holder")
    func leaseLost() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        // One slot, held by the gated request: the slow pool cannot take the request back
        // between the broker requeueing it and the fast worker claiming it.
        try await whileRunning([setup.pool(slots: 1, workerID: "slow")]) { _ in
            let id = try await setup.submit("gated", text: "a: 1")
            await setup.gatedStarted.wait()
            // The broker decides the lease expired and another worker takes the request.
            _ = try await setup.store.recoverExpiredLeases(at: setup.clock.date.addingTimeInterval(31), maximumAttempts: 3)
            _ = try await setup.store.claimNextRequest(worker: "fast", leaseExpiry: setup.clock.date.addingTimeInterval(60), at: setup.clock.date)
            try await eventually("the heartbeat sleeps") { setup.clock.sleeperCount >= 2 }
            // Heartbeat intervals pass until the slow worker's renewal fails. (Advancing once
            // raced with a heartbeat that had not gone to sleep yet on a loaded machine.)
            try await eventually("the slow worker gave up") {
                setup.clock.advance(by: .seconds(10))
                let staged = try await setup.staging.list()
                return staged.isEmpty && setup.clock.sleeperCount == 1
            }
            let record = try await setup.store.request(id: id)
            #expect(record?.status == .processing)
            #expect(record?.lease?.owner == "fast")
        }
    }
}

/// An archiving datasource that keeps which file it was given and what the file held.
final class RecordingArchiver: ArchivingDatasource {
    let archived = Mutex<[(file: URL, bytes: [UInt8])]>([])

    func contentType(for request: DatasourceRequest) -> String { "application/x-grib" }
    func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {}

    func archive(_ request: DatasourceRequest, file: URL) async throws -> String {
        let bytes = Array(try Data(contentsOf: file))
        archived.withLock { $0.append((file, bytes)) }
        return "Archived \(bytes.count) bytes."
    }
}

/// Staging that fails every write with `StagingUnavailable` while `down` is set, or with
/// `StagingFull` while `full` is set (and is not local files, as far as the worker can tell).
final class OutageStaging: StagingArea {
    let base: any StagingArea
    let down = Mutex(false)
    let full = Mutex(false)
    let attempts = Mutex(0)

    init(base: any StagingArea) {
        self.base = base
    }

    func store(key: String, contentType: String, _ produce: (any ByteSink) async throws -> Void) async throws -> Int64 {
        attempts.withLock { $0 += 1 }
        if down.withLock({ $0 }) { throw StagingUnavailable(PolytopeError(.unavailable, "the test's staging is down")) }
        if full.withLock({ $0 }) { throw StagingFull(bytesWritten: 2 << 20, bytesFree: 512) }
        return try await base.store(key: key, contentType: contentType, produce)
    }

    func size(of key: String) async throws -> Int64? { try await base.size(of: key) }
    func read(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        try await base.read(key: key, range: range, consume)
    }
    func delete(key: String) async throws { try await base.delete(key: key) }
    func list() async throws -> [StagedObjectInfo] { try await base.list() }
    func checkWritable() async throws { try await base.checkWritable() }
}
