import Foundation
import Logging
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import Testing

@Suite("SQLite change watcher")
struct SQLiteChangeWatcherTests {
    /// Waits for `signal`, at most `seconds`; true if it came.
    func arrives(_ signal: WakeSignal, within seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await signal.wait()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Returns once the running watcher reports `there`'s commits, inserting a request from
    /// there until one wakes `dispatchNeeded`: a commit made while the watcher reads its
    /// starting state is not reported (the roles' first rounds see it), and on a loaded
    /// machine that can take longer than any fixed pause.
    func untilWatching(_ there: SQLiteRequestStore, wakes dispatchNeeded: WakeSignal) async throws {
        for _ in 0..<20 {
            try await there.insert(Fixtures.record())
            if await arrives(dispatchNeeded, within: 0.5) { return }
        }
        Issue.record("the watcher never reported another process's commit")
    }

    /// Two stores on one new file, as two processes would open it: (directory, here, there).
    func twoProcesses() throws -> (TemporaryDirectory, SQLiteRequestStore, SQLiteRequestStore) {
        let directory = try TemporaryDirectory()
        let configuration = SQLiteRequestStore.Configuration(path: directory.file("polytope.sqlite"))
        return (
            directory, try SQLiteRequestStore(configuration: configuration, logger: Logger.quiet),
            try SQLiteRequestStore(configuration: configuration, logger: Logger.quiet)
        )
    }

    @Test("a store knows whether another process has its file open, and that one's end")
    func presence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = SQLiteRequestStore.Configuration(path: directory.file("polytope.sqlite"))
        let here = try SQLiteRequestStore(configuration: configuration, logger: Logger.quiet)
        #expect(!here.presence.othersPresent, "alone")
        var there: SQLiteRequestStore? = try SQLiteRequestStore(configuration: configuration, logger: Logger.quiet)
        #expect(here.presence.othersPresent && there?.presence.othersPresent == true, "each sees the other")
        there = nil
        #expect(!here.presence.othersPresent, "alone again once the other closed it")
        let elsewhere = SQLiteRequestStore.Configuration(path: directory.file("other.sqlite"))
        let unrelated = try SQLiteRequestStore(configuration: elsewhere, logger: Logger.quiet)
        #expect(!here.presence.othersPresent && !unrelated.presence.othersPresent, "another file is no company")
    }

