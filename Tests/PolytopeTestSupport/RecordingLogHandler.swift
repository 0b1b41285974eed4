import Logging
import Synchronization

/// Log lines a test can inspect: a `Logger` (`logger`) whose messages at `level` and above
/// are kept in `messages`.
package final class LogRecording: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    package init() {}

    /// A logger that records here.
    package func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(recording: self) }
        logger.logLevel = level
        return logger
    }

    /// The messages recorded at `level`.
    package func messages(at level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    private struct Handler: LogHandler {
        let recording: LogRecording
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recording.lines.withLock { $0.append((event.level, "\(event.message)")) }
        }
    }
}
