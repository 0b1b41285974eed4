import Foundation
import Logging
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import Testing

@testable import Worker

@Suite("Worker status reports")
struct WorkerStatusReporterTests {
    @Test("another pool under the same worker.id is named once; a restart under a fixed id is not mistaken for one")
    func sharedID() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRequestStore(configuration: .init(path: directory.file("db.sqlite")), logger: Logger.quiet)
        let clock = ManualClock()
        let log = LogRecording()
        func reporter(_ startedAt: Date) -> WorkerStatusReporter {
            WorkerStatusReporter(
                registry: store, id: "host-a", slots: 4, startedAt: startedAt, wallClock: clock.wallClock, logger: log.logger())
        }

        // A pool crashed (its entry stays); the next one under the same id reports alone.
        var crashed = reporter(clock.wallClock.now())
        await crashed.report(busy: 2)
        clock.advance(by: .seconds(3))
        var restarted = reporter(clock.wallClock.now())
        for _ in 0..<3 {
            await restarted.report(busy: 0)
            clock.advance(by: .seconds(5))
        }
        #expect(log.messages(at: .error).isEmpty)
        #expect(try await store.workers(seenSince: .distantPast).map(\.busy) == [0])

        // A second pool starts under the same id: the first sees its entry rewritten.
        var second = reporter(clock.wallClock.now())
        await second.report(busy: 1)
        clock.advance(by: .seconds(1))
        await restarted.report(busy: 0)
        #expect(log.messages(at: .error).count == 1)
        #expect(log.messages(at: .error).first?.contains("worker.id") == true)
        for _ in 0..<3 {
            clock.advance(by: .seconds(2))
            await second.report(busy: 1)
            clock.advance(by: .seconds(2))
            await restarted.report(busy: 0)
        }
        #expect(log.messages(at: .error).count == 2, "each pool says it once")
    }
}
