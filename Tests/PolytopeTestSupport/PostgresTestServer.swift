import Foundation
import Synchronization

/// A PostgreSQL server for tests: `POLYTOPE_TEST_POSTGRES_URL` if set (the test command
/// starts one), otherwise a private instance started on first use with
/// `scripts/test-postgres` and stopped when the test process exits.
public enum PostgresTestServer {
    private static let starter = Starter()

    /// The connection URL of the server, starting it if needed.
    public static func url() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["POLYTOPE_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        return try await starter.url()
    }

    /// A fresh, empty schema name for one test.
    public static func freshSchema() -> String {
        "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// Starts the private instance once, however many tests ask at the same time.
    private actor Starter {
        private var started: Task<String, any Error>?

        func url() async throws -> String {
            if let started { return try await started.value }
            // An unstructured task on purpose: it is shared by every test that asks, and
            // must not be cancelled with the first one.
            let task = Task.detached { try Self.start() }
            started = task
            return try await task.value
        }

        /// Runs the script with `system` (it waits for and reaps the script itself; Foundation's
        /// `Process` did not notice the script ending inside the test runner). Output goes to a
        /// file: the server the script starts keeps any inherited pipe open.
        private static func start() throws -> String {
            let outputPath = NSTemporaryDirectory() + "polytope-test-postgres-\(UUID().uuidString).txt"
            defer { try? FileManager.default.removeItem(atPath: outputPath) }
            let status = system("'\(scriptPath)' start > '\(outputPath)' < /dev/null")
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n").map(String.init)
            guard status == 0, lines.count >= 2 else {
                throw TestFailure(description: "could not start PostgreSQL with \(scriptPath) (status \(status))")
            }
            directory.withLock { $0 = lines[1] }
            atexit {
                guard let directory = PostgresTestServer.directory.withLock({ $0 }) else { return }
                _ = system("'\(scriptPath)' stop '\(directory)' > /dev/null 2>&1")
            }
            return lines[0]
        }
    }

    /// The private instance's directory, for stopping it at exit.
    fileprivate static let directory = Mutex<String?>(nil)
}

/// `scripts/test-postgres` of this repository.
private let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/test-postgres").path
