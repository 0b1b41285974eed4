import Foundation
import GRDB
import Logging
import PolytopeCore
import ServiceLifecycle
import Synchronization

/// Wakes this process's broker and workers when another process sharing the SQLite file
/// changed something they care about, as PostgreSQL's `NOTIFY` does across hosts.
///
/// Every commit writes to the file's write-ahead log, so a thread waits for the kernel to say
/// the log changed (inotify on its directory: no polling, nothing done while idle). Commits of
/// this process wake it too; those reached the roles directly (the roles signal each other,
/// and the store signals `requestsChanged` after its own commits), so `PRAGMA data_version` on
/// the store's writer connection, which every write of this process goes through and which
/// changes only for commits through other connections, sets them aside; while no other
/// process has the store open (`SQLiteProcessPresence`) that look is skipped. For another process's
/// commit, one small read of the counters the store's triggers advance (`store_events`:
/// `dispatch` when a request arrives or stops counting against a limit, `work` when one is
/// queued, `status` when any request's status changes or a request is deleted) tells whom to
/// wake. Where inotify is unavailable the roles fall back to their poll intervals.
///
/// A watch costs every write of the store a kernel notification and this thread a wake-up,
/// so a process without a broker or workers (a frontend) watches only while it holds polls
/// (`StatusListeners`); when the first arrives, it watches again and has them look once.
package struct SQLiteChangeWatcher: Service {
    /// Who in this process hears of other processes' changes.
    package struct Interest: Sendable {
        /// A broker or worker runs here: it needs every change, all the time.
        package var always: Bool
        /// Held polls, which need status changes only while there are some.
        package var statusListeners: StatusListeners

        package init(always: Bool, statusListeners: StatusListeners = StatusListeners()) {
            self.always = always
            self.statusListeners = statusListeners
        }
    }

    let store: SQLiteRequestStore
    let dispatchNeeded: WakeSignal
    let workQueued: WakeSignal
    /// Signalled when a request's status changed in any process (held polls look again).
    let requestsChanged: WakeSignal
    let interest: Interest
    let logger: Logger

    package init(
        store: SQLiteRequestStore, dispatchNeeded: WakeSignal, workQueued: WakeSignal, requestsChanged: WakeSignal = WakeSignal(),
        interest: Interest = Interest(always: true), logger: Logger
    ) {
        self.requestsChanged = requestsChanged
        self.store = store
        self.dispatchNeeded = dispatchNeeded
        self.workQueued = workQueued
        self.interest = interest
        self.logger = logger
    }

    package func run() async throws {
        let path = URL(fileURLWithPath: store.configuration.path)
        let logChanged = WakeSignal()
        let watch: FileChangeWatch
        do {
            watch = try FileChangeWatch(directory: path.deletingLastPathComponent().path, name: path.lastPathComponent + "-wal") {
                logChanged.signal()
            }
        } catch {
            logger.warning(
                "cannot watch the SQLite file for changes by other processes; they are seen at each poll interval",
                metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        var seen = try? await store.eventCounters()
        var version = try? await store.writerDataVersion()
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if !interest.always, !interest.statusListeners.any {
                    watch.pause()
                    await interest.statusListeners.appeared.wait()
                    do {
                        try watch.resume()
                    } catch {
                        logger.warning("cannot watch the SQLite file for changes by other processes", metadata: ["error": "\(error)"])
                    }
                    // Whatever changed while nobody watched: the held polls look once, now.
                    requestsChanged.signal()
                    continue
                }
                await logChanged.wait()
                if !interest.always, !interest.statusListeners.any { continue }  // the last listener left
                if !store.presence.othersPresent { continue }  // this process's commits: alone with the file
                if let current = try? await store.writerDataVersion() {
                    if current == version { continue }  // only this process's commits
                    version = current
                }
                guard let counters = try? await store.eventCounters() else {
                    requestsChanged.signal()
                    continue
                }
                if counters.status != seen?.status { requestsChanged.signal() }
                if counters.dispatch != seen?.dispatch { dispatchNeeded.signal() }
                if counters.work != seen?.work { workQueued.signal() }
                seen = counters
            }
        } onGracefulShutdown: {
            logChanged.signal()
            interest.statusListeners.appeared.signal()
        }
        watch.stop()
    }
}

