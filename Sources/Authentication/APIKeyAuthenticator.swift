import Crypto
import Foundation
import PolytopeCore

/// API keys: `Authorization: Bearer <key>` or `EmailKey <email>:<key>` (polytope-client
/// sends the latter when it knows the user's e-mail).
///
/// Keys are issued by `POST /api/v1/auth/keys` (`polytope login`) or by an operator
/// (`polytope keys create`); only their SHA-256 is stored, so a copy of the database does not
/// reveal them. A key expires, can be revoked, and authenticates as the user it was issued
/// to, as that user is *now* (`UserDirectory`): a key of a configured user gets their current
/// roles and attributes, and is refused once the user is removed or disabled; a key of a
/// user from elsewhere (Auth-o-tron) keeps the roles it was issued with.
package struct APIKeyAuthenticator: Authenticator, APIKeyIssuing {
    /// Settings of API keys.
    package struct Configuration: Sendable {
        /// How long an issued key is valid.
        package var lifetime: Duration

        package init(lifetime: Duration = .seconds(365 * 86_400)) {
            self.lifetime = lifetime
        }
    }

    let store: any APIKeyStore
    let directory: any UserDirectory
    let configuration: Configuration
    let wallClock: any WallClock
    /// When set, only the web page's sessions authenticate (its own check, also while API
    /// keys are turned off).
    let onlyWebSessions: Bool

    package init(
        store: any APIKeyStore, directory: any UserDirectory, configuration: Configuration = Configuration(),
        wallClock: any WallClock = SystemWallClock(), acceptingOnlyWebSessions onlyWebSessions: Bool = false
    ) {
        self.store = store
        self.directory = directory
        self.configuration = configuration
        self.wallClock = wallClock
        self.onlyWebSessions = onlyWebSessions
    }

    package var name: String { "api-key" }
    package var schemes: [String] { ["Bearer", "EmailKey"] }

    package func authenticate(_ credential: Credential) async throws -> User? {
        let key: String
        var email: String?
        if credential.isScheme("Bearer") {
            key = credential.value
        } else if credential.isScheme("EmailKey"), let colon = credential.value.lastIndex(of: ":") {
            email = String(credential.value[..<colon])
            key = String(credential.value[credential.value.index(after: colon)...])
        } else {
            return nil
        }
        guard !key.isEmpty, key.utf8.count <= 256, let record = try await store.apiKey(withHash: Self.hash(key)),
            record.isUsable(at: wallClock.now()), !onlyWebSessions || record.isWebSession
        else { return nil }
        let user: User
        switch directory.standing(of: record.user) {
        case .current(let current): user = current
        case .unmanaged: user = record.user
        case .removed, .disabled: return nil
        }
        if let email, let known = user.attributes["email"], known.lowercased() != email.lowercased() {
            return nil
        }
        return user
    }

    /// Issues a new key for `user`; returns the key (shown once) and its record. Keys are
    /// base64url, so they never contain `:` (cdsapi picks the CDS / OGC API - Processes
    /// protocol only for such keys).
    package func issueKey(for user: User, label: String, lifetime: Duration?) async throws -> (key: String, record: APIKeyRecord) {
        let key = Self.randomToken(bytes: 32)
        let now = wallClock.now()
        let record = APIKeyRecord(
            id: Self.randomToken(bytes: 9),
            keyHash: Self.hash(key),
            user: user,
            label: label,
            createdAt: now,
            expiresAt: now.addingTimeInterval((lifetime ?? configuration.lifetime).timeInterval)
        )
        try await store.insertAPIKey(record)
        return (key, record)
    }

    package func record(ofKey key: String) async throws -> APIKeyRecord? {
        guard !key.isEmpty, key.utf8.count <= 256 else { return nil }
        return try await store.apiKey(withHash: Self.hash(key))
    }

    package func revokeOldSessions(of user: User, keeping: Int) async throws -> Int {
        let now = wallClock.now()
        let sessions = try await store.apiKeys(ofUser: user.username).filter {
            $0.isWebSession && $0.user.realm == user.realm && $0.isUsable(at: now)
        }
        var revoked = 0
        for session in sessions.sorted(by: { $0.createdAt > $1.createdAt }).dropFirst(keeping) {
            if try await store.revokeAPIKey(id: session.id, at: now) { revoked += 1 }
        }
        return revoked
    }

    package func revokeKey(_ key: String) async throws {
        guard !key.isEmpty, key.utf8.count <= 256, let record = try await store.apiKey(withHash: Self.hash(key)),
            record.isUsable(at: wallClock.now())
        else { return }
        _ = try await store.revokeAPIKey(id: record.id, at: wallClock.now())
    }

    /// Hex SHA-256 of a key.
    package static func hash(_ key: String) -> String {
        Hex.encode(SHA256.hash(data: Array(key.utf8)))
    }

    /// URL-safe random text carrying `bytes` random bytes.
    static func randomToken(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(random)
    }
}
