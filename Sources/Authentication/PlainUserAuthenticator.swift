import Crypto
import Foundation
import PolytopeCore
import Synchronization

/// HTTP Basic authentication against users from the configuration.
///
/// Each user has a salted password hash (`password-hash`, see `PasswordHash`), or, for local
/// demos only, a plain-text `password`. Refusals take the same time whether or not the user
/// exists, how its password is kept and how many rounds its hash has (as long as the
/// costliest hash). Hashes are computed on a `PasswordHashingPool`, never on the threads
/// that serve requests. A deliberately slow hash would make every poll of
/// polytope-client (which sends the password each time) cost a fraction of a second, so a
/// successful check is remembered for a few minutes, keyed on a SHA-256 of the credential.
package final class PlainUserAuthenticator: Authenticator {
    /// How a configured user proves who they are.
    package enum Secret: Sendable, Hashable {
        case plainText(String)
        case hashed(PasswordHash)

        func matches(_ password: String) -> Bool {
            switch self {
            case .plainText(let expected): return ConstantTime.equals(Array(password.utf8), Array(expected.utf8))
            case .hashed(let hash): return hash.matches(password)
            }
        }
    }

    /// A user and their secret, as configured.
    package struct Account: Sendable, Hashable {
        package var user: User
        package var secret: Secret
        /// A disabled user cannot sign in, and their API keys are refused.
        package var disabled: Bool

        package init(user: User, secret: Secret, disabled: Bool = false) {
            self.user = user
            self.secret = secret
            self.disabled = disabled
        }

        package init(user: User, password: String) {
            self.init(user: user, secret: .plainText(password))
        }
    }

    private let accounts: [String: Account]
    /// Compared against when the user does not exist or a plain-text password is wrong, so
    /// that every refusal costs the same time (that of the account with the most rounds).
    private let decoy: Secret
    private let verified = Mutex<[SHA256Digest: Date]>([:])
    private let hashing: PasswordHashingPool
    /// How long a successful check is remembered.
    static let rememberFor: TimeInterval = 300

    /// - Parameter hashing: where password hashes are computed (off the shared threads).
    package init(accounts: [Account], hashing: PasswordHashingPool = PasswordHashingPool()) {
        self.accounts = Dictionary(accounts.filter { !$0.disabled }.map { ($0.user.username, $0) }, uniquingKeysWith: { first, _ in first })
        // The costliest hash: a refusal of an unknown name takes as long as the slowest account's.
        let hashed = accounts.compactMap { account -> PasswordHash? in
            if case .hashed(let hash) = account.secret { return hash }
            return nil
        }.max { $0.rounds < $1.rounds }
        self.decoy = hashed.map { .hashed($0) } ?? .plainText(UUID().uuidString)
        self.hashing = hashing
    }

    package var name: String { "plain" }
    package var schemes: [String] { ["Basic"] }

    /// The user's account, if configured (for issuing API keys with their current roles).
    package func account(named username: String) -> Account? {
        accounts[username]
    }

    package func authenticate(_ credential: Credential) async throws -> User? {
        guard credential.isScheme("Basic"), let (username, password) = Self.decodeBasic(credential.value) else { return nil }
        let account = accounts[username]
        let fingerprint = SHA256.hash(data: Array(credential.value.utf8))
        let now = Date()
        switch account?.secret {
        case .hashed?:
            if let until = verified.withLock({ $0[fingerprint] }), until > now { return account?.user }
        case .plainText(let expected)?:
            if ConstantTime.equals(Array(password.utf8), Array(expected.utf8)) { return account?.user }
        case nil:
            break
        }
        // Every refusal, and every first check of a hashed password, costs one hash on the
        // hashing pool: unknown users and wrong plain-text passwords take as long as wrong hashed ones.
        let secret: Secret
        if let account, case .hashed = account.secret { secret = account.secret } else { secret = decoy }
        let padding = Self.paddingRounds(checking: secret, decoy: decoy)
        let matches = try await hashing.run {
            let matches = secret.matches(password)
            if !matches, let padding {
                // A known user with a cheaper hash is refused no sooner than an unknown name.
                _ = try? PasswordHash.derive(password, salt: padding.salt, rounds: padding.rounds)
            }
            return matches
        }
        guard matches, let account, case .hashed = account.secret else { return nil }
        verified.withLock { verified in
            if verified.count > 10_000 { verified = verified.filter { $0.value > now } }
            verified[fingerprint] = now.addingTimeInterval(Self.rememberFor)
        }
        return account.user
    }

    /// The rounds a refusal after checking `secret` derives on top, so that it costs as much
    /// as the check of `decoy` (the costliest hash); nil when nothing is to add.
    package static func paddingRounds(checking secret: Secret, decoy: Secret) -> (rounds: Int, salt: [UInt8])? {
        guard case .hashed(let used) = secret, case .hashed(let slowest) = decoy, used.rounds < slowest.rounds else { return nil }
        return (slowest.rounds - used.rounds, slowest.salt)
    }

    /// User name and password of a `Basic` credential in canonical base64 (no extra padding
    /// or characters), or nil.
    static func decodeBasic(_ value: String) -> (username: String, password: String)? {
        guard value.utf8.count <= 1024, let data = Data(base64Encoded: value), data.base64EncodedString() == value,
            let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }
}
