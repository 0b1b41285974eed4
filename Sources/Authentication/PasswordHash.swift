import Crypto
import CryptoExtras
import Foundation
import PolytopeCore

/// Salted password hashes for the configuration: `pbkdf2-sha256$<rounds>$<salt>$<hash>`
/// (salt and hash in base64). Make one with `polytope hash-password`.
package struct PasswordHash: Sendable, Hashable {
    package var rounds: Int
    package var salt: [UInt8]
    package var hash: [UInt8]

    static let prefix = "pbkdf2-sha256"
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    package static let defaultRounds = 600_000
    /// The most rounds a hash may ask for: each check of it takes about 10 s of a core at
    /// this count, and PBKDF2 counts rounds in 32 bits.
    package static let maximumRounds = 10_000_000

    /// Parses the text form; nil if it is not one.
    package init?(encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.prefix, let rounds = Int(parts[1]), (1...Self.maximumRounds).contains(rounds),
            let salt = Data(base64Encoded: String(parts[2])), let hash = Data(base64Encoded: String(parts[3])), hash.count == 32
        else { return nil }
        self.rounds = rounds
        self.salt = Array(salt)
        self.hash = Array(hash)
    }

    /// Hashes `password` with a fresh random salt.
    package init(hashing password: String, rounds: Int = PasswordHash.defaultRounds) throws {
        guard (1...Self.maximumRounds).contains(rounds) else {
            throw PolytopeError.invalidRequest("PBKDF2 rounds must be between 1 and \(Self.maximumRounds).")
        }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        self.rounds = rounds
        self.salt = salt
        self.hash = try Self.derive(password, salt: salt, rounds: rounds)
    }

    /// The text form, for the configuration.
    package var encoded: String {
        "\(Self.prefix)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` hashes to this hash (compared in constant time).
    package func matches(_ password: String) -> Bool {
        guard let candidate = try? Self.derive(password, salt: salt, rounds: rounds) else { return false }
        return ConstantTime.equals(candidate, hash)
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
