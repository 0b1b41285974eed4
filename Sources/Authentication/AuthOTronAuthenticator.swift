import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import Logging
import NIOCore
import NIOHTTP1
import PolytopeCore
import Synchronization

/// Delegates authentication to ECMWF's Auth-o-tron.
///
/// The caller's credential is forwarded as `Authorization` to `<url>/authenticate` (GET). On
/// 200, the response's `Authorization: Bearer <jwt>` carries an RS256 token whose signature is
/// checked against the configured public keys (chosen by the token's `kid`); the algorithm
/// is pinned to RS256, and `iss`, `aud` and `exp` must be right. The user is built from the
/// claims `username`, `realm`, `roles` and `attributes`. Successful results are cached for
/// `cacheDuration`, keyed on a hash of the credential; the credential itself is not kept.
package final class AuthOTronAuthenticator: Authenticator {
    /// Settings of the Auth-o-tron connection.
    package struct Configuration: Sendable {
        /// Base URL of Auth-o-tron; `/authenticate` is appended.
        package var url: String
        /// RSA public keys (PEM) by key id.
        package var publicKeys: [String: String]
        /// The required `iss` claim.
        package var issuer: String
        /// The required `aud` claim (one of the token's audiences).
        package var audience: String
        package var cacheDuration: Duration
        package var timeout: Duration
        /// The schemes forwarded to Auth-o-tron.
        package var schemes: [String]

        package init(
            url: String, publicKeys: [String: String], issuer: String, audience: String, cacheDuration: Duration = .seconds(60),
            timeout: Duration = .seconds(10), schemes: [String] = ["Bearer", "EmailKey", "Basic"]
        ) {
            self.url = url
            self.publicKeys = publicKeys
            self.issuer = issuer
            self.audience = audience
            self.cacheDuration = cacheDuration
            self.timeout = timeout
            self.schemes = schemes
        }
    }

    /// Why a token from Auth-o-tron was refused (logged, never shown to users).
    package struct TokenRejected: Error, CustomStringConvertible {
        package var description: String
    }

    let configuration: Configuration
    let keys: JWTKeyCollection
    let httpClient: HTTPClient
    let wallClock: any WallClock
    let logger: Logger
    private let cache = Mutex<[String: (user: User, until: Date)]>([:])
    private static let maximumCacheEntries = 10_000

    /// - Throws: if a public key cannot be read.
    package init(configuration: Configuration, httpClient: HTTPClient, wallClock: any WallClock = SystemWallClock(), logger: Logger)
        async throws
    {
        self.configuration = configuration
        self.httpClient = httpClient
        self.wallClock = wallClock
        self.logger = logger
        let keys = JWTKeyCollection()
        for (kid, pem) in configuration.publicKeys {
            await keys.add(rsa: try Insecure.RSA.PublicKey(pem: pem), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        }
        self.keys = keys
    }

    package var name: String { "auth-o-tron" }
    package var schemes: [String] { configuration.schemes }

    /// The cache's key of a credential: a hash, so that the credential itself is not kept.
    private static func cacheKey(of credential: Credential) -> String {
        Hex.encode(SHA256.hash(data: Array("\(credential.scheme) \(credential.value)".utf8)))
    }

    package func rememberedUser(_ credential: Credential) -> User? {
        guard configuration.schemes.contains(where: credential.isScheme) else { return nil }
        let now = wallClock.now()
        guard let cached = cache.withLock({ $0[Self.cacheKey(of: credential)] }), cached.until > now else { return nil }
        return cached.user
    }

    package func authenticate(_ credential: Credential) async throws -> User? {
        guard configuration.schemes.contains(where: credential.isScheme) else { return nil }
        if let user = rememberedUser(credential) { return user }
        let header = "\(credential.scheme) \(credential.value)"
        let cacheKey = Self.cacheKey(of: credential)
        let now = wallClock.now()

        var request = HTTPClientRequest(url: configuration.url.trimmingSuffix("/") + "/authenticate")
        request.method = .GET
        request.headers.add(name: "Authorization", value: header)
        let response = try await httpClient.execute(request, timeout: .nanoseconds(configuration.timeout.nanoseconds))
        _ = try? await response.body.collect(upTo: 64 * 1024)
        switch response.status.code {
        case 200:
            break
        case 401, 403:
            return nil
        default:
            throw PolytopeError(.unavailable, "Auth-o-tron answered \(response.status.code)")
        }
        guard let authorization = response.headers.first(name: "Authorization"), authorization.hasPrefix("Bearer ") else {
            logger.error("Auth-o-tron answered 200 without a bearer token")
            throw PolytopeError(.unavailable, "Auth-o-tron answered without a token")
        }
        do {
            let (user, expiry) = try await verify(token: String(authorization.dropFirst("Bearer ".count)), at: now)
            remember(user, for: cacheKey, until: min(now.addingTimeInterval(configuration.cacheDuration.timeInterval), expiry), now: now)
            return user
        } catch let error as TokenRejected {
            logger.error("token from Auth-o-tron refused", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// Checks a token's header, signature and claims; returns its user.
    /// The user of a token from Auth-o-tron, and when the token expires.
    func verify(token: String, at now: Date) async throws -> (User, expiry: Date) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URLEncoded: String(parts[0])),
            let header = try? JSONDecoder().decode(TokenHeader.self, from: headerData)
        else { throw TokenRejected(description: "not a JWT") }
        guard header.alg == "RS256" else { throw TokenRejected(description: "algorithm \(header.alg) is not RS256") }
        guard let kid = header.kid, configuration.publicKeys[kid] != nil else {
            throw TokenRejected(description: "unknown key id \(header.kid ?? "(none)")")
        }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            throw TokenRejected(description: "signature or claims invalid: \(error)")
        }
        guard claims.iss.value == configuration.issuer else { throw TokenRejected(description: "issuer \(claims.iss.value)") }
        guard claims.aud.value.contains(configuration.audience) else { throw TokenRejected(description: "audience \(claims.aud.value)") }
        guard claims.exp.value > now else { throw TokenRejected(description: "token past its expiry time") }
        let username = claims.username ?? claims.sub.value
        guard !username.isEmpty else { throw TokenRejected(description: "no username") }
        let user = User(username: username, realm: claims.realm ?? "auth-o-tron", roles: claims.roles ?? [], attributes: claims.attributes ?? [:])
        return (user, claims.exp.value)
    }

    /// Remembers a success until `until`: the cache's duration, but never past the token's expiry.
    private func remember(_ user: User, for key: String, until: Date, now: Date) {
        cache.withLock { cache in
            if cache.count >= Self.maximumCacheEntries {
                cache = cache.filter { $0.value.until > now }
                if cache.count >= Self.maximumCacheEntries { cache.removeAll() }
            }
            cache[key] = (user, until)
        }
    }

    struct TokenHeader: Decodable {
        var alg: String
        var kid: String?
    }

    /// The claims Auth-o-tron puts in its tokens.
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var iss: IssuerClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim?
        var username: String?
        var realm: String?
        var roles: [String]?
        var attributes: [String: String]?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }
}

extension Data {
    /// Decodes base64url without padding, as in JWTs.
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
