import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies the write-ahead log into the database file in the background, so that no
/// submission waits for it.
///
/// Used with `Configuration.checkpointsInBackground`: commits then only append to the WAL
/// (one sequential write), and this service runs a passive checkpoint several times a
/// second on its own connection. A passive checkpoint never blocks writers; once it has
/// copied everything, the next commit starts the log over (and `journal_size_limit` keeps
/// the file from staying large). Requires `run()` to be running, or the WAL grows.
package struct SQLiteCheckpointer: Service {
    let path: String
    let interval: Duration
    let logger: Logger

    package init(path: String, interval: Duration = .milliseconds(250), logger: Logger) {
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "polytope.checkpointer"
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await connection.writeWithoutTransaction { db in
                    _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
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
