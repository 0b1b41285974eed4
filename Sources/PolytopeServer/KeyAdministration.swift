import Authentication
import Foundation
import Logging
import PolytopeCore
import ServiceLifecycle

/// What `polytope keys` does: list, issue and revoke API keys in the configured store.
package struct KeyAdministration: Sendable {
    let store: any RequestStoreBackend
    let services: [any Service]
    let issuer: APIKeyAuthenticator
    let settings: AuthenticationSettings

    /// Opens the store of `configuration`.
    /// - Throws: if API keys are turned off or the store cannot be opened.
    package init(configuration: PolytopeConfiguration) throws {
        guard let keys = configuration.authentication.apiKeys else {
            throw PolytopeError(.invalidRequest, "API keys are turned off in this configuration (authentication.api-keys.enabled: false)")
        }
        let quiet = Logger(label: "polytope", factory: { _ in SwiftLogNoOpLogHandler() })
        (store, services) = try configuration.store.makeStore(requestArrived: WakeSignal(), workQueued: WakeSignal(), logger: quiet)
        issuer = APIKeyAuthenticator(store: store, configuration: keys)
        settings = configuration.authentication
    }

    /// Issues a key for `username`: a configured user keeps their roles and realm unless
    /// others are given; anyone else needs `roles`.
    package func issue(username: String, roles: [String]?, realm: String?, label: String) async throws -> (key: String, record: APIKeyRecord) {
        var user = settings.accounts.first { $0.user.username == username }?.user ?? User(username: username, realm: realm ?? "local", roles: [])
        if let roles { user.roles = roles }
        if let realm { user.realm = realm }
        let issuer = self.issuer
        let finalUser = user
        return try await withServices(services) { try await issuer.issueKey(for: finalUser, label: label) }
    }

    package func list(username: String?) async throws -> [APIKeyRecord] {
        let store = self.store
        return try await withServices(services) { try await store.apiKeys(ofUser: username) }
    }

    package func revoke(id: String) async throws -> Bool {
        let store = self.store
        return try await withServices(services) { try await store.revokeAPIKey(id: id, at: Date()) }
    }
}
