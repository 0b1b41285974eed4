import Foundation

/// One credential from an `Authorization` header: `Basic dXNlcjpwYXNz` → scheme `Basic`.
package struct Credential: Sendable, Hashable {
    /// The scheme as the client wrote it.
    package var scheme: String
    package var value: String

    package init(scheme: String, value: String) {
        self.scheme = scheme
        self.value = value
    }

    /// Whether the scheme is `name`, ignoring case.
    package func isScheme(_ name: String) -> Bool { scheme.lowercased() == name.lowercased() }

    /// Splits an `Authorization` header into credentials. polytope-client joins several
    /// with `", "` (`EmailKey a@b:KEY, Basic dXNl...`).
    package static func parse(header: String) -> [Credential] {
        header.split(separator: ",").compactMap { part in
            let trimmed = part.trimmed
            guard let space = trimmed.firstIndex(of: " ") else {
                return trimmed.isEmpty ? nil : Credential(scheme: trimmed, value: "")
            }
            return Credential(
                scheme: String(trimmed[..<space]),
                value: trimmed[space...].trimmed
            )
        }
    }
}

/// Checks credentials of one or more schemes.
///
/// Implementations: plain users from the configuration (Basic); later API keys and Auth-o-tron.
package protocol Authenticator: Sendable {
    /// A short name for logs and for telling how a user was authenticated (`plain`, `api-key`, ...).
    var name: String { get }

    /// The schemes this authenticator understands, as written in `WWW-Authenticate`.
    var schemes: [String] { get }

    /// The user the credential belongs to, or nil if it is not valid.
    /// - Throws: only when the check itself could not be done (a provider is unreachable).
    func authenticate(_ credential: Credential) async throws -> User?
}

/// Issues API keys (`POST /api/v1/auth/keys`, `polytope login`).
package protocol APIKeyIssuing: Sendable {
    /// A new key for `user`, shown to them once, and when it expires.
    func issueKey(for user: User, label: String) async throws -> (key: String, record: APIKeyRecord)
}