    @Test("another process's new, queued and finished requests wake this process's broker and workers at once")
    func wakesAcrossProcesses() async throws {
        let (directory, here, there) = try twoProcesses()
        defer { directory.remove() }
        let (dispatchNeeded, workQueued) = (WakeSignal(), WakeSignal())
        let watcher = SQLiteChangeWatcher(store: here, dispatchNeeded: dispatchNeeded, workQueued: workQueued, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            try await untilWatching(there, wakes: dispatchNeeded)
            _ = await arrives(workQueued, within: 0.01)  // nothing pending from the start

            let record = Fixtures.record()
            try await there.insert(record)
            #expect(await arrives(dispatchNeeded, within: 2), "a new request wakes brokers")
            #expect(await !arrives(workQueued, within: 0.1), "but not workers")

            #expect(try await there.markQueued([record.id], at: Date()) == 1)
            #expect(await arrives(workQueued, within: 2), "a queued request wakes workers")
            #expect(await !arrives(dispatchNeeded, within: 0.1), "but not brokers")

            let claimed = try await there.claimNextRequest(worker: "w", leaseExpiry: Date() + 60, at: Date())
            let result = StagedResult(key: "k", contentType: "text/plain", contentLength: 1)
            #expect(
                try await there.finish(id: try #require(claimed).id, worker: "w", outcome: .processed(result, message: ""), at: Date()) == .recorded)
            #expect(await arrives(dispatchNeeded, within: 2), "a finished request frees a slot: brokers wake")
            group.cancelAll()
        }
    }

    @Test("held polls look again when a status changes, not at commits that change none (a broker's lease renewal)")
    func statusChangesOnly() async throws {
        let (directory, here, there) = try twoProcesses()
        defer { directory.remove() }
        let requestsChanged = WakeSignal()
        let watcher = SQLiteChangeWatcher(
            store: here, dispatchNeeded: WakeSignal(), workQueued: WakeSignal(), requestsChanged: requestsChanged, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            try await Task.sleep(for: .milliseconds(200))
            let record = Fixtures.record()
            try await there.insert(record)
            _ = await arrives(requestsChanged, within: 0.5)
            _ = try await there.claimLeadership(holder: "b", until: Date() + 60, at: Date())
            #expect(await !arrives(requestsChanged, within: 0.3), "a lease renewal changes no status")
            #expect(try await there.markQueued([record.id], at: Date()) == 1)
            #expect(await arrives(requestsChanged, within: 2), "a status change wakes held polls")
            _ = try await there.revoke(id: record.id, ofUser: record.user.username, at: Date())
            #expect(await arrives(requestsChanged, within: 2), "so does a deletion")
            group.cancelAll()
        }
    }

    @Test("this process's own commits wake nobody through the watcher (its roles signal each other); the store signals them itself")
    func ownCommitsSetAside() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let committed = WakeSignal()
        let here = try SQLiteRequestStore(
            configuration: .init(path: directory.file("polytope.sqlite")), committed: committed, logger: Logger.quiet)
        let (dispatchNeeded, workQueued, requestsChanged) = (WakeSignal(), WakeSignal(), WakeSignal())
        let watcher = SQLiteChangeWatcher(
            store: here, dispatchNeeded: dispatchNeeded, workQueued: workQueued, requestsChanged: requestsChanged, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            try await Task.sleep(for: .milliseconds(200))
            let record = Fixtures.record()
            try await here.insert(record)
            #expect(await !arrives(dispatchNeeded, within: 0.3), "the frontend that inserted wakes the broker itself")
            #expect(try await here.markQueued([record.id], at: Date()) == 1)
            #expect(await arrives(committed, within: 0.1), "a status change of this process is signalled by the store")
            #expect(await !arrives(workQueued, within: 0.3), "the broker that queued wakes the workers itself")
            #expect(await !arrives(requestsChanged, within: 0.01))
            group.cancelAll()
        }
    }

    @Test("without a broker or workers, the watch runs only while polls are held, and they look once when it starts")
    func watchesOnlyForListeners() async throws {
        let (directory, here, there) = try twoProcesses()
        defer { directory.remove() }
        let (requestsChanged, listeners) = (WakeSignal(), StatusListeners())
        let watcher = SQLiteChangeWatcher(
            store: here, dispatchNeeded: WakeSignal(), workQueued: WakeSignal(), requestsChanged: requestsChanged,
            interest: .init(always: false, statusListeners: listeners), logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            try await Task.sleep(for: .milliseconds(200))
            let record = Fixtures.record()
            try await there.insert(record)
            #expect(await !arrives(requestsChanged, within: 0.3), "nobody listens: nothing is watched")
            let (looked, queued, watched) = try await listeners.listening { () async throws -> (Bool, Int, Bool) in
                let looked = await arrives(requestsChanged, within: 2)
                let queued = try await there.markQueued([record.id], at: Date())
                return (looked, queued, await arrives(requestsChanged, within: 2))
            }
            #expect(looked, "the first listener makes held polls look once")
            #expect(queued == 1)
            #expect(watched, "and later changes are watched for")
            try await Task.sleep(for: .milliseconds(100))
            _ = await arrives(requestsChanged, within: 0.2)
            _ = try await there.claimNextRequest(worker: "w", leaseExpiry: Date() + 60, at: Date())
            #expect(await !arrives(requestsChanged, within: 0.3), "the last listener gone, the watch stops again")
            group.cancelAll()
        }
    }
}
