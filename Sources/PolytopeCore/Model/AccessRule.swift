/// Who may use a collection or a datasource.
///
/// Written in the configuration as a list of roles (`roles: [default]`: any realm), or per
/// realm (`roles: {ecmwf: [default], desp: [member]}`: a user of an unlisted realm is
/// refused), or not at all (every authenticated user).
package enum AccessRule: Sendable, Hashable, CustomStringConvertible {
    case everyone
    case roles([String])
    case realms([String: [String]])

    package func admits(_ user: User) -> Bool {
        switch self {
        case .everyone: return true
        case .roles(let roles): return user.hasAnyRole(roles)
        case .realms(let realms): return realms[user.realm].map(user.hasAnyRole) ?? false
        }
    }

    /// `one of the roles a, b` / `one of the roles a (realm x) or b (realm y)`.
    package var description: String {
        switch self {
        case .everyone:
            return "any authenticated user"
        case .roles(let roles):
            return "one of the roles \(roles.joined(separator: ", "))"
        case .realms(let realms):
            let parts = realms.keys.sorted().map { realm in "\(realms[realm]!.joined(separator: ", ")) (realm \(realm))" }
            return "one of the roles \(parts.joined(separator: " or "))"
        }
    }
}
