import Authentication
import Foundation
import PolytopeConfig
import PolytopeCore
import PolytopeHTTP

/// The `authentication` section: configured users, API keys, and Auth-o-tron.
///
/// ```yaml
/// authentication:
///   users:
///     - {username: alice, password-hash: "pbkdf2-sha256$600000$...", roles: [default], email: a@b.int}
///     - {username: demo, password: demo}          # plain text: local demos only
///     - {username: bob, password-hash: "...", disabled: true}   # no sign-in, keys refused
///   api-keys: {enabled: true, lifetime: 365d}
///   auth-o-tron:
///     url: https://auth-o-tron.example.int
///     issuer: auth-o-tron
///     audience: polytope
///     public-keys: [{kid: key-1, file: /etc/polytope/auth-o-tron.pem}]
///   peers:                                        # other Polytope servers that forward requests
///     - {name: site-b, secret: "${POLYTOPE_PEER_SECRET}", realms: [local, ecmwf]}
///   failed-logins: {per-address: 30, per-user: 10, window: 60s}
///   password-hashing: {threads: 1, queue: 16}
/// ```
package struct AuthenticationSettings: Sendable {
    package var accounts: [PlainUserAuthenticator.Account]
    /// API key settings; nil when API keys are turned off.
    package var apiKeys: APIKeyAuthenticator.Configuration?
    package var authOTron: AuthOTronAuthenticator.Configuration?
    /// Servers allowed to call this one on behalf of their users (federation).
    package var peers: [PeerAuthenticator.Peer]
    /// How many failed sign-ins are checked before further ones are refused with 429.
    package var failedLogins: FailedLoginLimiter.Policy
    /// Threads and queue of password hashing.
    package var passwordHashing: PasswordHashingPool.Configuration

    /// Who the configured users are now, for API keys issued to them.
    package var directory: ConfiguredUsers { ConfiguredUsers(accounts: accounts) }

    /// Users whose password is written in plain text (worth a warning outside demos).
    package var plainTextUsers: [String] {
        accounts.compactMap { account in
            if case .plainText = account.secret { return account.user.username }
            return nil
        }
    }

    init(_ section: ConfigReader?) {
        accounts = Self.accounts(section)
        apiKeys = Self.apiKeys(section?.section("api-keys"))
        authOTron = section?.section("auth-o-tron").flatMap(Self.authOTron)
        peers = Self.peers(section)
        failedLogins = Self.failedLogins(section?.section("failed-logins"))
        passwordHashing = Self.passwordHashing(section?.section("password-hashing"))
    }

    private static func failedLogins(_ section: ConfigReader?) -> FailedLoginLimiter.Policy {
        let defaults = FailedLoginLimiter.Policy()
        guard let section else { return defaults }
        func limit(_ key: String, _ fallback: Int?) -> Int? {
            if ["off", "none"].contains(section.string(key)?.lowercased() ?? "") { return nil }
            return section.int(key, default: fallback ?? 0, range: 1...1_000_000)
        }
        return FailedLoginLimiter.Policy(
            perAddress: section.contains("per-address") ? limit("per-address", defaults.perAddress) : defaults.perAddress,
            perUser: section.contains("per-user") ? limit("per-user", defaults.perUser) : defaults.perUser,
            window: section.duration("window", default: defaults.window, minimum: .seconds(1))
        )
    }

    private static func passwordHashing(_ section: ConfigReader?) -> PasswordHashingPool.Configuration {
        let defaults = PasswordHashingPool.Configuration()
        guard let section else { return defaults }
        return PasswordHashingPool.Configuration(
            threads: section.int("threads", default: defaults.threads, range: 1...64),
            maximumPending: section.int("queue", default: defaults.maximumPending, range: 1...10_000)
        )
    }

    private static func peers(_ section: ConfigReader?) -> [PeerAuthenticator.Peer] {
        var peers: [PeerAuthenticator.Peer] = []
        for entry in section?.list("peers") ?? [] {
            let name = entry.string("name") ?? ""
            let secret = entry.string("secret") ?? ""
            let realms = entry.strings("realms") ?? []
            if !PeerCredential.isValidToken(name) { entry.report("a peer needs a 'name' without spaces, ':' or ','", key: "name") }
            if !PeerCredential.isValidToken(secret) || secret.count < 16 {
                entry.report("a peer needs a 'secret' of at least 16 characters, without spaces, ':' or ','", key: "secret")
            }
            if realms.isEmpty { entry.report("a peer needs the list of 'realms' whose users it may forward", key: "realms") }
            if peers.contains(where: { $0.name == name }) { entry.report("peer '\(name)' is defined twice", key: "name") }
            peers.append(PeerAuthenticator.Peer(name: name, secret: secret, realms: realms))
        }
        return peers
    }

    private static func accounts(_ section: ConfigReader?) -> [PlainUserAuthenticator.Account] {
        guard let section else { return [] }
        var accounts: [PlainUserAuthenticator.Account] = []
        for entry in section.list("users") ?? [] {
            guard case .mapping = entry.node.value else {
                entry.report("expected a mapping with 'username' and 'password-hash' (or 'password')")
                continue
            }
            // Every key is read before a problem skips the entry, so that none is then
            // reported as unknown besides the real problem.
            var attributes: [String: String] = [:]
            if let email = entry.string("email") { attributes["email"] = email }
            let realm = entry.string("realm", default: "local")
            let (roles, disabled) = (entry.strings("roles") ?? ["default"], entry.bool("disabled", default: false))
            let (encoded, password) = (entry.string("password-hash"), entry.string("password"))
            guard let username = entry.string("username"), !username.isEmpty else {
                entry.report("a user needs a 'username'")
                continue
            }
            if username.contains(":") { entry.report("user names may not contain ':'", key: "username") }
            let hasControl = username.unicodeScalars.contains { $0.properties.generalCategory == .control }
            if username.trimmingCharacters(in: .whitespaces) != username || hasControl {
                entry.report("user names may not start or end with blanks, nor hold control characters", key: "username")
            }
            if !User(username: username, realm: realm).hasValidOwner {
                entry.report(
                    "a realm may not be empty or contain '/', nor may the name of a user of realm local (such a user could never sign in)",
                    key: realm.contains("/") || realm.isEmpty ? "realm" : "username")
            }
            if accounts.contains(where: { $0.user.username == username }) {
                entry.report("user '\(username)' is defined twice", key: "username")
            }
            let secret: PlainUserAuthenticator.Secret
            switch (encoded, password) {
            case (let encoded?, nil):
                guard let hash = PasswordHash(encoded: encoded) else {
                    entry.report(
                        "not a password hash (pbkdf2-sha256$<rounds up to \(PasswordHash.maximumRounds)>$<salt>$<hash>); make one with `polytope hash-password`",
                        key: "password-hash")
                    continue
                }
                secret = .hashed(hash)
            case (nil, let password?) where !password.isEmpty:
                secret = .plainText(password)
            case (nil, .some):
                entry.report("the password of user '\(username)' is empty (an unset environment variable?)", key: "password")
                continue
            case (.some, .some):
                entry.report("user '\(username)' has both 'password' and 'password-hash'; keep one")
                continue
            default:
                entry.report("user '\(username)' needs a 'password-hash' (or, for local demos, a 'password')")
                continue
            }
            let user = User(username: username, realm: realm, roles: roles, attributes: attributes)
            accounts.append(PlainUserAuthenticator.Account(user: user, secret: secret, disabled: disabled))
        }
        return accounts
    }

    /// Only `enabled: false` turns keys off: an empty `api-keys:` (its settings commented
    /// out) keeps the defaults, as it does in an overlay, whose merge drops it.
    private static func apiKeys(_ section: ConfigReader?) -> APIKeyAuthenticator.Configuration? {
        let defaults = APIKeyAuthenticator.Configuration()
        guard let section else { return defaults }
        guard section.bool("enabled", default: true) else { return nil }
        return APIKeyAuthenticator.Configuration(lifetime: section.duration("lifetime", default: defaults.lifetime, minimum: .seconds(60)))
    }

    private static func authOTron(_ section: ConfigReader) -> AuthOTronAuthenticator.Configuration? {
        let url = section.string("url")
        let issuer = section.string("issuer")
        let audience = section.string("audience")
        var keys: [String: String] = [:]
        for entry in section.list("public-keys") ?? [] {
            guard let kid = entry.string("kid") else {
                entry.report("a public key needs its 'kid'")
                continue
            }
            switch (entry.string("pem"), entry.string("file")) {
            case (let pem?, nil): keys[kid] = pem
            case (nil, let file?):
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    entry.report("cannot read '\(file)'", key: "file")
                    continue
                }
                keys[kid] = text
            default: entry.report("give the key as 'pem' (text) or 'file' (path), one of them")
            }
        }
        for (key, value) in [("url", url), ("issuer", issuer), ("audience", audience)] where value == nil {
            section.report("Auth-o-tron needs '\(key)'", key: nil)
        }
        if keys.isEmpty { section.report("Auth-o-tron needs at least one entry under 'public-keys'") }
        guard let url, let issuer, let audience, !keys.isEmpty else { return nil }
        let defaults = AuthOTronAuthenticator.Configuration(url: url, publicKeys: keys, issuer: issuer, audience: audience)
        return AuthOTronAuthenticator.Configuration(
            url: url, publicKeys: keys, issuer: issuer, audience: audience,
            cacheDuration: section.duration("cache", default: defaults.cacheDuration),
            timeout: section.duration("timeout", default: defaults.timeout, minimum: .milliseconds(100)),
            schemes: section.strings("schemes") ?? defaults.schemes
        )
    }
}
