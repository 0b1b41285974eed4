import Foundation

/// An S3-compatible store for tests: the one named by `POLYTOPE_TEST_S3_ENDPOINT`,
/// `POLYTOPE_TEST_S3_ACCESS_KEY` and `POLYTOPE_TEST_S3_SECRET_KEY` if set (the test command
/// starts one), otherwise a private SeaweedFS started on first use with
/// `scripts/test-seaweedfs` and stopped when the test process exits. The bucket is `polytope`.
package enum S3TestServer {
    private static let server = ScriptedTestServer(script: "test-seaweedfs")

    /// Where the store is and how to sign for it.
    package struct Endpoint: Sendable {
        package var url: String
        package var accessKey: String
        package var secretKey: String
        package var bucket = "polytope"
    }

    package static func endpoint() async throws -> Endpoint {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["POLYTOPE_TEST_S3_ENDPOINT"], !url.isEmpty {
            return Endpoint(
                url: url, accessKey: environment["POLYTOPE_TEST_S3_ACCESS_KEY"] ?? "", secretKey: environment["POLYTOPE_TEST_S3_SECRET_KEY"] ?? ""
            )
        }
        let lines = try await server.lines()
        guard lines.count >= 4 else { throw TestFailure(description: "scripts/test-seaweedfs printed \(lines)") }
        return Endpoint(url: lines[0], accessKey: lines[2], secretKey: lines[3])
    }

    /// A fresh key prefix, so that each test sees an empty store.
    package static func freshPrefix() -> String {
        "test-\(UUID().uuidString.lowercased())/"
    }
}
