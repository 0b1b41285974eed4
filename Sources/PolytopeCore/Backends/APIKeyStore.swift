import Foundation

/// An API key as stored: the key itself is never kept, only its SHA-256.
package struct APIKeyRecord: Sendable, Hashable {
    /// The label of the keys that hold sessions of the web page (`polytope keys list` shows them).
    package static let webSessionLabel = "web session"

    /// The label of a web page session: `web session`, or `web session via key <id>` for one
    /// started with API key `id` (which ends with that key: `KeyAdministration.revoke`).
    package static func webSessionLabel(startedWithKey id: String?) -> String {
        id.map { "\(webSessionLabel) via key \($0)" } ?? webSessionLabel
    }

    /// Whether the key holds a session of the web page.
    package var isWebSession: Bool { label == Self.webSessionLabel || label.hasPrefix(Self.webSessionLabel + " via key ") }

    /// A public name of the key, for listing and revoking (not a secret).
    package var id: String
    /// Hex SHA-256 of the key.
    package var keyHash: String
    /// The user the key authenticates as (a snapshot taken when it was issued).
    package var user: User
    package var label: String
    package var createdAt: Date
    package var expiresAt: Date
    package var revokedAt: Date?

    package init(id: String, keyHash: String, user: User, label: String, createdAt: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.keyHash = keyHash
        self.user = user
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the key may be used at `date`.
    package func isUsable(at date: Date) -> Bool {
        revokedAt == nil && date < expiresAt
    }
}

/// Where API keys live (the request store's database, so every process sees the same keys).
package protocol APIKeyStore: Sendable {
    func insertAPIKey(_ key: APIKeyRecord) async throws
    /// The key with this hash, usable or not.
    func apiKey(withHash hash: String) async throws -> APIKeyRecord?
    /// Keys of one user, or of everyone, newest first.
    func apiKeys(ofUser username: String?) async throws -> [APIKeyRecord]
    /// Revokes a key; returns false if there is no such key (or it was already revoked).
    func revokeAPIKey(id: String, at now: Date) async throws -> Bool
}
