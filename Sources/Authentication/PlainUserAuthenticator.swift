import Foundation
import PolytopeCore

/// HTTP Basic authentication against a list of users from the configuration.
///
/// Meant for local use and tests; passwords are compared in constant time.
public struct PlainUserAuthenticator: Authenticator {
    /// A user and their password, as configured.
    public struct Account: Sendable, Hashable {
        public var user: User
        public var password: String

        public init(user: User, password: String) {
            self.user = user
            self.password = password
        }
    }

    private let accounts: [String: Account]

    public init(accounts: [Account]) {
        self.accounts = Dictionary(accounts.map { ($0.user.username, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var schemes: [String] { ["Basic"] }

    public func authenticate(_ credential: Credential) async throws -> User? {
        guard credential.isScheme("Basic"),
            let data = Data(base64Encoded: credential.value),
            let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        let username = String(decoded[..<colon])
        let password = String(decoded[decoded.index(after: colon)...])
        guard let account = accounts[username] else {
            _ = Self.constantTimeEquals(password, password)
            return nil
        }
        return Self.constantTimeEquals(password, account.password) ? account.user : nil
    }

    /// Compares without an early exit, so the time taken does not reveal how much matched.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
