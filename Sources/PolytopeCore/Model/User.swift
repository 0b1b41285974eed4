/// An authenticated caller.
package struct User: Sendable, Hashable, Codable {
    /// The name the user logs in with.
    package var username: String
    /// The authentication realm (`local` for users from the configuration).
    package var realm: String
    /// Roles, used by collection access rules and quality-of-service limits.
    package var roles: [String]
    /// Extra facts from the authentication provider (e-mail, ...), never logged.
    package var attributes: [String: String]

    package init(username: String, realm: String = "local", roles: [String] = [], attributes: [String: String] = [:]) {
        self.username = username
        self.realm = realm
        self.roles = roles
        self.attributes = attributes
    }

    /// Who requests belong to, and whom limits count: the username, qualified by the realm
    /// for users of any realm but `local` (`ecmwf/dana`), so that a peer's or Auth-o-tron's
    /// `demo` is not the configured `demo`. Unambiguous for every `hasValidOwner` user.
    package var owner: String { realm == Self.localRealm ? username : "\(realm)/\(username)" }

    /// The realm of users from the configuration.
    package static let localRealm = "local"

    /// Whether `owner` names this user alone: a realm never contains `/`, nor does the name of
    /// a `local` user (which would read as a user of another realm). Others are refused at
    /// sign-in.
    package var hasValidOwner: Bool {
        !realm.isEmpty && !realm.contains("/") && (realm != Self.localRealm || !username.contains("/"))
    }

    /// Whether the user has at least one of `roles`.
    package func hasAnyRole(_ roles: some Sequence<String>) -> Bool {
        roles.contains { self.roles.contains($0) }
    }
}
