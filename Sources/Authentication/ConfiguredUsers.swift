import PolytopeCore

/// What the server knows, now, about the user an API key was issued to.
package enum UserStanding: Sendable, Hashable {
    /// The user as currently configured (current roles and attributes).
    case current(User)
    /// The user's realm is managed by this server, but the user is no longer in it.
    case removed
    /// The user is configured but disabled.
    case disabled
    /// The user belongs to a realm this server does not manage (Auth-o-tron, or a realm given
    /// to `polytope keys create`): the key keeps the roles it was issued with.
    case unmanaged
}

/// Looks up the current standing of a user, so that a key follows its user: a removed or
/// disabled user's keys are refused, a demoted user's keys lose the role.
package protocol UserDirectory: Sendable {
    func standing(of user: User) -> UserStanding
}

/// The users of the configuration: they manage the realm `local` and every realm a
/// configured user names.
package struct ConfiguredUsers: UserDirectory {
    private let accounts: [String: PlainUserAuthenticator.Account]
    private let realms: Set<String>

    package init(accounts: [PlainUserAuthenticator.Account]) {
        self.accounts = Dictionary(accounts.map { ($0.user.username, $0) }, uniquingKeysWith: { first, _ in first })
        self.realms = Set(accounts.map(\.user.realm)).union(["local"])
    }

    package func standing(of user: User) -> UserStanding {
        guard realms.contains(user.realm) else { return .unmanaged }
        guard let account = accounts[user.username], account.user.realm == user.realm else { return .removed }
        return account.disabled ? .disabled : .current(account.user)
    }
}
