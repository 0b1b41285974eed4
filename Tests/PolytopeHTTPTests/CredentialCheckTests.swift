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

    /// Refuses every credential it is given as genuine but not admitted, as a peer's
    /// authenticator does for a user it may not forward; or accepts one user as given.
    struct Refusing: Authenticator {
        var accepts: User?
        var name: String { "peer" }
        var schemes: [String] { ["PolytopePeer"] }
        func authenticate(_ credential: Credential) async throws -> User? {
            if let accepts { return accepts }
            throw CredentialRefused("User 'mallory' of realm 'local' is not known to this server.")
        }
    }

    @Test("a genuine credential refused for its user is a 401 with the reason and does not count against the address")
    func refusedIsNotAFailedSignIn() async throws {
        let middleware = AuthenticationMiddleware(authenticators: [Refusing(accepts: nil)])
        let credential = Credential(scheme: "PolytopePeer", value: "site-b:secret:e30")
        for _ in 0..<100 {
            await #expect {
                try await middleware.verify([credential], address: "10.0.0.2")
            } throws: { error in
                (error as? AuthenticationFailure)?.message == "User 'mallory' of realm 'local' is not known to this server."
            }
        }
    }

    @Test("a user whose requests could not be told apart from another realm's is a 401, not 503")
    func unservableUser() async throws {
        let middleware = AuthenticationMiddleware(authenticators: [Refusing(accepts: User(username: "a/b", realm: "local"))])
        await #expect(throws: AuthenticationFailure.self) {
            try await middleware.verify([Credential(scheme: "PolytopePeer", value: "x")], address: nil)
        }
    }
}
