import Foundation
import Logging
import NIOCore
import PolytopeCore

/// Builders for test data.
package enum Fixtures {
    package static let alice = User(username: "alice", roles: ["default"])
    package static let bob = User(username: "bob", roles: ["default", "admin"])

    /// A waiting request of `user` in `collection`, created at `date`.
    package static func record(
        user: User = alice,
        collection: String = "debug",
        datasource: String = "echo",
        text: String = "datasource: echo",
        at date: Date = Date(timeIntervalSince1970: 1_800_000_000)
    ) -> RequestRecord {
        RequestRecord(
            user: user, verb: .retrieve, collection: collection, datasource: datasource, requestText: text,
            normalisedRequest: RequestDocument(fields: [.init(key: "datasource", value: .list([datasource]))]),
            createdAt: date
        )
    }
}

/// A sink that keeps everything written to it, for datasource tests.
package final class CollectingSink: ByteSink, @unchecked Sendable {
    package private(set) var buffers: [ByteBuffer] = []

    package init() {}

    package func write(_ buffer: ByteBuffer) async throws {
        buffers.append(buffer)
    }

    package var bytes: [UInt8] { buffers.flatMap { Array($0.readableBytesView) } }
    package var byteCount: Int { buffers.reduce(0) { $0 + $1.readableBytes } }
    package var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A datasource that waits on a latch before producing its output, so tests can hold a
/// request in `processing` as long as they need.
package struct GatedDatasource: Datasource {
    package let gate: Latch
    package let started: WakeSignal
    package let prefix: String
    package let output: String

    /// Writes `prefix`, signals `started`, waits for `gate`, then writes `output`.
    package init(gate: Latch = Latch(), started: WakeSignal = WakeSignal(), prefix: String = "", output: String = "gated") {
        self.gate = gate
        self.started = started
        self.prefix = prefix
        self.output = output
    }

    package func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        if !prefix.isEmpty { try await output.write(ByteBuffer(string: prefix)) }
        started.signal()
        await gate.wait()
        try Task.checkCancellation()
        try await output.write(ByteBuffer(string: self.output))
    }
}

/// Waits until `condition` holds, checking every few milliseconds; fails after `timeout`.
package func eventually(
    timeout: Duration = .seconds(10),
    _ description: String = "condition",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimeoutError(description: "timed out after \(timeout) waiting for \(description)")
}

/// A test helper met something it did not expect.
package struct TestFailure: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}

/// A wait in a test took too long.
package struct TimeoutError: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}

extension Logger {
    /// A logger for tests that writes nothing (set `POLYTOPE_TEST_LOGS=1` to see the logs).
    package static var quiet: Logger {
        if ProcessInfo.processInfo.environment["POLYTOPE_TEST_LOGS"] == "1" { return Logger(label: "test") }
        return Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
