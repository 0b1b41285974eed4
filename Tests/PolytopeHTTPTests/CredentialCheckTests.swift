import MetricsTestKit
import PolytopeCore
import PolytopeHTTP
import Synchronization
import Testing

@Suite("Checking credentials")
struct CredentialCheckTests {
    /// Accepts nothing, and counts how often it was asked (a password hash each, in the server).
    final class Costly: Authenticator {
        let checks = Atomic<Int>(0)
        var name: String { "plain" }
        var schemes: [String] { ["Basic"] }
        func authenticate(_ credential: Credential) async throws -> User? {
            checks.add(1, ordering: .relaxed)
            return nil
        }
    }

    /// Remembers one credential's user, as Auth-o-tron's cache does.
    struct Remembering: Authenticator {
        let remembered: Credential
        var name: String { "auth-o-tron" }
        var schemes: [String] { ["Basic", "Bearer"] }
        func authenticate(_ credential: Credential) async throws -> User? { nil }
        func rememberedUser(_ credential: Credential) -> User? {
            credential == remembered ? User(username: "dana", realm: "ecmwf") : nil
        }
    }

    @Test("a user another authenticator remembers does not cost the costly check")
    func rememberedFirst() async throws {
        let credential = Credential(scheme: "Basic", value: "ZGFuYTpwdw==")
        let costly = Costly()
        let middleware = AuthenticationMiddleware(authenticators: [costly, Remembering(remembered: credential)])
        for _ in 0..<5 {
            let (user, by) = try await middleware.verify([credential], address: "10.0.0.1")
            #expect(user.username == "dana" && by == "auth-o-tron")
        }
        #expect(costly.checks.load(ordering: .relaxed) == 0)
        _ = try? await middleware.verify([Credential(scheme: "Basic", value: "b3RoZXI6cHc=")], address: "10.0.0.1")
        #expect(costly.checks.load(ordering: .relaxed) == 1, "a credential nobody remembers is checked as before")
    }

    @Test("failures are counted by the schemes this server accepts; made-up ones add no metric series")
    func failureLabels() async throws {
        let metrics = TestMetrics()
        let middleware = AuthenticationMiddleware(
            authenticators: [Costly()], metrics: PolytopeMetrics(factory: metrics))
        for index in 0..<3 {
            let credentials = [Credential(scheme: "Basic", value: "eDp5"), Credential(scheme: "Xattack\(index)", value: "a")]
            await #expect(throws: AuthenticationFailure.self) { try await middleware.verify(credentials, address: nil) }
        }
        let schemes = Set(metrics.counters(label: "polytope_auth_failures_total").flatMap { $0.dimensions.map(\.1) })
        #expect(schemes == ["basic", "other"])
    }
}
