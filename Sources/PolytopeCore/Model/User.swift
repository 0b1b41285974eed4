/// An authenticated caller.
package struct User: Sendable, Hashable, Codable {
    /// The name the user logs in with; requests belong to it.
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

    /// Whether the user has at least one of `roles`.
    package func hasAnyRole(_ roles: some Sequence<String>) -> Bool {
        roles.contains { self.roles.contains($0) }
    }
}
