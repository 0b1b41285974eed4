import Foundation
import Logging
import PolytopeCore
import Synchronization

/// How log lines are written.
package enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-29T10:43:16+0000 info polytope: request-id=... message`
    case text
    /// One JSON object per line, for log collectors.
    case json

    /// Makes log handlers of this format writing to standard error.
    package func makeHandler(label: String, level: Logger.Level) -> any LogHandler {
        var handler: any LogHandler
        switch self {
        case .text: handler = TextLogHandler(label: label)
        case .json: handler = JSONLogHandler(label: label)
        }
        handler.logLevel = level
        return handler
    }
}

/// Writes each event as one line of text, exactly as swift-log's `StreamLogHandler` does
/// (`2026-11-29T10:43:16+0000 info polytope: request-id=... [Module] message`), but lays the
/// metadata out only when a line is written. Every request adds metadata to its logger (its
/// id, its user) whether or not anything is logged, and the stream handler lays all of it out
/// anew at each addition: a few percent of a submission's CPU.
package struct TextLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = logLevel
        stream.metadata = metadata
        stream.log(event: event)
    }
}

/// Writes each event as one JSON object: `{"time":...,"level":"info","label":...,"message":...,"request-id":...}`.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    package let label: String
    private static let output = Mutex(FileHandle.standardError)
    /// Milliseconds: events of one request are often within the same second.
    private static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["time"] = Date().formatted(Self.time)
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        // Written directly (keys sorted): no formatter or encoder is made per line.
        let bytes = Data((JSONText.object(sortingKeysOf: fields) + "\n").utf8)
        Self.output.withLock { $0.write(bytes) }
    }
}
