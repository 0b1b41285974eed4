import AsyncHTTPClient
import Authentication
import CryptoExtras
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import PolytopeCore
import PolytopeTestSupport
import Synchronization
import Testing

/// A stand-in for Auth-o-tron that implements its contract: `GET /authenticate` with the
/// caller's `Authorization`; 200 with `Authorization: Bearer <RS256 JWT>` for the credential
/// `Bearer good`, 401 otherwise, 500 for `Bearer broken`.
final class AuthOTronStub: Sendable {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var username: String
        var realm: String
        var roles: [String]
        var attributes: [String: String]

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    let signingKeys = JWTKeyCollection()
    let publicKeyPEM: String
    let calls = Atomic<Int>(0)

    /// Token settings the stub uses; tests change them to make bad tokens.
    struct Token: Sendable {
        var kid = "test-key"
        var issuer = "auth-o-tron"
        var audience = "polytope"
        var lifetime: TimeInterval = 300
        var hmac = false
    }

    /// One key for all tests: generating RSA keys is slow.
    static let privateKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    init() async throws {
        let privateKey = Self.privateKey
        publicKeyPEM = privateKey.publicKey.pemRepresentation
        await signingKeys.add(rsa: try Insecure.RSA.PrivateKey(backing: privateKey), digestAlgorithm: .sha256, kid: "test-key")
        await signingKeys.add(rsa: try Insecure.RSA.PrivateKey(backing: privateKey), digestAlgorithm: .sha256, kid: "other-key")
        await signingKeys.add(hmac: HMACKey(from: Array(publicKeyPEM.utf8)), digestAlgorithm: .sha256, kid: "hmac")
    }

    func token(_ settings: Token) async throws -> String {
        let now = Date()
        let claims = Claims(
            sub: "user-123", iss: IssuerClaim(value: settings.issuer), aud: AudienceClaim(value: [settings.audience]),
            exp: ExpirationClaim(value: now.addingTimeInterval(settings.lifetime)), iat: IssuedAtClaim(value: now),
            username: "jdoe", realm: "ecmwf", roles: ["default", "admin"], attributes: ["email": "jdoe@example.int"]
        )
        var header = JWTHeader()
        header.kid = settings.hmac ? "hmac" : settings.kid
        var token = try await signingKeys.sign(claims, kid: JWKIdentifier(string: settings.hmac ? "hmac" : settings.kid))
        if settings.hmac {
            // Claim the RSA key's id with an HMAC signature: an algorithm-confusion attempt.
            let parts = token.split(separator: ".")
            let forgedHeader = Data(#"{"alg":"HS256","kid":"test-key","typ":"JWT"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            token = "\(forgedHeader).\(parts[1]).\(parts[2])"
        }
        return token
    }

    /// Runs the stub on a free loopback port while `body` runs.
    func run(token settings: Token, _ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        let token = try await self.token(settings)
        router.get("authenticate") { request, _ -> Response in
            self.calls.add(1, ordering: .relaxed)
            switch request.headers[.authorization] {
            case "Bearer good": return Response(status: .ok, headers: [.authorization: "Bearer \(token)"])
            case "Bearer broken": return Response(status: .internalServerError)
            case "Bearer tokenless": return Response(status: .ok)
            default: return Response(status: .unauthorized)
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}

@Suite("Auth-o-tron authenticator")
struct AuthOTronAuthenticatorTests {
    func authenticator(url: String, stub: AuthOTronStub, timeout: Duration = .seconds(10)) async throws -> AuthOTronAuthenticator {
        try await AuthOTronAuthenticator(
            configuration: .init(
                url: url, publicKeys: ["test-key": stub.publicKeyPEM], issuer: "auth-o-tron", audience: "polytope", timeout: timeout
            ),
            httpClient: .shared,
            logger: Logger.quiet
        )
    }

    @Test("a valid token gives the user of its claims, and is cached")
    func validToken() async throws {
        let stub = try await AuthOTronStub()
        try await stub.run(token: .init()) { url in
            let authenticator = try await authenticator(url: url, stub: stub)
            let user = try #require(try await authenticator.authenticate(Credential(scheme: "Bearer", value: "good")))
            #expect(user.username == "jdoe" && user.realm == "ecmwf" && user.roles == ["default", "admin"])
            #expect(user.attributes["email"] == "jdoe@example.int")
            _ = try await authenticator.authenticate(Credential(scheme: "Bearer", value: "good"))
            #expect(stub.calls.load(ordering: .relaxed) == 1, "the second check is answered from the cache")
            #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: "bad")) == nil)
            #expect(stub.calls.load(ordering: .relaxed) == 2, "refusals are not cached")
        }
    }

    @Test("a cached success lasts no longer than its token, however long the cache")
    func cacheEndsWithTheToken() async throws {
        let stub = try await AuthOTronStub()
        // Started before the token is made: the token (300 s) ends at least 300 s after this.
        let clock = ManualClock(date: Date())
        try await stub.run(token: .init(lifetime: 300)) { url in
            let authenticator = try await AuthOTronAuthenticator(
                configuration: .init(
                    url: url, publicKeys: ["test-key": stub.publicKeyPEM], issuer: "auth-o-tron", audience: "polytope",
                    cacheDuration: .seconds(3600)),
                httpClient: .shared, wallClock: clock.wallClock, logger: Logger.quiet)
            let credential = Credential(scheme: "Bearer", value: "good")
            #expect(try await authenticator.authenticate(credential) != nil)
            clock.advance(by: .seconds(299))
            #expect(authenticator.rememberedUser(credential) != nil)
            // Well past the token (however late it was made), well within the cache's hour.
            clock.advance(by: .seconds(1500))
            #expect(authenticator.rememberedUser(credential) == nil, "the token expired: Auth-o-tron is asked again")
            _ = try await authenticator.authenticate(credential)
            #expect(stub.calls.load(ordering: .relaxed) == 2)
        }
    }

    @Test(
        "tokens that are not exactly right are refused",
        arguments: [
            ("unknown key id", AuthOTronStub.Token(kid: "other-key")),
            ("wrong issuer", AuthOTronStub.Token(issuer: "someone-else")),
            ("wrong audience", AuthOTronStub.Token(audience: "another-service")),
            ("past its expiry", AuthOTronStub.Token(lifetime: -10)),
            ("HS256 with the RSA key's id", AuthOTronStub.Token(hmac: true)),
        ]
    )
    func refusedTokens(_ name: String, _ token: AuthOTronStub.Token) async throws {
        let stub = try await AuthOTronStub()
        try await stub.run(token: token) { url in
            let authenticator = try await authenticator(url: url, stub: stub)
            #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: "good")) == nil, "\(name)")
        }
    }

    @Test("an Auth-o-tron failure is an outage, not a refusal")
    func outage() async throws {
        let stub = try await AuthOTronStub()
        try await stub.run(token: .init()) { url in
            let authenticator = try await authenticator(url: url, stub: stub)
            await #expect(throws: PolytopeError.self) { try await authenticator.authenticate(Credential(scheme: "Bearer", value: "broken")) }
            await #expect(throws: PolytopeError.self) { try await authenticator.authenticate(Credential(scheme: "Bearer", value: "tokenless")) }
        }
        let unreachable = try await authenticator(url: "http://127.0.0.1:1", stub: stub, timeout: .seconds(2))
        await #expect(throws: (any Error).self) { try await unreachable.authenticate(Credential(scheme: "Bearer", value: "good")) }
    }
}
