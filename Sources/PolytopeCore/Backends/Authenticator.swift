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

    /// The most credentials one `Authorization` header may carry; polytope-client sends at
    /// most two. More are refused unchecked, so one header cannot ask for many password checks.
    package static let maximumPerHeader = 3

    /// Whether the credential holds a password, which an attacker could guess (`Basic`), rather
    /// than a key too long to guess.
    package var isGuessable: Bool { isScheme("Basic") }

    /// The user name or e-mail the credential claims (`Basic` user, `EmailKey` e-mail),
    /// valid or not, to count failed sign-ins per user; nil for schemes that name nobody.
    package var claimedUser: String? {
        if isScheme("Basic") {
            guard value.utf8.count <= 1024, let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            return String(text[..<colon].prefix(128))
        }
        if isScheme("EmailKey"), let colon = value.lastIndex(of: ":") {
            return String(value[..<colon].prefix(128)).lowercased()
        }
        return nil
    }

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
/// Implementations: users from the configuration (Basic), API keys (Bearer), Auth-o-tron, and
/// the peers of a federation.
package protocol Authenticator: Sendable {
    /// A short name for logs and for telling how a user was authenticated (`plain`, `api-key`, ...).
    var name: String { get }

    /// The schemes this authenticator understands, as written in `WWW-Authenticate`.
    var schemes: [String] { get }

    /// The user the credential belongs to, or nil if it is not valid.
    /// - Throws: `CredentialRefused` when the credential is genuine but does not admit its
    ///   user; otherwise only when the check itself could not be done (a provider is unreachable).
    func authenticate(_ credential: Credential) async throws -> User?

    /// The user of a credential this authenticator accepted recently and still remembers,
    /// found without any work worth counting (no hash, no call out); nil otherwise. Asked of
    /// every authenticator before any is asked to `authenticate`, so that one whose check is
    /// costly (a password hash) does not make the remembered users of another pay for it.
    func rememberedUser(_ credential: Credential) -> User?
}

extension Authenticator {
    package func rememberedUser(_ credential: Credential) -> User? { nil }
}

/// Issues API keys (`POST /api/v1/auth/keys`, `polytope login`).
package protocol APIKeyIssuing: Sendable {
    /// A new key for `user`, shown to them once, and when it expires: after `lifetime`, or
    /// the configured lifetime of keys when nil.
    func issueKey(for user: User, label: String, lifetime: Duration?) async throws -> (key: String, record: APIKeyRecord)

    /// The record of a key, usable or not; nil if there is none.
    func record(ofKey key: String) async throws -> APIKeyRecord?

    /// Revokes the key, if it exists and is usable (signing out of the web page).
    func revokeKey(_ key: String) async throws

    /// Revokes the web page sessions of `user` beyond the newest `keeping`; returns how many.
    func revokeOldSessions(of user: User, keeping: Int) async throws -> Int
}

extension APIKeyIssuing {
    /// A new key for `user` with the configured lifetime.
    package func issueKey(for user: User, label: String) async throws -> (key: String, record: APIKeyRecord) {
        try await issueKey(for: user, label: label, lifetime: nil)
    }
}

/// A credential that is genuine (its secret checked) but does not admit the user it names,
/// such as a peer's user of a realm that peer may not forward. Answered 401 with `message`,
/// and not counted as a failed sign-in: nothing was guessed.
package struct CredentialRefused: Error, Sendable {
    /// Why, for the caller.
    package var message: String

    package init(_ message: String) {
        self.message = message
    }
}
