import Authentication
import Foundation
import Logging
import PolytopeCore
import RequestStoreSQLite
import ServiceLifecycle

/// What `polytope keys` does: list, issue and revoke API keys in the configured store. With
/// API keys turned off it still lists and revokes the web page's sessions (keys too), and
/// refuses to issue keys the server would not accept.
package struct KeyAdministration: Sendable {
    let store: any RequestStoreBackend
    let services: [any Service]
    let issuer: APIKeyAuthenticator
    let settings: AuthenticationSettings

    /// Opens the store of `configuration`; an SQLite file must exist already.
    /// - Throws: if the store cannot be opened, or is not there: keys issued into a new file
    ///   (`keys` run from another directory than the server's relative `data-dir`) would be
    ///   accepted by no server.
    package init(configuration: PolytopeConfiguration) throws {
        if case .sqlite(let sqlite) = configuration.store, !FileManager.default.fileExists(atPath: sqlite.path) {
            throw PolytopeError(
                .invalidRequest,
                "there is no request store at \(sqlite.path): the server has not run with this configuration here (a relative "
                    + "data-dir is read from the current directory); run this where the server runs, or give --data-dir")
        }
        let quiet = Logger(label: "polytope", factory: { _ in SwiftLogNoOpLogHandler() })
        (store, services) = try configuration.store.makeStore(dispatchNeeded: WakeSignal(), workQueued: WakeSignal(), logger: quiet)
        issuer = APIKeyAuthenticator(
            store: store, directory: configuration.authentication.directory, configuration: configuration.authentication.apiKeys ?? .init())
        settings = configuration.authentication
    }

    /// Whether the server accepts API keys other than the web page's sessions.
    package var apiKeysEnabled: Bool { settings.apiKeys != nil }

    /// Issues a key for `username`. A configured user's key follows the configuration (its
    /// roles and attributes are looked up at each use), so `roles` may not be given for one;
    /// a user from elsewhere needs a `realm` other than the configured ones, and `roles`.
    /// - Throws: `PolytopeError` when API keys are turned off, or the user cannot have a key.
    package func issue(username: String, roles: [String]?, realm: String?, label: String) async throws -> (key: String, record: APIKeyRecord) {
        guard apiKeysEnabled else {
            throw PolytopeError(.invalidRequest, "API keys are turned off in this configuration (authentication.api-keys.enabled: false)")
        }
        let realm = realm ?? settings.accounts.first { $0.user.username == username }?.user.realm ?? "local"
        let user: User
        switch settings.directory.standing(of: User(username: username, realm: realm)) {
        case .current(let configured):
            guard roles == nil else {
                throw PolytopeError(
                    .invalidRequest,
                    "\(username) is a configured user: their key has the roles of the configuration, so --roles cannot be given")
            }
            user = configured
        case .disabled:
            throw PolytopeError(.invalidRequest, "\(username) is disabled in the configuration")
        case .removed:
            throw PolytopeError(
                .invalidRequest,
                "\(username) is not a user of realm \(realm) in the configuration; add them there, or give --realm and --roles for a user from elsewhere"
            )
        case .unmanaged:
            guard let roles, !roles.isEmpty else {
                throw PolytopeError(.invalidRequest, "a user of realm \(realm) needs --roles (the server cannot look them up)")
            }
            user = User(username: username, realm: realm, roles: roles)
        }
        let issuer = self.issuer
        return try await withServices(services) { try await issuer.issueKey(for: user, label: label) }
    }

    /// Keys of `username` (all keys without one), each with its user's current standing.
    package func list(username: String?) async throws -> [(record: APIKeyRecord, standing: UserStanding)] {
        let store = self.store
        let records = try await withServices(services) { try await store.apiKeys(ofUser: username) }
        return records.map { ($0, settings.directory.standing(of: $0.user)) }
    }

    /// Revokes key `id`, and the web page's sessions started with it (`web session via key
    /// <id>`): whether the key was revoked, and how many sessions ended with it.
    package func revoke(id: String) async throws -> (revoked: Bool, sessions: Int) {
        let store = self.store
        return try await withServices(services) {
            guard try await store.revokeAPIKey(id: id, at: Date()) else { return (false, 0) }
            let label = APIKeyRecord.webSessionLabel(startedWithKey: id)
            var ended = 0
            for session in try await store.apiKeys(ofUser: nil) where session.label == label && session.isUsable(at: Date()) {
                if try await store.revokeAPIKey(id: session.id, at: Date()) { ended += 1 }
            }
            return (true, ended)
        }
    }
}