extension SQLiteRequestStore {
    /// `PRAGMA data_version` of the writer connection: it changes only when another
    /// connection (here: another process) committed since the previous call.
    package func writerDataVersion() async throws -> Int64 {
        try await pool.writeWithoutTransaction { db in try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0 }
    }

    /// The counters of `store_events`, advanced by triggers.
    package func eventCounters() async throws -> (dispatch: Int64, work: Int64, status: Int64) {
        try await read { db in
            var counters: (dispatch: Int64, work: Int64, status: Int64) = (0, 0, 0)
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, counter FROM store_events")) {
                switch row["kind"] as String {
                case "dispatch": counters.dispatch = row["counter"]
                case "work": counters.work = row["counter"]
                case "status": counters.status = row["counter"]
                default: break
                }
            }
            return counters
        }
    }
}

/// A thread that calls `changed` whenever the file `name` in `directory` is written, created
/// or moved in (inotify), until `stop()`; `pause()` and `resume()` stop and restart the watch.
final class FileChangeWatch: Sendable {
    private let inotify: Int32
    private let directory: String
    /// The watch descriptor while watching.
    private let watching: Mutex<Int32?>
    /// Written by `stop()` to end the thread's wait.
    private let stopPipe: (read: Int32, write: Int32)

    init(directory: String, name: String, changed: @escaping @Sendable () -> Void) throws {
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { throw PolytopeError(.internalError, "inotify_init1: \(String(cString: strerror(errno)))") }
        let descriptor: Int32
        do {
            descriptor = try Self.addWatch(inotify, directory)
        } catch {
            close(inotify)
            throw error
        }
        self.directory = directory
        self.watching = Mutex(descriptor)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(inotify)
            throw PolytopeError(.internalError, "pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.inotify = inotify
        self.stopPipe = (fds[0], fds[1])
        let (stopRead, target) = (fds[0], Array(name.utf8))
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            var waits = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
            while true {
                guard poll(&waits, 2, -1) >= 0 || errno == EINTR else { break }
                if waits[1].revents != 0 { break }
                var matched = false
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                    guard count > 0 else { break }
                    matched = matched || Self.names(in: buffer[0..<count]).contains(target)
                }
                if matched { changed() }
            }
            close(inotify)
            close(stopRead)
        }
        thread.name = "polytope-sqlite-watch"
        thread.start()
    }

    /// Stops watching (no notification for later writes) until `resume()`.
    func pause() {
        watching.withLock { descriptor in
            if let watch = descriptor { _ = inotify_rm_watch(inotify, watch) }
            descriptor = nil
        }
    }

    /// Watches again after `pause()`.
    func resume() throws {
        try watching.withLock { descriptor in
            if descriptor == nil { descriptor = try Self.addWatch(inotify, directory) }
        }
    }

    private static func addWatch(_ inotify: Int32, _ directory: String) throws -> Int32 {
        let descriptor = inotify_add_watch(inotify, directory, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO))
        guard descriptor >= 0 else {
            throw PolytopeError(.internalError, "inotify_add_watch \(directory): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Ends the thread (it closes the watch).
    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        close(stopPipe.write)
    }

    /// The file names of the inotify events in `bytes`.
    static func names(in bytes: ArraySlice<UInt8>) -> [[UInt8]] {
        var names: [[UInt8]] = []
        var offset = bytes.startIndex
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= bytes.endIndex {
            let length = bytes[(offset + 12)..<(offset + 16)].withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self)) }
            let nameBytes = bytes[(offset + header)..<min(offset + header + length, bytes.endIndex)]
            names.append(Array(nameBytes.prefix { $0 != 0 }))
            offset += header + length
        }
        return names
    }
}
