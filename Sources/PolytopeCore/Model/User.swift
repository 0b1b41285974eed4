/// An authenticated caller.
public struct User: Sendable, Hashable, Codable {
    /// The name the user logs in with; requests belong to it.
    public var username: String
    /// The authentication realm (`local` for users from the configuration).
    public var realm: String
    /// Roles, used by collection access rules and quality-of-service limits.
    public var roles: [String]
    /// Extra facts from the authentication provider (e-mail, ...), never logged.
    public var attributes: [String: String]

    public init(username: String, realm: String = "local", roles: [String] = [], attributes: [String: String] = [:]) {
        self.username = username
        self.realm = realm
        self.roles = roles
        self.attributes = attributes
    }

    /// Whether the user has at least one of `roles`.
    public func hasAnyRole(_ roles: some Sequence<String>) -> Bool {
        roles.contains { self.roles.contains($0) }
    }
}
