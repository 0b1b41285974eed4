import Foundation

/// A PostgreSQL server for tests: `POLYTOPE_TEST_POSTGRES_URL` if set (the test command
/// starts one), otherwise a private instance started on first use with
/// `scripts/test-postgres` and stopped when the test process exits.
package enum PostgresTestServer {
    private static let server = ScriptedTestServer(script: "test-postgres")

    /// The connection URL of the server, starting it if needed.
    package static func url() async throws -> String {
        if let url = ProcessInfo.processInfo.environment["POLYTOPE_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        return try await server.lines()[0]
    }

    /// A fresh, empty schema name for one test.
    package static func freshSchema() -> String {
        "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }
}
