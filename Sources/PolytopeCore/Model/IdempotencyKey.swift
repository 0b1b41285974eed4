import Foundation

/// A client's `Idempotency-Key` on a submission, with a digest of what it submitted: the
/// same key from the same user within `window` gives back the first request instead of a
/// new one, so a client that retries a `POST` whose answer it never saw creates no duplicate.
package struct IdempotencyKey: Sendable, Hashable {
    /// How long a key is remembered.
    package static let window: Duration = .seconds(86_400)
    /// Keys recorded before this moment no longer count at `now`.
    package static func oldestCounted(at now: Date) -> Date { now.addingTimeInterval(-window.timeInterval) }

    /// The longest key accepted.
    package static let maximumLength = 255

    /// The key as the client sent it.
    package var key: String
    /// A digest of the collection and the body submitted with it.
    package var digest: String

    /// - Throws: a 400 naming the problem when `key` is empty, too long, or not visible ASCII.
    package init(key: String, digest: String) throws {
        guard !key.isEmpty, key.utf8.count <= Self.maximumLength, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw PolytopeError.invalidRequest(
                "The Idempotency-Key header must be 1 to \(Self.maximumLength) visible ASCII characters (no spaces).")
        }
        self.key = key
        self.digest = digest
    }
}

/// The request a user submitted earlier under an idempotency key.
package struct IdempotentSubmission: Sendable, Hashable {
    package var id: RequestIdentifier
    /// The digest of that submission (`IdempotencyKey.digest`).
    package var digest: String

    package init(id: RequestIdentifier, digest: String) {
        self.id = id
        self.digest = digest
    }
}
