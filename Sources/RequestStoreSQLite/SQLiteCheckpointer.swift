import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log into the database file in the background, so that no
/// submission waits for it.
///
/// Used with `Configuration.checkpointsInBackground`: commits then only append to the WAL
/// (one sequential write), and this service runs a passive checkpoint several times a
/// second on its own connection. A passive checkpoint never blocks writers; if the log still
/// grows past `truncateAbove` (say, under a burst), a truncating checkpoint waits briefly for
/// a quiet moment and resets it. Requires `run()` to be running, or the WAL grows.
public struct SQLiteCheckpointer: Service {
    let path: String
    let interval: Duration
    let truncateAbove: Int64
    let logger: Logger

    public init(path: String, interval: Duration = .milliseconds(250), truncateAbove: Int64 = 64 << 20, logger: Logger) {
        self.path = path
        self.interval = interval
        self.truncateAbove = truncateAbove
        self.logger = logger
    }

    public func run() async throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "polytope.checkpointer"
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        let walPath = path + "-wal"
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let walSize = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int64) ?? 0
                let mode = walSize > truncateAbove ? "TRUNCATE" : "PASSIVE"
                try await connection.writeWithoutTransaction { db in
                    _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(\(mode))")
                }
            } catch {
                logger.warning("WAL checkpoint failed; will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
        // Leave the log folded into the database for whoever opens it next.
        try? await connection.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }
}
